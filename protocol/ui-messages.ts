// PROTOCOL §UI messages: the second reducer of a build's log. It folds the AI SDK UI message
// chunks among a build's events into the `UIMessage[]` the AI SDK's own `readUIMessageStream`
// assembles — one message per `start` chunk — for `GET …/messages` and for browsers that render
// a remote build with the components they use for `useChat`.
//
// It follows AI SDK 7.x's processUIMessageStream chunk by chunk (the differential tests in
// test/ai-sdk-*.test.ts and ui-messages.property.test.ts hold it to the real library), except:
// - a chunk the SDK would reject (a delta for a text that is not open, an output for an unknown
//   tool call, a shape its schema refuses) is counted in `malformed` and skipped, where the SDK
//   ends the stream: a build's log is not a stream that can be abandoned half way;
// - a `start` begins a new message unless its `messageId` is the open message's id, which
//   continues that message (what `useChat` does after a person answers an approval);
// - the state is served after every event, where readUIMessageStream yields a snapshot only
//   when a chunk changes what it shows (a trailing `start-step` shows with the next chunk).
//
// Pure and copy-on-write like build-state.ts: reduceMessages never mutates its input, and the
// state it returns shares what the events did not touch. Total: nothing in `data` makes it throw.
import { parsePartialJson } from './partial-json.js';
import { field, isUIChunkType as isChunkType, readUIChunk, type UIChunk } from './ui-chunk.js';
import { MessagesDraft, emptyStream } from './ui-messages-draft.js';
import { currentStepStart, findInCurrentStep, findToolInvocation, isToolPart, put, staticToolName, updateTool, withoutUndefined } from './ui-message-parts.js';
import { mergeObjects } from './merge-objects.js';
import type { JsonObject, ProviderMetadata, ToolApprovalUI, ToolUIPartState, UIMessage, UIMessagePart } from './ui-message.js';

/** A tool call whose input is streaming: what the next `tool-input-delta` needs (the SDK's partial tool call). */
export interface ToolInputStream {
  /** The input text so far. */
  text: string;
  toolName: string;
  dynamic: boolean;
  inputEncoding?: 'json' | 'text';
  title?: string;
  toolMetadata?: JsonObject;
}

/** The open message's bookkeeping: how chunk ids map onto its parts. Part of the /messages snapshot. */
export interface MessageStream {
  /** Open text parts: chunk id → part index in the last message. */
  texts: Record<string, number>;
  /** Open reasoning parts: chunk id → part index. */
  reasoning: Record<string, number>;
  /** Tool calls whose input may still stream, by toolCallId. */
  toolInputs: Record<string, ToolInputStream>;
}

export interface MessagesState {
  readonly messages: readonly UIMessage[];
  /** Null until the first message begins. */
  readonly stream: MessageStream | null;
  /** UI chunks skipped: a shape the SDK's schema refuses, or a chunk the SDK would reject here. */
  readonly malformed: number;
}

/** An event as the fold reads it (a `LogEvent` fits). */
export interface MessageEvent {
  readonly type: string;
  readonly data: unknown;
}

export function initialMessagesState(): MessagesState {
  return { messages: [], stream: null, malformed: 0 };
}

/** Folds `events` (in seq order); `reduceMessages(reduceMessages(s, a), b)` equals `reduceMessages(s, [...a, ...b])`. */
export function reduceMessages(state: MessagesState, events: Iterable<MessageEvent>): MessagesState {
  let draft: MessagesDraft | undefined;
  for (const event of events) {
    const type = String(event.type);
    const chunk = readUIChunk(type, event.data);
    if (chunk === undefined) {
      // Not a UI chunk type (log, status, …): not the messages' business. A UI type with bad data: malformed.
      if (isChunkType(type)) (draft ??= new MessagesDraft(state)).malformed();
      continue;
    }
    draft ??= new MessagesDraft(state);
    let accepted: boolean;
    try {
      accepted = apply(draft, chunk);
    } catch {
      accepted = false; // mergeObjects on primitive metadata throws in the SDK too
    }
    if (!accepted) draft.malformed();
  }
  return draft === undefined ? state : draft.finish();
}

type Handler = (d: MessagesDraft, c: UIChunk) => boolean;

function apply(d: MessagesDraft, c: UIChunk): boolean {
  const handler = HANDLERS.get(c.type) ?? (c.type.startsWith('data-') ? dataPart : undefined);
  return handler === undefined ? true : handler(d, c);
}

/** Text and reasoning parts: `-start` opens a part under the chunk id, `-delta` appends, `-end` closes. */
function textHandlers(kind: 'texts' | 'reasoning'): [Handler, Handler, Handler] {
  const start: Handler = (d, c) => {
    const id = field.str(c, 'id');
    const part = kind === 'texts'
      ? { type: 'text' as const, text: '', providerMetadata: field.providerMetadata(c), state: 'streaming' as const }
      : { type: 'reasoning' as const, id, text: '', providerMetadata: field.providerMetadata(c), state: 'streaming' as const };
    const index = d.push(withoutUndefined(part));
    d.writableStream()[kind][id] = index;
    return true;
  };
  const open = (d: MessagesDraft, c: UIChunk): number | undefined => {
    const map = d.stream?.[kind];
    const id = field.str(c, 'id');
    return map !== undefined && Object.hasOwn(map, id) ? map[id] : undefined;
  };
  const delta: Handler = (d, c) => {
    const index = open(d, c);
    if (index === undefined) return false;
    const part = d.part<{ type: 'text'; text: string; providerMetadata?: ProviderMetadata }>(index);
    part.text += field.str(c, 'delta');
    put(part, 'providerMetadata', field.providerMetadata(c) ?? part.providerMetadata);
    return true;
  };
  const end: Handler = (d, c) => {
    const index = open(d, c);
    if (index === undefined) return false;
    const part = d.part<{ type: 'text'; state?: string; citations?: unknown; providerMetadata?: ProviderMetadata }>(index);
    part.state = 'done';
    const citations = field.citations(c);
    if (kind === 'texts' && citations != null) part.citations = citations;
    put(part, 'providerMetadata', field.providerMetadata(c) ?? part.providerMetadata);
    delete d.writableStream()[kind][field.str(c, 'id')];
    return true;
  };
  return [start, delta, end];
}

/** A chunk that names a tool call the open message must hold. */
function onToolInvocation(update: (d: MessagesDraft, c: UIChunk, index: number) => void): Handler {
  return (d, c) => {
    const index = findToolInvocation(d.parts, field.str(c, 'toolCallId'));
    if (index === -1) return false;
    update(d, c, index);
    return true;
  };
}

/** The SDK's updateMessageMetadata: merged into the message's metadata; may throw for primitives, as the SDK's does. */
function updateMetadata(d: MessagesDraft, metadata: unknown): void {
  if (metadata == null) return;
  const current = d.last?.metadata;
  const merged = current != null ? mergeObjects(current, metadata) : metadata;
  d.message().metadata = merged;
}

/** The bookkeeping a continued message starts with: the SDK's createStreamingUIMessageState(lastMessage). */
function continuedStream(message: UIMessage): ReturnType<typeof emptyStream> {
  const stream = emptyStream();
  for (const part of message.parts.slice(currentStepStart(message.parts))) {
    if (!isToolPart(part) || part.state !== 'input-streaming') continue;
    const dynamic = part.type === 'dynamic-tool';
    stream.toolInputs[part.toolCallId] = withoutUndefined({
      text: typeof part.rawInput === 'string' ? part.rawInput : '',
      toolName: dynamic ? (part as { toolName: string }).toolName : staticToolName(part),
      dynamic,
      inputEncoding: part.inputEncoding,
      title: part.title,
      toolMetadata: part.toolMetadata,
    });
  }
  return stream;
}

const [textStart, textDelta, textEnd] = textHandlers('texts');
const [reasoningStart, reasoningDelta, reasoningEnd] = textHandlers('reasoning');

const dataPart: Handler = (d, c) => {
  if (c['transient']) return true; // transient data goes to onData only, never into the message
  const id = c['id'];
  const index = id == null ? -1 : d.parts.findIndex((p) => p.type === c.type && (p as { id?: unknown }).id === id);
  if (index === -1) d.push(c as unknown as UIMessagePart);
  else d.part<{ type: `data-${string}`; data: unknown }>(index).data = c['data'];
  return true;
};

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['start', (d, c) => {
    const messageId = field.optStr(c, 'messageId');
    const last = d.last;
    if (last !== undefined && messageId !== undefined && messageId === last.id) {
      const stream = continuedStream(last);
      updateMetadata(d, c['messageMetadata']); // throws before anything changed if it cannot merge
      d.setStream(stream);
      return true;
    }
    const metadata = c['messageMetadata'];
    d.begin({ id: messageId ?? '', role: 'assistant', ...(metadata != null ? { metadata } : {}), parts: [] });
    return true;
  }],
  ['finish', (d, c) => (updateMetadata(d, c['messageMetadata']), true)],
  ['message-metadata', (d, c) => (updateMetadata(d, c['messageMetadata']), true)],
  ['abort', () => true],
  ['error', () => true],
  ['start-step', (d) => (d.push({ type: 'step-start' }), true)],
  ['finish-step', () => true],
  ['reset-step', (d) => {
    if (d.stream === null) return true;
    const from = currentStepStart(d.parts);
    d.setStream(emptyStream());
    if (from < d.parts.length) d.truncate(from);
    return true;
  }],
  ['text-start', textStart],
  ['text-delta', textDelta],
  ['text-end', textEnd],
  ['reasoning-start', reasoningStart],
  ['reasoning-delta', reasoningDelta],
  ['reasoning-end', reasoningEnd],
  ['custom', (d, c) => (d.push(withoutUndefined({ type: 'custom', kind: field.str(c, 'kind') as `${string}.${string}`, providerMetadata: field.providerMetadata(c) })), true)],
  ['file', (d, c) => (d.push(withoutUndefined({ type: 'file', mediaType: field.str(c, 'mediaType'), url: field.str(c, 'url'), providerMetadata: field.providerMetadata(c) })), true)],
  ['reasoning-file', (d, c) => (d.push(withoutUndefined({ type: 'reasoning-file', mediaType: field.str(c, 'mediaType'), url: field.str(c, 'url'), providerMetadata: field.providerMetadata(c) })), true)],
  ['source-url', (d, c) => {
    d.push(withoutUndefined({ type: 'source-url', sourceId: field.str(c, 'sourceId'), url: field.str(c, 'url'), title: field.optStr(c, 'title'), providerMetadata: field.providerMetadata(c) }));
    return true;
  }],
  ['source-document', (d, c) => {
    d.push(withoutUndefined({
      type: 'source-document', sourceId: field.str(c, 'sourceId'), mediaType: field.str(c, 'mediaType'), title: field.str(c, 'title'),
      filename: field.optStr(c, 'filename'), providerMetadata: field.providerMetadata(c),
    }));
    return true;
  }],
  ['steering-message', (d, c) => (d.push({ type: 'steering-message', id: field.str(c, 'id'), parts: c['parts'] as never }), true)],
  ['tool-input-start', (d, c) => {
    const toolCallId = field.str(c, 'toolCallId');
    const dynamic = field.optBool(c, 'dynamic') === true;
    const inputEncoding = c['inputEncoding'] as 'json' | 'text' | undefined;
    d.setToolInput(toolCallId, withoutUndefined({
      text: '', toolName: field.str(c, 'toolName'), dynamic, inputEncoding, title: field.optStr(c, 'title'), toolMetadata: field.toolMetadata(c),
    }));
    updateTool(d, dynamic, {
      toolCallId, toolName: field.str(c, 'toolName'), state: 'input-streaming', inputEncoding, input: undefined,
      providerExecuted: field.optBool(c, 'providerExecuted'), title: field.optStr(c, 'title'), toolMetadata: field.toolMetadata(c), providerMetadata: field.providerMetadata(c),
    });
    return true;
  }],
  ['tool-input-delta', (d, c) => {
    const toolCallId = field.str(c, 'toolCallId');
    const inputs = d.stream?.toolInputs;
    const partial = inputs !== undefined && Object.hasOwn(inputs, toolCallId) ? inputs[toolCallId] : undefined;
    if (partial === undefined) return false;
    const text = partial.text + field.str(c, 'inputTextDelta');
    d.setToolInput(toolCallId, { ...partial, text });
    updateTool(d, partial.dynamic, {
      toolCallId, toolName: partial.toolName, state: 'input-streaming', inputEncoding: partial.inputEncoding,
      input: partial.inputEncoding === 'text' ? text : parsePartialJson(text), rawInput: text, title: partial.title, toolMetadata: partial.toolMetadata,
    });
    return true;
  }],
  ['tool-input-available', (d, c) => {
    updateTool(d, field.optBool(c, 'dynamic') === true, {
      toolCallId: field.str(c, 'toolCallId'), toolName: field.str(c, 'toolName'), state: 'input-available', input: c['input'],
      providerExecuted: field.optBool(c, 'providerExecuted'), providerMetadata: field.providerMetadata(c), title: field.optStr(c, 'title'), toolMetadata: field.toolMetadata(c),
    });
    return true;
  }],
  ['tool-input-error', (d, c) => {
    const toolCallId = field.str(c, 'toolCallId');
    const existing = findInCurrentStep(d.parts, (p) => isToolPart(p) && p.toolCallId === toolCallId);
    const dynamic = existing !== -1 ? d.parts[existing]!.type === 'dynamic-tool' : field.optBool(c, 'dynamic') === true;
    updateTool(d, dynamic, {
      toolCallId, toolName: field.str(c, 'toolName'), state: 'output-error', input: c['input'], errorText: field.str(c, 'errorText'),
      providerExecuted: field.optBool(c, 'providerExecuted'), providerMetadata: field.providerMetadata(c), toolMetadata: field.toolMetadata(c),
    });
    return true;
  }],
  ['tool-approval-request', onToolInvocation((d, c, index) => {
    const part = d.part<{ state: ToolUIPartState; approval?: ToolApprovalUI }>(index);
    part.state = 'approval-requested';
    part.approval = {
      id: field.str(c, 'approvalId'),
      ...(c['approvalDescriptor'] != null ? { descriptor: c['approvalDescriptor'] } : {}),
      ...(Object.hasOwn(c, 'inputSchemaInput') && c['inputSchemaInput'] !== undefined ? { inputSchemaInput: c['inputSchemaInput'] } : {}),
      ...(c['reason'] != null ? { requestReason: c['reason'] as string } : {}),
      ...(c['isAutomatic'] === true ? { isAutomatic: true } : {}),
      ...(c['signature'] != null ? { signature: c['signature'] as string } : {}),
    };
  })],
  ['tool-approval-response', (d, c) => {
    const approvalId = field.str(c, 'approvalId');
    const index = d.parts.findIndex((p) => isToolPart(p) && p.approval?.id === approvalId);
    if (index === -1) return false;
    const part = d.part<{ state: ToolUIPartState; approval?: ToolApprovalUI; providerExecuted?: boolean; callProviderMetadata?: ProviderMetadata }>(index);
    part.state = 'approval-responded';
    part.approval = { ...(part.approval ?? { id: approvalId }), id: approvalId, approved: c['approved'] as boolean, ...(c['reason'] != null ? { reason: c['reason'] as string } : {}) };
    if (c['providerExecuted'] != null) part.providerExecuted = c['providerExecuted'] as boolean;
    const providerMetadata = field.providerMetadata(c);
    if (providerMetadata != null) part.callProviderMetadata = providerMetadata;
    return true;
  }],
  ['tool-output-denied', onToolInvocation((d, _c, index) => {
    d.part<{ state: ToolUIPartState }>(index).state = 'output-denied';
  })],
  ['tool-output-available', onToolInvocation((d, c, index) => {
    const tool = d.parts[index] as Extract<UIMessagePart, { toolCallId: string }>;
    const dynamic = tool.type === 'dynamic-tool';
    updateTool(d, dynamic, {
      toolCallId: tool.toolCallId, toolName: dynamic ? (tool as { toolName: string }).toolName : staticToolName(tool), state: 'output-available',
      input: tool.input, output: c['output'], preliminary: field.optBool(c, 'preliminary'), providerExecuted: field.optBool(c, 'providerExecuted'),
      providerMetadata: field.providerMetadata(c), title: tool.title, toolMetadata: field.toolMetadata(c) ?? tool.toolMetadata,
    }, index);
  })],
  ['tool-output-error', onToolInvocation((d, c, index) => {
    const tool = d.parts[index] as Extract<UIMessagePart, { toolCallId: string }>;
    const dynamic = tool.type === 'dynamic-tool';
    updateTool(d, dynamic, {
      toolCallId: tool.toolCallId, toolName: dynamic ? (tool as { toolName: string }).toolName : staticToolName(tool), state: 'output-error',
      input: tool.input, ...(dynamic ? {} : { rawInput: tool.rawInput }), errorText: field.str(c, 'errorText'),
      providerExecuted: field.optBool(c, 'providerExecuted'), providerMetadata: field.providerMetadata(c), title: tool.title,
      toolMetadata: field.toolMetadata(c) ?? tool.toolMetadata,
    }, index);
  })],
]);
