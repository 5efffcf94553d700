// PROTOCOL §Event vocabulary, `log` lines: the style a terminal gives text — what SGR
// sequences (CSI … m) do to it, and the colours it is drawn in. `ansi-text.ts` finds the
// sequences in a line; this module says what each one means.

/** A colour: `-1` the default, 0–255 the xterm palette, `TRUECOLOR + 0xRRGGBB` a 24-bit colour. */
export type AnsiColor = number;
export const TRUECOLOR = 0x1000000;

export interface AnsiStyle {
  readonly fg: AnsiColor;
  readonly bg: AnsiColor;
  readonly bold: boolean;
  readonly dim: boolean;
  readonly italic: boolean;
  readonly underline: boolean;
  readonly inverse: boolean;
  readonly hidden: boolean;
  readonly strike: boolean;
}

export const PLAIN_STYLE: AnsiStyle = Object.freeze({
  fg: -1,
  bg: -1,
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  inverse: false,
  hidden: false,
  strike: false,
});

/** SGR (CSI … m): reset, intensity, italic, underline, inverse, hidden, strike, and 16/256/24-bit colours. */
export function applySgr(style: AnsiStyle, params: string): AnsiStyle {
  // Logs repeat a handful of codes on a handful of styles: remember each answer.
  let cache = SGR_CACHE.get(style);
  const known = cache?.get(params);
  if (known !== undefined) return known;
  const result = computeSgr(style, params);
  if (params.length <= 64) {
    if (cache === undefined) SGR_CACHE.set(style, (cache = new Map()));
    if (cache.size < 256) cache.set(params, result);
  }
  return result;
}

const SGR_CACHE = new WeakMap<AnsiStyle, Map<string, AnsiStyle>>();

function computeSgr(style: AnsiStyle, params: string): AnsiStyle {
  const next: { -readonly [K in keyof AnsiStyle]: AnsiStyle[K] } = { ...style };
  // `;` separates parameters; `:` separates an extended colour's sub-parameters (38:2::r:g:b).
  const codes = params === '' ? [''] : params.split(';');
  for (let k = 0; k < codes.length; k++) {
    const part = codes[k]!;
    const sub = part.includes(':') ? part.split(':') : undefined;
    const code = part === '' ? 0 : Number(sub ? sub[0] : part);
    if (!Number.isInteger(code)) continue;
    if (code === 0) Object.assign(next, PLAIN_STYLE);
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = sub?.[1] !== '0';
    else if (code === 7) next.inverse = true;
    else if (code === 8) next.hidden = true;
    else if (code === 9) next.strike = true;
    else if (code === 21) next.underline = true;
    else if (code === 22) next.bold = next.dim = false;
    else if (code === 23) next.italic = false;
    else if (code === 24) next.underline = false;
    else if (code === 27) next.inverse = false;
    else if (code === 28) next.hidden = false;
    else if (code === 29) next.strike = false;
    else if (code >= 30 && code <= 37) next.fg = code - 30;
    else if (code === 39) next.fg = -1;
    else if (code >= 40 && code <= 47) next.bg = code - 40;
    else if (code === 49) next.bg = -1;
    else if (code >= 90 && code <= 97) next.fg = code - 90 + 8;
    else if (code >= 100 && code <= 107) next.bg = code - 100 + 8;
    else if (code === 38 || code === 48) {
      let color: AnsiColor | undefined;
      if (sub) {
        // 38:5:n, 38:2:r:g:b or 38:2:<colour space>:r:g:b
        if (sub[1] === '5') color = palette(sub[2]);
        else if (sub[1] === '2') color = sub.length >= 6 ? rgb(sub[3], sub[4], sub[5]) : rgb(sub[2], sub[3], sub[4]);
      } else if (codes[k + 1] === '5') {
        color = palette(codes[k + 2]);
        k += 2;
      } else if (codes[k + 1] === '2') {
        color = rgb(codes[k + 2], codes[k + 3], codes[k + 4]);
        k += 4;
      }
      if (color !== undefined) {
        if (code === 38) next.fg = color;
        else next.bg = color;
      }
    }
  }
  if (sameStyle(style, next)) return style;
  return sameStyle(next, PLAIN_STYLE) ? PLAIN_STYLE : next;
}

function palette(value: string | undefined): AnsiColor | undefined {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
}

function rgb(r: string | undefined, g: string | undefined, b: string | undefined): AnsiColor | undefined {
  const parts = [r, g, b].map((v) => (v === undefined || v === '' ? NaN : Number(v)));
  if (parts.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) return undefined;
  return TRUECOLOR + (parts[0]! << 16) + (parts[1]! << 8) + parts[2]!;
}

function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return (
    a.fg === b.fg &&
    a.bg === b.bg &&
    a.bold === b.bold &&
    a.dim === b.dim &&
    a.italic === b.italic &&
    a.underline === b.underline &&
    a.inverse === b.inverse &&
    a.hidden === b.hidden &&
    a.strike === b.strike
  );
}

/** A 256-colour palette index or truecolor value as `#rrggbb` (xterm's palette). */
export function ansiColorHex(color: AnsiColor): string | null {
  if (color < 0) return null;
  let r: number, g: number, b: number;
  if (color >= TRUECOLOR) {
    const v = color - TRUECOLOR;
    (r = (v >> 16) & 255), (g = (v >> 8) & 255), (b = v & 255);
  } else if (color < 16) {
    [r, g, b] = BASE16[color]!;
  } else if (color < 232) {
    const i = color - 16;
    const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
    (r = level(Math.floor(i / 36))), (g = level(Math.floor(i / 6) % 6)), (b = level(i % 6));
  } else {
    r = g = b = 8 + (color - 232) * 10;
  }
  return `#${[r, g, b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** The 16 base colours, tuned for a dark background (the viewer's). */
const BASE16: ReadonlyArray<readonly [number, number, number]> = [
  [0x4b, 0x55, 0x63], [0xf8, 0x71, 0x71], [0x4a, 0xde, 0x80], [0xfa, 0xcc, 0x15],
  [0x60, 0xa5, 0xfa], [0xe8, 0x79, 0xf9], [0x22, 0xd3, 0xee], [0xe5, 0xe7, 0xeb],
  [0x9c, 0xa3, 0xaf], [0xfc, 0xa5, 0xa5], [0x86, 0xef, 0xac], [0xfd, 0xe0, 0x47],
  [0x93, 0xc5, 0xfd], [0xf0, 0xab, 0xfc], [0x67, 0xe8, 0xf9], [0xff, 0xff, 0xff],
];
