// PROTOCOL §Event vocabulary and BuildState: the one reducer that turns a build's log into
// its state, run by the server for `/state` and by the browser for live updates.
//
// Purity: reduceEvent/reduceEvents never mutate their input state. They return a new
// state that shares every part the events did not touch with the input (copy-on-write).
// Within one reduceEvents call each touched part is copied once and then updated in
// place, so folding n events costs O(n + size of the touched parts), not O(n · state).
// Never mutate a state you got back: later states may share its parts. The copy-on-write
// working copy lives in build-state-draft.ts.
//
// Totality: whatever an event's `data` is, the reducer does not throw. Malformed data for
// a known type is counted in `counts.malformed` and otherwise ignored. Every dictionary
// (`texts`, `reasoning`, `data`, `counts.byType`) has a null prototype, so ids such as
// "__proto__" or "constructor" are ordinary keys; read them with Object.hasOwn.
import { AGENT_PARSERS, AGENT_EVENT_TYPES } from './build-state-agent.js';
import { Draft, dict, type Dict, type Effect, type Parser } from './build-state-draft.js';
import { logLineOf } from './log-line.js';

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

export const DATA_EVENT_PREFIX = 'data-';

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
  const parse = PARSERS.get(type) ?? (type.startsWith(DATA_EVENT_PREFIX) ? parseDataPart(type) : undefined);
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

type Rec = Readonly<Record<string, unknown>>;

function record(data: unknown): Rec | undefined {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Rec) : undefined;
}

const EMPTY: Rec = Object.freeze(dict<unknown>());

/** For types whose fields are all optional: absent/null data reads as `{}`. */
function optionalRecord(data: unknown): Rec | undefined {
  return data === null || data === undefined ? EMPTY : record(data);
}

function own(r: Rec, key: string): unknown {
  return Object.hasOwn(r, key) ? r[key] : undefined;
}

/** A required string field. */
function str(r: Rec, key: string): string | undefined {
  const v = own(r, key);
  return typeof v === 'string' ? v : undefined;
}

/** An optional string field: `null` when absent, `undefined` (malformed) when not a string. */
function optStr(r: Rec, key: string): string | null | undefined {
  const v = own(r, key);
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : undefined;
}

function parseNothing(apply: Effect): Parser {
  return (data) => (optionalRecord(data) === undefined ? undefined : apply);
}

/**
 * text-* and reasoning-*: `{id, delta?}` accumulates into `texts[id]` / `reasoning[id]`. A delta
 * or end for an id no `-start` opened is malformed (the AI SDK refuses it too).
 */
function parseTextPart(kind: 'texts' | 'reasoning', opens: boolean): Parser {
  return (data) => {
    const r = record(data);
    if (r === undefined) return undefined;
    const id = str(r, 'id');
    const delta = optStr(r, 'delta');
    if (id === undefined || delta === undefined) return undefined;
    return (d) => {
      if (!opens && !Object.hasOwn(d.state[kind], id)) {
        d.malformed();
        return;
      }
      const texts = d.texts(kind);
      const before = Object.hasOwn(texts, id) ? (texts[id] ?? '') : '';
      // Providers number text parts per step ("0", "1", …), so an id comes back in the next
      // step or message: a new `-start` of an id that holds text begins a new paragraph.
      const separator = opens && before !== '' ? '\n\n' : '';
      texts[id] = before + separator + (delta ?? '');
    };
  };
}

/**
 * tool-*: `{toolCallId, toolName?, …}`; `update` reads the type's own fields (undefined =
 * malformed). `opens`: the type may name a new tool call (an input); the others (deltas,
 * outputs) name one that must exist, else the event is malformed, as the AI SDK refuses it.
 */
function parseToolPart(opens: boolean, update: (r: Rec) => ((tool: Tool) => void) | undefined): Parser {
  return (data) => {
    const r = record(data);
    if (r === undefined) return undefined;
    const toolCallId = str(r, 'toolCallId');
    const toolName = optStr(r, 'toolName');
    if (toolCallId === undefined || toolName === undefined) return undefined;
    const apply = update(r);
    if (apply === undefined) return undefined;
    return (d) => {
      if (!opens && !d.hasTool(toolCallId)) {
        d.malformed();
        return;
      }
      const tool = d.tool(toolCallId, toolName ?? undefined);
      apply(tool);
      d.settleApproval(tool);
    };
  };
}

function parseToolError(r: Rec): ((tool: Tool) => void) | undefined {
  const errorText = str(r, 'errorText');
  if (errorText === undefined) return undefined;
  const hasInput = Object.hasOwn(r, 'input');
  const input = own(r, 'input') ?? null;
  return (tool) => {
    tool.state = 'error';
    tool.errorText = errorText;
    if (hasInput) tool.input = input;
  };
}

/** `data-*`: `{id?, data}` sets `data[type]` or `data[type/id]` to the latest value. */
function parseDataPart(type: string): Parser {
  return (data) => {
    const r = record(data);
    if (r === undefined || !Object.hasOwn(r, 'data')) return undefined;
    const id = optStr(r, 'id');
    if (id === undefined) return undefined;
    const key = id === null ? type : `${type}/${id}`;
    const value = own(r, 'data') ?? null;
    return (d) => {
      d.data()[key] = value;
    };
  };
}

const FINISH_STATUSES: ReadonlySet<unknown> = new Set<BuildStatus>(['succeeded', 'failed', 'canceled']);

// A Map, not an object literal: a type named "constructor" or "__proto__" must not find
// anything on Object.prototype.
const PARSERS: ReadonlyMap<string, Parser> = new Map<string, Parser>([
  ['start', parseNothing((d, _seq, at) => {
    d.state.status = 'running';
    d.state.startedAt ??= at; // a second `start` does not move the build's start
  })],
  ['start-step', parseNothing((d) => {
    d.state.steps += 1;
    d.startStep(String(d.state.steps));
  })],
  ['finish-step', parseNothing((d) => d.finishStep())],
  ['text-start', parseTextPart('texts', true)],
  ['text-delta', parseTextPart('texts', false)],
  ['text-end', parseTextPart('texts', false)],
  ['reasoning-start', parseTextPart('reasoning', true)],
  ['reasoning-delta', parseTextPart('reasoning', false)],
  ['reasoning-end', parseTextPart('reasoning', false)],
  ['tool-input-start', parseToolPart(true, () => (tool) => {
    tool.state = 'input-streaming';
  })],
  ['tool-input-delta', parseToolPart(false, (r) => {
    const delta = str(r, 'inputTextDelta');
    if (delta === undefined) return undefined;
    return (tool) => {
      tool.inputText += delta;
    };
  })],
  ['tool-input-available', parseToolPart(true, (r) => {
    const input = own(r, 'input') ?? null;
    return (tool) => {
      tool.state = 'input-available';
      tool.input = input;
    };
  })],
  ['tool-output-available', parseToolPart(false, (r) => {
    const output = own(r, 'output') ?? null;
    return (tool) => {
      tool.state = 'output-available';
      tool.output = output;
    };
  })],
  ['tool-input-error', parseToolPart(true, parseToolError)],
  ['tool-output-error', parseToolPart(false, parseToolError)],
  ...AGENT_PARSERS,
  ['log', (data) => {
    const line = logLineOf(data);
    if (line === undefined) return undefined;
    return (d, seq) => d.pushLog({ seq, stream: line.stream, line: line.line }, line.toolCallId);
  }],
  ['status', (data) => {
    const r = record(data);
    if (r === undefined) return undefined;
    const phase = str(r, 'phase');
    const message = optStr(r, 'message');
    if (phase === undefined || message === undefined) return undefined;
    return (d) => {
      d.state.phase = phase;
      d.state.message = message; // a new phase clears the previous phase's message
    };
  }],
  ['error', (data) => {
    const r = record(data);
    const errorText = r === undefined ? undefined : str(r, 'errorText');
    if (errorText === undefined) return undefined;
    return (d, seq) => d.pushError({ seq, errorText, line: d.state.logs.count });
  }],
  ['finish', (data) => {
    const r = optionalRecord(data);
    if (r === undefined) return undefined;
    const status = own(r, 'status');
    // The AI SDK's `finish` chunk (it carries `finishReason`) ends one message's stream, not
    // the build: an agent waiting for an approval has finished its message and is not done.
    // The build ends with the runner's own `finish` (`{status?}`).
    if ((status === undefined || status === null) && Object.hasOwn(r, 'finishReason')) return () => {};
    // An unknown status still finishes the build (the runner is done either way), as
    // "succeeded", the default; it is counted as malformed so the oddity stays visible.
    const known = status === undefined || status === null || FINISH_STATUSES.has(status);
    return (d, _seq, at) => {
      if (!known) d.malformed();
      d.state.status = known && status != null ? (status as BuildStatus) : 'succeeded';
      d.state.finishedAt = at;
    };
  }],
  ['abort', parseNothing((d, _seq, at) => {
    d.state.status = 'canceled';
    d.state.finishedAt = at;
  })],
]);
