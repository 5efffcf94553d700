// What an agent cited and produced: `source-url` / `source-document` and `file` /
// `reasoning-file` events. URL sources are links (safe-link.ts rules); files show their name
// and media type, and link to their URL when it is an http(s) one.
import type { FileEntry, SourceEntry } from '../../protocol/build-state.js';
import { h } from './dom.js';
import { externalLink, safeHref } from './safe-link.js';

/** A file's name: the one the event gave, else the last segment of its URL's path. */
export function fileName(file: FileEntry): string {
  if (file.filename) return file.filename;
  if (file.url !== null) {
    try {
      const last = new URL(file.url).pathname.split('/').filter(Boolean).at(-1);
      if (last) return decodeURIComponent(last);
    } catch {
      // not a URL: no name from it
    }
  }
  return file.reasoning ? 'reasoning file' : 'unnamed file';
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

export class SourcesFilesSection {
  readonly el: HTMLElement;
  readonly #sources: HTMLElement;
  readonly #files: HTMLElement;
  readonly #sourceList: HTMLUListElement;
  readonly #fileList: HTMLUListElement;
  #shown: { sources: readonly SourceEntry[]; files: readonly FileEntry[] } | undefined;

  constructor() {
    this.#sourceList = h('ul', { class: 'refs' });
    this.#fileList = h('ul', { class: 'refs' });
    this.#sources = h('div', { attrs: { 'data-testid': 'sources' } }, h('h3', null, 'Sources'), this.#sourceList);
    this.#files = h('div', { attrs: { 'data-testid': 'files' } }, h('h3', null, 'Files'), this.#fileList);
    this.el = h('section', { class: 'panel refs-panel', attrs: { 'aria-labelledby': 'refs-title' } }, h('h2', { attrs: { id: 'refs-title' } }, 'Sources and files'), this.#sources, this.#files);
    this.el.hidden = true;
  }

  render(sources: readonly SourceEntry[], files: readonly FileEntry[]): void {
    if (this.#shown?.sources === sources && this.#shown.files === files) return;
    const before = this.#shown ?? { sources: [], files: [] };
    this.#shown = { sources, files };
    // Both lists only grow (the reducer appends): add what is new.
    for (const source of sources.slice(before.sources.length)) this.#sourceList.appendChild(sourceItem(source));
    for (const file of files.slice(before.files.length)) this.#fileList.appendChild(fileItem(file));
    this.#sources.hidden = sources.length === 0;
    this.#files.hidden = files.length === 0;
    this.el.hidden = sources.length + files.length === 0;
  }
}

function sourceItem(source: SourceEntry): HTMLElement {
  if (source.kind === 'url' && source.url !== null) {
    const title = source.title || source.url;
    const host = hostOf(source.url);
    const detail = safeHref(source.url) === null ? `not a web link: ${source.url}` : host;
    return h('li', { class: 'ref', attrs: { 'data-source-id': source.sourceId } }, externalLink(title, source.url, 'ref-title'), h('span', { class: 'ref-detail muted' }, detail));
  }
  return h(
    'li',
    { class: 'ref', attrs: { 'data-source-id': source.sourceId } },
    h('span', { class: 'ref-title' }, source.title ?? source.sourceId),
    h('span', { class: 'ref-detail muted' }, [source.filename, source.mediaType].filter(Boolean).join(' · ')),
  );
}

function fileItem(file: FileEntry): HTMLElement {
  const name = fileName(file);
  return h(
    'li',
    { class: 'ref', attrs: { 'data-seq': file.seq } },
    file.url !== null ? externalLink(name, file.url, 'ref-title file-name') : h('span', { class: 'ref-title file-name' }, name),
    h('span', { class: 'badge media-type' }, file.mediaType),
    file.reasoning ? h('span', { class: 'ref-detail muted' }, 'reasoning') : null,
  );
}
