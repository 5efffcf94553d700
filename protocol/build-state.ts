// PROTOCOL §Event vocabulary and BuildState: the one reducer that turns a build's log into
// its state, run by the server for `/state` and by the browser for live updates.
//
// Purity: reduceEvent/reduceEvents never mutate their input state. They return a new
// state that shares every part the events did not touch with the input (copy-on-write).
// Within one reduceEvents call each touched part is copied once and then updated in
// place, so folding n events costs O(n + size of the touched parts), not O(n · state).
// Never mutate a state you got back: later states may share its parts. The copy-on-write
// working copy lives in build-state-draft.ts; what each event type does, in
// build-state-parsers.ts.
//
// Totality: whatever an event's `data` is, the reducer does not throw. Malformed data for
// a known type is counted in `counts.malformed` and otherwise ignored. Every dictionary
// (`texts`, `reasoning`, `data`, `counts.byType`) has a null prototype, so ids such as
// "__proto__" or "constructor" are ordinary keys; read them with Object.hasOwn.
import { AGENT_EVENT_TYPES } from './build-state-agent.js';
import { Draft, dict, type Dict, type Effect } from './build-state-draft.js';
import { parserOf } from './build-state-parsers.js';

export { LOG_TAIL_LINES } from './build-state-draft.js';

export type BuildStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled';
/** `error` is a failed input or execution; `output-denied` a person (or a rule) refused the call. */
export type ToolState = 'input-streaming' | 'input-available' | 'approval-requested' | 'approval-responded' | 'output-available' | 'output-denied' | 'error';
export type LogStream = 'stdout' | 'stderr';

export interface Tool {
  toolCallId: string;
  /** "" until an event names the tool. */
  toolName: string;
  state: ToolState;
  /** Concatenated `tool-input-delta`s. */
  inputText: string;
  input: unknown;
  output: unknown;
  errorText: string | null;
  /** Set by `tool-approval-request`; `approved` stays null until the answer. */
  approval: ToolApproval | null;
}

export interface ToolApproval {
  id: string;
  approved: boolean | null;
  /** Why approval was asked, then why it was given or refused. */
  reason: string | null;
  /** Decided by a rule (`toolApproval`), not a person. */
  automatic: boolean;
}

/** A tool call waiting for a person's answer (PROTOCOL §Event vocabulary: tool-approval-request). */
export interface PendingApproval {
  approvalId: string;
  toolCallId: string;
  toolName: string;
  input: unknown;
  seq: number;
  requestedAt: string | null;
}

export interface SourceEntry {
  seq: number;
  sourceId: string;
  kind: 'url' | 'document';
  /** `source-url` only. */
  url: string | null;
  title: string | null;
  /** `source-document` only. */
  mediaType: string | null;
  filename: string | null;
}

export interface FileEntry {
  seq: number;
  mediaType: string;
  /** The file's URL; null for a `data:` URL, whose content stays in the log and the messages. */
  url: string | null;
  /** When the event names one (the AI SDK's `file` chunk has none; a runner may add it). */
  filename: string | null;
  /** A `reasoning-file`: part of the model's reasoning rather than its answer. */
  reasoning: boolean;
}

export interface LogLine {
  seq: number;
  stream: LogStream;
  line: string;
}

export interface BuildErrorEntry {
  seq: number;
  errorText: string;
  /** `log` lines before this error: it sits after line `line` (0: before any). */
  line: number;
}

/**
 * A stretch of the log's lines (PROTOCOL §Log lines): a step (`start-step` … `finish-step`,
 * `id` its number from 1) or a run of consecutive lines tied to one tool call (`id` the
 * toolCallId). Lines `from..to`; `to < from` while an open step has none yet.
 */
export interface LogSection {
  kind: 'step' | 'tool';
  id: string;
  from: number;
  to: number;
  /** Still taking lines: the step has not finished, the tool's run not been interrupted. */
  open: boolean;
  /** The first stderr line inside, or null. */
  firstStderr: number | null;
}

export interface LogsState {
  /** Lines so far: the number of the last one (lines count from 1). */
  count: number;
  /** The last 500 lines. */
  tail: LogLine[];
  /** The number of the first stderr line, or null. */
  firstStderr: number | null;
  /** Steps and tool runs that hold lines, in the order they start; a tool run lies inside the step around it. */
  sections: LogSection[];
}

export interface BuildState {
  status: BuildStatus;
  phase: string | null;
  message: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  steps: number;
  /** In first-seen order. */
  tools: Tool[];
  /** Tool calls waiting for approval, oldest first; an answer, denial or output removes one. */
  approvals: PendingApproval[];
  /** `source-url` / `source-document`, in log order. */
  sources: SourceEntry[];
  /** `file` / `reasoning-file`, in log order. */
  files: FileEntry[];
  texts: Record<string, string>;
  reasoning: Record<string, string>;
  /** `data-*` events: key `type`, or `type/id` when the event names an id. */
  data: Record<string, unknown>;
  logs: LogsState;
  errors: BuildErrorEntry[];
  counts: { events: number; byType: Record<string, number>; malformed: number };
}

/** A committed event as the reducer reads it (a `LogEvent` fits). */
export interface ReducerEvent {
  readonly seq: number;
  readonly type: string;
  readonly data: unknown;
  readonly time?: string | null;
  readonly receivedAt: string;
}

/** The types the reducer gives a meaning to; `data-*` types are matched by prefix. */
export const KNOWN_EVENT_TYPES = [
  'start', 'start-step', 'finish-step',
  'text-start', 'text-delta', 'text-end',
  'reasoning-start', 'reasoning-delta', 'reasoning-end',
  'tool-input-start', 'tool-input-delta', 'tool-input-available', 'tool-output-available',
  'tool-input-error', 'tool-output-error',
  ...AGENT_EVENT_TYPES,
  'log', 'status', 'error', 'finish', 'abort',
] as const;

export { DATA_EVENT_PREFIX } from './build-state-parsers.js';

export function initialBuildState(): BuildState {
  return {
    status: 'pending',
    phase: null,
    message: null,
    startedAt: null,
    finishedAt: null,
    steps: 0,
    tools: [],
    approvals: [],
    sources: [],
    files: [],
    texts: dict(),
    reasoning: dict(),
    data: dict(),
    logs: { count: 0, tail: [], firstStderr: null, sections: [] },
    errors: [],
    counts: { events: 0, byType: dict(), malformed: 0 },
  };
}

export function reduceEvent(state: BuildState, event: ReducerEvent): BuildState {
  return reduceEvents(state, [event]);
}

/** Folds `events` (in seq order) into `state`; `reduceEvents(reduceEvents(s, a), b)` equals `reduceEvents(s, [...a, ...b])`. */
export function reduceEvents(state: BuildState, events: Iterable<ReducerEvent>): BuildState {
  let draft: Draft | undefined;
  for (const event of events) {
    draft ??= new Draft(state);
    apply(draft, event);
  }
  return draft === undefined ? state : draft.finish();
}

function apply(draft: Draft, event: ReducerEvent): void {
  const type = String(event.type);
  draft.count(type);
  const parse = parserOf(type);
  if (parse === undefined) return; // unknown types are only counted
  let effect: Effect | undefined;
  try {
    // Parsing only reads `data`; a hostile value (throwing getter, revoked proxy) is
    // malformed data, and nothing has been written yet when it throws.
    effect = parse(event.data);
  } catch {
    effect = undefined;
  }
  if (effect === undefined) {
    draft.malformed();
    return;
  }
  const at = typeof event.time === 'string' ? event.time : typeof event.receivedAt === 'string' ? event.receivedAt : null;
  effect(draft, event.seq, at);
}
