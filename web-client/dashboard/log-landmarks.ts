// The places in a build's log the panel points at: the first error a page opens at, and the
// steps and tool runs around a line (the context shown above the rows).
import type { BuildState } from '../../protocol/build-state.js';

/** A line of the log, or the row of the build's `index`th `error` event. */
export type LogTarget = { kind: 'line'; n: number } | { kind: 'error'; index: number };

/**
 * The earliest error: the first stderr line, the first `error` event, or a failed tool's
 * first stderr line (its last line when it has none); `toolsOnly`, the failed tools' alone.
 */
export function firstErrorTarget(state: BuildState, toolsOnly = false): LogTarget | undefined {
  const candidates: Array<{ at: number; target: LogTarget }> = [];
  if (state.logs.firstStderr !== null && !toolsOnly) candidates.push({ at: state.logs.firstStderr, target: { kind: 'line', n: state.logs.firstStderr } });
  // An error event's row follows the line it came after.
  if (state.errors.length > 0 && !toolsOnly) candidates.push({ at: state.errors[0]!.line + 0.5, target: { kind: 'error', index: 0 } });
  const failedTools = new Set(state.tools.filter((t) => t.state === 'error').map((t) => t.toolCallId));
  for (const s of state.logs.sections) {
    if (s.kind !== 'tool' || !failedTools.has(s.id) || s.to < s.from) continue;
    const n = s.firstStderr ?? s.to;
    candidates.push({ at: n, target: { kind: 'line', n } });
  }
  candidates.sort((a, b) => a.at - b.at);
  return candidates[0]?.target;
}

/** The steps and tool runs line `n` is inside, outermost first, and whether one of the tools failed. */
export function sectionsAround(state: BuildState, n: number): { readonly names: string[]; readonly failed: boolean } {
  const names: string[] = [];
  let failed = false;
  for (const s of state.logs.sections) {
    if (s.from > n) break;
    if (n > s.to) continue;
    if (s.kind === 'step') names.push(`Step ${s.id}`);
    else {
      const tool = state.tools.find((t) => t.toolCallId === s.id);
      names.push(`${tool?.toolName || 'tool'} ${s.id}`);
      failed ||= tool?.state === 'error';
    }
  }
  return { names, failed };
}
