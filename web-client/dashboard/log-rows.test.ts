// The log panel's row model: lines, section headers and error rows in order; folding hides a
// section's lines and what lies inside it; row ↔ line lookups agree.
import { describe, expect, it } from 'vitest';
import type { BuildErrorEntry, LogSection } from '../../protocol/build-state.js';
import { LogRows, sectionKey } from './log-rows.js';

const step = (id: string, from: number, to: number): LogSection => ({ kind: 'step', id, from, to, open: false, firstStderr: null });
const tool = (id: string, from: number, to: number): LogSection => ({ kind: 'tool', id, from, to, open: false, firstStderr: null });
const error = (line: number): BuildErrorEntry => ({ seq: 1, errorText: 'boom', line });

const describeRows = (rows: LogRows) =>
  Array.from({ length: rows.count }, (_, i) => {
    const row = rows.row(i)!;
    return row.kind === 'line' ? row.n : row.kind === 'section' ? `${row.collapsed ? '+' : '-'}${row.section.kind}:${row.section.id}` : `error@${row.error.line}`;
  });

describe('LogRows', () => {
  const sections = [step('1', 2, 6), tool('call-1', 3, 4), step('2', 7, 8)];
  const errors = [error(4), error(8)];

  it('places a header before each section and an error row after the line it followed', () => {
    const rows = new LogRows();
    rows.build(9, sections, errors, new Set());
    expect(describeRows(rows)).toEqual([1, '-step:1', 2, '-tool:call-1', 3, 4, 'error@4', 5, 6, '-step:2', 7, 8, 'error@8', 9]);
    for (let n = 1; n <= 9; n++) expect(rows.row(rows.rowOfLine(n))).toEqual({ kind: 'line', n });
    expect(rows.rowOfError(1)).toBe(12);
  });

  it('folding a step hides its lines, its tool runs and the errors inside it; the lines are found again when unfolded', () => {
    const rows = new LogRows();
    rows.build(9, sections, errors, new Set([sectionKey(sections[0]!)]));
    expect(describeRows(rows)).toEqual([1, '+step:1', '-step:2', 7, 8, 'error@8', 9]);
    expect(rows.rowOfLine(4)).toBe(-1);
    expect(rows.hiding(4)).toBe(true);
    expect(rows.hiding(7)).toBe(false);
    expect(rows.lineAtOrAfter(1)).toBe(7);
    rows.build(9, sections, errors, new Set([sectionKey(sections[1]!)]));
    expect(describeRows(rows)).toEqual([1, '-step:1', 2, '+tool:call-1', 'error@4', 5, 6, '-step:2', 7, 8, 'error@8', 9]);
  });

  it('ignores a section without lines and keeps a 200 000-line log to a few runs', () => {
    const rows = new LogRows();
    rows.build(200_000, [step('1', 1, 100_000), { ...step('2', 100_001, 100_000), open: true }, step('3', 100_001, 200_000)], [], new Set());
    expect(rows.count).toBe(200_002);
    expect(rows.rowOfLine(150_000)).toBe(150_001);
    expect(rows.row(100_001)).toMatchObject({ kind: 'section', section: { id: '3' } });
  });
});
