// `runner.pipeUIMessageStream(stream)` (PROTOCOL §Event vocabulary: an AI SDK UI message chunk
// `{type, ...rest}` is the event `{type, data: rest}`). Reads the stream that the AI SDK's
// `toUIMessageStream()` returns and emits each chunk in order, holding at most `maxPending`
// emits that are not yet durable: a fast model cannot fill memory, and a full spool slows the
// stream down instead of growing without bound. Nothing here imports the `ai` package.
import { InvalidOptionError } from './errors.js';

/** The one member runlog reads of an AI SDK `UIMessageChunk`. */
export interface UIMessageChunkLike {
  readonly type: string;
}

export interface PipeUIMessageStreamOptions {
  /** Emits in flight (written, not yet durable) before reading the next chunk. @default 256 */
  readonly maxPending?: number;
}

export interface PipeUIMessageStreamResult {
  /** Chunks emitted. */
  readonly events: number;
  /** The seq of the last one, or null when the stream was empty. */
  readonly lastSeq: number | null;
}

export const PipeUIMessageStreamDefaults = {
  maxPending: 256, // a few group fsyncs of a fast model's chunks; memory stays a few hundred small objects
} as const;

type Emit = (type: string, data: unknown) => Promise<number>;

export function checkPipeOptions(options: PipeUIMessageStreamOptions): number {
  const maxPending = options.maxPending ?? PipeUIMessageStreamDefaults.maxPending;
  if (!Number.isInteger(maxPending) || maxPending < 1 || maxPending > 100_000) {
    throw new InvalidOptionError(`Expected \`maxPending\` to be an integer 1–100000, got ${String(maxPending)}`);
  }
  return maxPending;
}

/** Emits every chunk of `stream`; rejects (and cancels the stream) with the first emit's error. */
export async function pipeUIMessageStream(
  emit: Emit,
  stream: ReadableStream<UIMessageChunkLike>,
  options: PipeUIMessageStreamOptions = {},
): Promise<PipeUIMessageStreamResult> {
  const maxPending = checkPipeOptions(options);
  if (typeof (stream as { getReader?: unknown } | null)?.getReader !== 'function') {
    throw new TypeError('Expected `stream` to be a ReadableStream of UI message chunks (what toUIMessageStream() returns)');
  }
  const reader = stream.getReader();
  const pending: Array<Promise<number>> = [];
  let events = 0;
  let lastSeq: number | null = null;
  try {
    for (;;) {
      if (pending.length >= maxPending) lastSeq = await pending.shift()!;
      const { done, value } = await reader.read();
      if (done) break;
      if (typeof value !== 'object' || value === null || typeof value.type !== 'string') {
        throw new TypeError(`Expected a UI message chunk with a string \`type\`, got ${JSON.stringify(value)}`);
      }
      const { type, ...rest } = value as UIMessageChunkLike & Record<string, unknown>;
      const emitted = emit(type, rest);
      // Seqs follow call order; a rejection is seen when its turn comes, and none goes unhandled.
      emitted.catch(() => {});
      pending.push(emitted);
      events += 1;
    }
    for (const emitted of pending.splice(0)) lastSeq = await emitted;
    return { events, lastSeq };
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
}
