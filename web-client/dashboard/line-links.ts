// Links to lines (`/builds/{id}#L12`, a range `#L12-L20`; n counts `log` lines from 1, PROTOCOL
// §Log lines) and copying to the clipboard, with a fallback where the Clipboard API is absent
// (a page served over plain http from another host).

export interface LineRange {
  readonly from: number;
  readonly to: number;
}

/** `#L12` or `#L12-L20` (either order) as a range; undefined for any other hash. */
export function parseLineHash(hash: string): LineRange | undefined {
  const m = /^#L([1-9][0-9]{0,15})(?:-L?([1-9][0-9]{0,15}))?$/.exec(hash);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  return { from: Math.min(a, b), to: Math.max(a, b) };
}

export function formatLineHash(range: LineRange): string {
  return range.from === range.to ? `#L${range.from}` : `#L${range.from}-L${range.to}`;
}

/** Sets the address bar's hash without a history entry or a jump. */
export function replaceHash(hash: string): void {
  const url = new URL(window.location.href);
  url.hash = hash;
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
}

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall back below
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  const focused = document.activeElement as HTMLElement | null;
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  focused?.focus();
  return ok;
}
