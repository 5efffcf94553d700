// PROTOCOL §Event vocabulary, `log`: which events are lines of the build's output. One rule for
// the reducer (`logs.count`) and the server (line numbers of §Log lines), so that line n is the
// same line for every reader.
import type { LogStream } from './build-state.js';

/** The `data` of a `log` event that counts as a line. */
export interface LogLineData {
  readonly stream: LogStream;
  /** The text, without its line ending; may hold ANSI sequences and `\r` rewrites. */
  readonly line: string;
  /** The tool call this output belongs to, when the runner ties it to one. */
  readonly toolCallId: string | null;
}

export const LOG_EVENT_TYPE = 'log';

/**
 * `data` of a `log` event read as a line, or undefined when it is malformed (not an object,
 * `stream` not stdout/stderr, `line` not a string, `toolCallId` present but not a string).
 */
export function logLineOf(data: unknown): LogLineData | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const r = data as Readonly<Record<string, unknown>>;
  const stream = Object.hasOwn(r, 'stream') ? r.stream : undefined;
  const line = Object.hasOwn(r, 'line') ? r.line : undefined;
  const toolCallId = Object.hasOwn(r, 'toolCallId') ? r.toolCallId : undefined;
  if ((stream !== 'stdout' && stream !== 'stderr') || typeof line !== 'string') return undefined;
  if (toolCallId !== undefined && toolCallId !== null && typeof toolCallId !== 'string') return undefined;
  return { stream, line, toolCallId: toolCallId ?? null };
}
