// Where the log panel opens (the earliest error, or a failed tool's) and the sections named
// above the rows for a line.
import { describe, expect, it } from 'vitest';
import { initialBuildState, type BuildState, type LogSection, type Tool } from '../../protocol/build-state.js';
import { firstErrorTarget, sectionsAround } from './log-landmarks.js';

const section = (kind: LogSection['kind'], id: string, from: number, to: number, firstStderr: number | null = null): LogSection => ({ kind, id, from, to, open: false, firstStderr });
const tool = (toolCallId: string, toolName: string, state: Tool['state']): Tool =>
  ({ toolCallId, toolName, state, inputText: '', input: undefined, output: undefined, errorText: null, approval: null });

function stateWith(parts: { sections?: LogSection[]; tools?: Tool[]; firstStderr?: number | null; errorLines?: number[] }): BuildState {
  const base = initialBuildState();
  return {
    ...base,
    logs: { ...base.logs, count: 100, sections: parts.sections ?? [], firstStderr: parts.firstStderr ?? null },
    tools: parts.tools ?? [],
    errors: (parts.errorLines ?? []).map((line, i) => ({ seq: i + 1, errorText: 'boom', line })),
  };
}

describe('firstErrorTarget', () => {
  it('is the earliest of the first stderr line, the first error event and a failed tool', () => {
    const sections = [section('tool', 'call-1', 10, 20, 15), section('tool', 'call-2', 30, 40)];
    const tools = [tool('call-1', 'bash', 'error'), tool('call-2', 'edit', 'error')];
    expect(firstErrorTarget(stateWith({ sections, tools, firstStderr: 50, errorLines: [60] }))).toEqual({ kind: 'line', n: 15 });
    // An error event after line 12 comes before line 13, not before line 12.
    expect(firstErrorTarget(stateWith({ sections, tools, firstStderr: 13, errorLines: [12] }))).toEqual({ kind: 'error', index: 0 });
    expect(firstErrorTarget(stateWith({ sections, tools, firstStderr: 12, errorLines: [12] }))).toEqual({ kind: 'line', n: 12 });
  });

  it("points at a failed tool's last line when it wrote no stderr, and skips tools that did not fail", () => {
    const sections = [section('tool', 'ok', 1, 5, 2), section('tool', 'bad', 6, 9)];
    expect(firstErrorTarget(stateWith({ sections, tools: [tool('ok', 'bash', 'output-available'), tool('bad', 'bash', 'error')] }))).toEqual({ kind: 'line', n: 9 });
  });

  it('with toolsOnly, ignores stderr and error events: a build that did not fail opens at a failed tool or not at all', () => {
    const state = stateWith({ firstStderr: 3, errorLines: [4] });
    expect(firstErrorTarget(state)).toEqual({ kind: 'line', n: 3 });
    expect(firstErrorTarget(state, true)).toBeUndefined();
  });
});

describe('sectionsAround', () => {
  const sections = [section('step', '1', 1, 50), section('tool', 'call-1', 10, 20), section('step', '2', 51, 90)];

  it('names the step and the tool run a line is in, outermost first, and says when the tool failed', () => {
    expect(sectionsAround(stateWith({ sections, tools: [tool('call-1', 'bash', 'error')] }), 12)).toEqual({ names: ['Step 1', 'bash call-1'], failed: true });
    expect(sectionsAround(stateWith({ sections, tools: [] }), 12)).toEqual({ names: ['Step 1', 'tool call-1'], failed: false });
    expect(sectionsAround(stateWith({ sections }), 60)).toEqual({ names: ['Step 2'], failed: false });
    expect(sectionsAround(stateWith({ sections }), 95)).toEqual({ names: [], failed: false });
  });
});
