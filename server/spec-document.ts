// openapi.yaml as served at /openapi.yaml and drawn at /docs (PROTOCOL §Operations), read and
// drawn on the first request that needs each, once per process. At start, the `yaml` module, the
// parsed document and the page took ~2 MiB of every server's heap, for two pages few open.
import { readFile } from 'node:fs/promises';
import { Resources } from './resources.js';

export interface SpecDocument {
  /** openapi.yaml's text, byte for byte. */
  yamlText(): Promise<string>;
  /** The /docs page drawn from it. */
  docsPage(): Promise<string>;
}

export function lazySpecDocument(file: string = Resources.openapi): SpecDocument {
  let text: Promise<string> | undefined;
  let page: Promise<string> | undefined;
  // A failed read or draw is not remembered: the next request tries again.
  const yamlText = () =>
    (text ??= readFile(file, 'utf8').catch((error: unknown) => {
      text = undefined;
      throw error;
    }));
  const docsPage = () =>
    (page ??= (async () => {
      const [source, { parse }, { renderDocsPage }] = await Promise.all([yamlText(), import('yaml'), import('./docs-page.js')]);
      return renderDocsPage(parse(source) as unknown);
    })().catch((error: unknown) => {
      page = undefined;
      throw error;
    }));
  return { yamlText, docsPage };
}

/** The one every server in the process serves. */
export const specDocument: SpecDocument = lazySpecDocument();
