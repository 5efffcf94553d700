// The log panel's rows: every line of the log, with a header row before each step and tool run
// (PROTOCOL §Log lines, `logs.sections`) and an error row where each `error` event fell. A
// collapsed section shows its header only. Rows are runs, so a 200 000-line log with a few
// hundred sections is a few hundred entries, and row ↔ line lookups are binary searches.
import type { BuildErrorEntry, LogSection } from '../../protocol/build-state.js';

export type Row =
  | { readonly kind: 'line'; readonly n: number }
  | { readonly kind: 'section'; readonly section: LogSection; readonly key: string; readonly collapsed: boolean; readonly depth: number }
  | { readonly kind: 'error'; readonly error: BuildErrorEntry; readonly index: number };

type Run =
  | { readonly kind: 'lines'; readonly start: number; readonly from: number; readonly to: number }
  | { readonly kind: 'row'; readonly start: number; readonly row: Row };

/** A section's identity across renders: kind, id and first line. */
export function sectionKey(section: LogSection): string {
  return `${section.kind}:${section.id}:${section.from}`;
}

export class LogRows {
  #runs: Run[] = [];
  #count = 0;
  /** The runs of lines alone, ascending: line → row by binary search. */
  #lineRuns: Array<Extract<Run, { kind: 'lines' }>> = [];
  /** Collapsed sections by key, with their line ranges, in order. */
  #collapsedRanges: Array<{ from: number; to: number; row: number }> = [];

  /** Rows in all. */
  get count(): number {
    return this.#count;
  }

  /** Rebuilds the rows for `lines` lines. */
  build(lines: number, sections: readonly LogSection[], errors: readonly BuildErrorEntry[], collapsed: ReadonlySet<string>): void {
    type Marker = { pos: number; rank: number; section?: LogSection; error?: BuildErrorEntry; index?: number };
    const markers: Marker[] = [];
    for (const section of sections) if (section.to >= section.from) markers.push({ pos: section.from, rank: section.kind === 'step' ? 1 : 2, section });
    errors.forEach((error, index) => markers.push({ pos: Math.min(error.line, lines) + 1, rank: 0, error, index }));
    markers.sort((a, b) => a.pos - b.pos || a.rank - b.rank);

    const runs: Run[] = [];
    const ranges: Array<{ from: number; to: number; row: number }> = [];
    let rows = 0;
    let next = 1; // the next line to place
    let hiddenTo = 0; // lines up to here are inside a collapsed section
    const steps: LogSection[] = []; // the step around the cursor, for tool-run depth
    const emitLines = (to: number) => {
      if (to >= next) {
        runs.push({ kind: 'lines', start: rows, from: next, to });
        rows += to - next + 1;
        next = to + 1;
      }
    };
    for (const m of markers) {
      emitLines(Math.min(m.pos - 1, lines));
      if (m.section) {
        const s = m.section;
        if (s.from <= hiddenTo) continue;
        if (s.kind === 'step') steps[0] = s;
        const step = steps[0];
        const depth = s.kind === 'tool' && step !== undefined && s.from >= step.from && s.from <= step.to ? 1 : 0;
        const key = sectionKey(s);
        const isCollapsed = collapsed.has(key);
        runs.push({ kind: 'row', start: rows, row: { kind: 'section', section: s, key, collapsed: isCollapsed, depth } });
        if (isCollapsed) {
          ranges.push({ from: s.from, to: s.to, row: rows });
          hiddenTo = Math.max(hiddenTo, s.to);
          next = Math.max(next, Math.min(s.to, lines) + 1);
        }
        rows += 1;
      } else if (m.error && m.index !== undefined) {
        if (m.error.line < hiddenTo) continue;
        runs.push({ kind: 'row', start: rows, row: { kind: 'error', error: m.error, index: m.index } });
        rows += 1;
      }
    }
    emitLines(lines);
    this.#runs = runs;
    this.#lineRuns = runs.filter((r): r is Extract<Run, { kind: 'lines' }> => r.kind === 'lines');
    this.#count = rows;
    this.#collapsedRanges = ranges;
  }

  row(index: number): Row | undefined {
    const run = this.#runAt(index);
    if (run === undefined) return undefined;
    return run.kind === 'row' ? run.row : { kind: 'line', n: run.from + (index - run.start) };
  }

  /** The row showing line `n`, or -1 when a collapsed section hides it. */
  rowOfLine(n: number): number {
    const runs = this.#lineRuns;
    let lo = 0;
    let hi = runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const run = runs[mid]!;
      if (n < run.from) hi = mid - 1;
      else if (n > run.to) lo = mid + 1;
      else return run.start + (n - run.from);
    }
    return -1;
  }

  /** The row of the `index`-th error. */
  rowOfError(index: number): number {
    for (const run of this.#runs) if (run.kind === 'row' && run.row.kind === 'error' && run.row.index === index) return run.start;
    return -1;
  }

  /** The first line at or after row `index`, for placing the viewport by line. */
  lineAtOrAfter(index: number): number | undefined {
    for (let r = index; r < this.#count; r++) {
      const row = this.row(r);
      if (row?.kind === 'line') return row.n;
      if (r - index > 50) return undefined;
    }
    return undefined;
  }

  /** Whether a collapsed section hides line `n`. */
  hiding(n: number): boolean {
    return this.#collapsedRanges.some((r) => n >= r.from && n <= r.to);
  }

  #runAt(index: number): Run | undefined {
    let lo = 0;
    let hi = this.#runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const run = this.#runs[mid]!;
      const size = run.kind === 'lines' ? run.to - run.from + 1 : 1;
      if (index < run.start) hi = mid - 1;
      else if (index >= run.start + size) lo = mid + 1;
      else return run;
    }
    return undefined;
  }
}
