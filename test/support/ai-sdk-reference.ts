// What the real AI SDK makes of a build's chunks: the judge of runlog's UIMessages in the
// differential and property tests. A build's chunks are cut into messages as PROTOCOL §UI
// messages says (a `start` begins one; a `start` with the open message's id continues it, as
// useChat does after an approval); each message is assembled by the SDK's own
// readUIMessageStream, a continuation from the message so far (its `message` option).
//
// readUIMessageStream yields a snapshot only when a chunk changes what it shows; a trailing
// `start-step` is applied but not yet yielded. runlog serves the state after every event, so
// the reference ends each message with a `start` carrying the message's own id — a no-op that
// makes the SDK yield the state it holds.
import { readUIMessageStream, UIMessageStreamError, type UIMessage, type UIMessageChunk } from 'ai';

export type Chunk = { type: string } & Record<string, unknown>;

export interface Reference {
  /** The messages, as JSON would carry them. */
  readonly messages: unknown[];
  /** The SDK refused a chunk (a UIMessageStreamError, or its metadata merge threw). */
  readonly rejected: boolean;
}

/** The chunk an event carries, and back: `{type, ...rest}` ⇄ `{type, data: rest}` (PROTOCOL §Event vocabulary). */
export function chunkToEvent(chunk: Chunk): { type: string; data: unknown } {
  const { type, ...rest } = chunk;
  return { type, data: rest };
}

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Chunks that add to a message: before any `start`, the first of them begins one (an implicit message, id ""). */
function addsToMessage(chunk: Chunk): boolean {
  switch (chunk.type) {
    case 'error':
    case 'abort':
    case 'finish-step':
    case 'reset-step':
      return false;
    case 'finish':
    case 'message-metadata':
      return chunk['messageMetadata'] != null;
    default:
      return !(chunk.type.startsWith('data-') && chunk['transient']);
  }
}

function streamOf(chunks: readonly Chunk[]): ReadableStream<UIMessageChunk> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(structuredClone(chunk) as unknown as UIMessageChunk);
      controller.close();
    },
  });
}

async function assemble(chunks: readonly Chunk[], id: string, from: unknown): Promise<{ message: unknown; rejected: boolean }> {
  let rejected = false;
  let message: UIMessage | undefined;
  const stream = streamOf([...chunks, { type: 'start', messageId: id }]);
  for await (const snapshot of readUIMessageStream({
    ...(from === undefined ? {} : { message: structuredClone(from) as UIMessage }),
    stream,
    onError: (error) => {
      // An `error` chunk is reported here too, as a plain Error; it is not a refusal.
      if (UIMessageStreamError.isInstance(error) || error instanceof TypeError) rejected = true;
    },
  })) {
    message = snapshot;
  }
  return { message: message === undefined ? undefined : json(message), rejected };
}

/** The SDK's UIMessages for a build's chunks (JSON round-tripped, as the log stores them). */
export async function referenceMessages(input: readonly Chunk[]): Promise<Reference> {
  const chunks = input.map(json);
  const messages: unknown[] = [];
  let segment: Chunk[] = [];
  const flush = async (): Promise<boolean> => {
    if (segment.length === 0) return true;
    const first = segment[0]!;
    const last = messages.at(-1) as { id: string } | undefined;
    let id = '';
    let from: unknown;
    if (first.type === 'start') {
      const messageId = first['messageId'] as string | undefined;
      id = messageId ?? '';
      if (messageId !== undefined && last !== undefined && last.id === messageId) from = last;
    } else if (!segment.some(addsToMessage)) {
      // Before any start and nothing that adds to a message: the SDK would still check the chunks.
      const { rejected } = await assemble(segment, '', undefined);
      segment = [];
      return !rejected;
    }
    const { message, rejected } = await assemble(segment, id, from);
    segment = [];
    if (rejected) return false;
    if (from !== undefined) messages[messages.length - 1] = message;
    else messages.push(message);
    return true;
  };
  for (const chunk of chunks) {
    if (chunk.type === 'start' && !(await flush())) return { messages, rejected: true };
    segment.push(chunk);
  }
  if (!(await flush())) return { messages, rejected: true };
  return { messages, rejected: false };
}

/** The index of the first chunk the SDK refuses, or -1: the shortest refused prefix (refusal is monotone in the prefix). */
export async function firstRejected(chunks: readonly Chunk[]): Promise<number> {
  if (!(await referenceMessages(chunks)).rejected) return -1;
  let lo = 0; // prefix of length lo is accepted
  let hi = chunks.length; // prefix of length hi is refused
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((await referenceMessages(chunks.slice(0, mid))).rejected) hi = mid;
    else lo = mid;
  }
  return hi - 1;
}
