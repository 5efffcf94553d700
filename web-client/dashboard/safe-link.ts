// Links made from event data (sources, files, and any URL a build reports): only absolute
// http(s) URLs become links, and they open apart from the dashboard — `noopener noreferrer`, so
// the page they open neither reaches back into this one nor learns its URL (which may carry a
// token). Anything else (javascript:, data:, relative paths) stays plain text.
import { h } from './dom.js';

/** The URL to link to, or null when `url` is not an absolute http(s) URL. */
export function safeHref(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return parsed.href;
}

/** A link to `url` showing `text`, or `text` alone when the URL may not be linked. */
export function externalLink(text: string, url: string, className?: string): HTMLElement {
  const href = safeHref(url);
  if (href === null) return h('span', className ? { class: className } : null, text);
  return h('a', { ...(className ? { class: className } : {}), attrs: { href, target: '_blank', rel: 'noopener noreferrer' } }, text);
}
