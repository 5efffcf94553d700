// What each type of the event vocabulary does to a BuildState (PROTOCOL §Event vocabulary):
// a parser per type that reads an event's `data` and returns the effect on the draft, or
// undefined when the data is malformed. `build-state.ts` runs them; the AI SDK's chunk types
// beyond texts and tools are in `build-state-agent.ts`.
import { AGENT_PARSERS } from './build-state-agent.js';
import { dict, type Effect, type Parser } from './build-state-draft.js';
import type { BuildStatus, Tool } from './build-state.js';
import { logLineOf } from './log-line.js';

export const DATA_EVENT_PREFIX = 'data-';

/** The parser of an event type: undefined for a type the reducer only counts. */
export function parserOf(type: string): Parser | undefined {
  return PARSERS.get(type) ?? (type.startsWith(DATA_EVENT_PREFIX) ? parseDataPart(type) : undefined);
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
