// A list of fixed-height rows of any length where only the rows near the viewport exist in the
// DOM. Row i sits at i × rowHeight, so scroll position and row index map exactly; past a few
// million pixels (browsers cap an element's height) the scroll range is scaled instead.
//
//   scroller (overflow: auto)
//   └─ spacer (height: the list's, or the cap)
//      └─ rows, absolutely placed with CSSOM transforms (a strict CSP allows CSSOM)

export interface VirtualRowsOptions {
  /** The scrolling element; the rows are placed inside it. */
  readonly scroller: HTMLElement;
  /** Pixels per row; every row has this height. */
  readonly rowHeight: number;
  /** Fills `row` (a fresh element) for row `index`. */
  readonly render: (index: number, row: HTMLElement) => void;
  /** The range of rows in the DOM changed (load what they need). */
  readonly onRange?: (first: number, last: number) => void;
  /** Rows kept beyond each edge of the viewport. @default 20 */
  readonly overscan?: number;
  /** The spacer's tallest height in pixels. @default 8 000 000 */
  readonly maxScrollPx?: number;
}

export const VirtualRowsDefaults = {
  overscan: 20,
  maxScrollPx: 8_000_000, // under every engine's element-height cap (Firefox ~17.9 M px)
} as const;

export type ScrollAlign = 'start' | 'center' | 'end' | 'nearest';

export class VirtualRows {
  readonly #scroller: HTMLElement;
  readonly #spacer: HTMLElement;
  readonly #render: (index: number, row: HTMLElement) => void;
  readonly #onRange: ((first: number, last: number) => void) | undefined;
  readonly #overscan: number;
  readonly #maxScrollPx: number;
  #rowHeight: number;
  #count = 0;
  readonly #rows = new Map<number, HTMLElement>();
  #first = 0;
  #last = -1;
  #frame: number | undefined;

  constructor(options: VirtualRowsOptions) {
    if (!(options.rowHeight > 0)) throw new TypeError(`Expected \`rowHeight\` to be a positive number of pixels, got ${options.rowHeight}`);
    this.#scroller = options.scroller;
    this.#rowHeight = options.rowHeight;
    this.#render = options.render;
    this.#onRange = options.onRange;
    this.#overscan = options.overscan ?? VirtualRowsDefaults.overscan;
    this.#maxScrollPx = options.maxScrollPx ?? VirtualRowsDefaults.maxScrollPx;
    this.#spacer = this.#scroller.ownerDocument.createElement('div');
    this.#spacer.className = 'vrows-spacer';
    this.#spacer.style.position = 'relative';
    this.#scroller.appendChild(this.#spacer);
    this.#scroller.addEventListener('scroll', () => this.#schedule(), { passive: true });
  }

  get count(): number {
    return this.#count;
  }

  /** The rows in the DOM, `[first, last]`. */
  get rendered(): { readonly first: number; readonly last: number } {
    return { first: this.#first, last: this.#last };
  }

  get rowHeight(): number {
    return this.#rowHeight;
  }

  set rowHeight(px: number) {
    if (px > 0 && px !== this.#rowHeight) {
      this.#rowHeight = px;
      this.#setHeight();
      this.invalidate();
    }
  }

  setCount(count: number): void {
    if (count === this.#count) return;
    this.#count = count;
    this.#setHeight();
    this.update();
  }

  /** Whether the viewport shows the last row. */
  get atEnd(): boolean {
    const s = this.#scroller;
    return s.scrollTop + s.clientHeight >= s.scrollHeight - 2;
  }

  /** The rows the viewport shows (whole or in part). */
  visibleRange(): { first: number; last: number } {
    const top = this.#topRow();
    const rows = Math.ceil(this.#scroller.clientHeight / this.#rowHeight);
    return { first: Math.max(0, Math.floor(top)), last: Math.min(this.#count - 1, Math.floor(top) + rows) };
  }

  scrollToIndex(index: number, align: ScrollAlign = 'nearest'): void {
    const view = this.#scroller.clientHeight;
    const rowsInView = view / this.#rowHeight;
    const top = this.#topRow();
    let targetTop: number;
    if (align === 'start') targetTop = index;
    else if (align === 'end') targetTop = index + 1 - rowsInView;
    else if (align === 'center') targetTop = index + 0.5 - rowsInView / 2;
    else if (index < top) targetTop = index;
    else if (index + 1 > top + rowsInView) targetTop = index + 1 - rowsInView;
    else return;
    this.#scroller.scrollTop = this.#scrollTopFor(Math.max(0, targetTop));
    this.update();
  }

  scrollToEnd(): void {
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
    this.update();
  }

  /** Renders every row in the DOM again (their content changed). */
  invalidate(): void {
    for (const row of this.#rows.values()) row.remove();
    this.#rows.clear();
    this.update();
  }

  /** Renders these rows again, if they are in the DOM. */
  refresh(indices: Iterable<number>): void {
    for (const i of indices) {
      const old = this.#rows.get(i);
      if (old === undefined) continue;
      const row = this.#make(i);
      old.replaceWith(row);
      this.#rows.set(i, row);
    }
  }

  /** Places the rows the viewport needs now. */
  update(): void {
    if (this.#frame !== undefined) {
      cancelAnimationFrame(this.#frame);
      this.#frame = undefined;
    }
    const { first: vFirst, last: vLast } = this.visibleRange();
    const first = Math.max(0, vFirst - this.#overscan);
    const last = Math.min(this.#count - 1, vLast + this.#overscan);
    for (const [i, row] of this.#rows) {
      if (i < first || i > last) {
        row.remove();
        this.#rows.delete(i);
      }
    }
    const top = this.#topRow();
    const scaled = this.#scaled();
    for (let i = first; i <= last; i++) {
      let row = this.#rows.get(i);
      if (row === undefined) {
        row = this.#make(i);
        this.#rows.set(i, row);
        this.#spacer.appendChild(row);
      }
      // Scaled, a row sits relative to the scroll position; else at its own offset.
      const y = scaled ? this.#scroller.scrollTop + (i - top) * this.#rowHeight : i * this.#rowHeight;
      const transform = `translateY(${Math.round(y)}px)`;
      if (row.style.transform !== transform) row.style.transform = transform;
    }
    const changed = first !== this.#first || last !== this.#last;
    this.#first = first;
    this.#last = last;
    if (changed && last >= first) this.#onRange?.(first, last);
  }

  #make(i: number): HTMLElement {
    const row = this.#scroller.ownerDocument.createElement('div');
    row.style.position = 'absolute';
    row.style.top = '0';
    row.style.left = '0';
    row.style.minWidth = '100%';
    row.style.height = `${this.#rowHeight}px`;
    this.#render(i, row);
    return row;
  }

  #schedule(): void {
    this.#frame ??= requestAnimationFrame(() => {
      this.#frame = undefined;
      this.update();
    });
  }

  #fullHeight(): number {
    return this.#count * this.#rowHeight;
  }

  #scaled(): boolean {
    return this.#fullHeight() > this.#maxScrollPx;
  }

  #setHeight(): void {
    this.#spacer.style.height = `${Math.min(this.#fullHeight(), this.#maxScrollPx)}px`;
  }

  /** The fractional row index at the viewport's top. */
  #topRow(): number {
    const scrollTop = this.#scroller.scrollTop;
    if (!this.#scaled()) return scrollTop / this.#rowHeight;
    const view = this.#scroller.clientHeight;
    const range = Math.max(1, this.#maxScrollPx - view);
    const rows = Math.max(0, this.#count - view / this.#rowHeight);
    return (Math.min(scrollTop, range) / range) * rows;
  }

  #scrollTopFor(topRow: number): number {
    if (!this.#scaled()) return topRow * this.#rowHeight;
    const view = this.#scroller.clientHeight;
    const range = Math.max(1, this.#maxScrollPx - view);
    const rows = Math.max(1, this.#count - view / this.#rowHeight);
    return (Math.min(topRow, rows) / rows) * range;
  }
}
