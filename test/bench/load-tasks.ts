// The work a bench load process can be given (test/bench/load-worker.ts runs it). Each task has
// a prepare phase (connect, get ready) and a run phase started by the bench, so every load
// process starts at the same moment; each reports its own CPU time for the run phase.

export interface RunnerRef {
  readonly buildId: string;
  readonly token: string;
  /** The first seq this runner sends. */
  readonly from: number;
}

/** Runners each POSTing batches back to back (one in flight per runner). */
export interface AppendClosedTask {
  readonly kind: 'append-closed';
  readonly url: string;
  readonly runners: readonly RunnerRef[];
  readonly batch: number;
  /** Events per runner; or run for `durationMs` instead. */
  readonly events?: number;
  readonly durationMs?: number;
  /** Batches in flight per runner. @default 1 */
  readonly inFlight?: number;
  /** Bytes of each event's serialized JSON in the body, about. */
  readonly eventBytes: number;
  /** Send `final: true` on the last batch. */
  readonly final?: boolean;
}

/**
 * Runners each emitting `perTick` events every `intervalMs` whether or not the last answer came
 * (open loop), uploaded as @runlog/runner uploads them (see appendOpen in load-worker.ts).
 */
export interface AppendOpenTask {
  readonly kind: 'append-open';
  readonly url: string;
  readonly runners: readonly RunnerRef[];
  readonly perTick: number;
  readonly intervalMs: number;
  readonly durationMs: number;
  readonly eventBytes: number;
  readonly final?: boolean;
  /** After the last tick, appends not accepted within this long count as not accepted. */
  readonly giveUpMs: number;
}

export interface ReaderRef {
  readonly buildId: string;
  readonly token: string;
  readonly after: number;
  /** Done once this seq arrived (or the stream ended). */
  readonly until: number;
  /** Read the emit stamps for delivery delays. */
  readonly stamps?: boolean;
}

/** SSE readers. `connectOnRun`: catch-up readers connect when the run starts; viewers connect while preparing. */
export interface SseTask {
  readonly kind: 'sse';
  readonly url: string;
  readonly readers: readonly ReaderRef[];
  readonly connectOnRun: boolean;
  /** Give up after this long. */
  readonly timeoutMs: number;
}

/** One reader paging through `GET /events` with `limit`. */
export interface JsonPagesTask {
  readonly kind: 'json-pages';
  readonly url: string;
  readonly reader: ReaderRef;
  readonly limit: number;
}

/** `count` long-polls waiting on one build; the bench appends once they all wait. */
export interface LongPollTask {
  readonly kind: 'long-poll';
  readonly url: string;
  readonly buildId: string;
  readonly token: string;
  readonly after: number;
  readonly count: number;
  readonly waitSeconds: number;
}

/** One append of `count` events, timed. */
export interface AppendOnceTask {
  readonly kind: 'append-once';
  readonly url: string;
  readonly runner: RunnerRef;
  readonly count: number;
}

/** The runner library (`@runlog/runner`, compiled) emitting into its spool. */
export interface EmitTask {
  readonly kind: 'emit';
  readonly url: string;
  readonly runner: RunnerRef;
  readonly spoolDir: string;
  /** As fast as possible: this many events. */
  readonly events?: number;
  /** Paced: `perTick` events every `intervalMs` for `durationMs`, stamped for delivery delays. */
  readonly paced?: { readonly perTick: number; readonly intervalMs: number; readonly durationMs: number };
  readonly eventBytes: number;
}

export type LoadTask = AppendClosedTask | AppendOpenTask | SseTask | JsonPagesTask | LongPollTask | AppendOnceTask | EmitTask;

export interface CpuFigures {
  /** CPU seconds (user + system) this process spent in the run phase. */
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
}

export interface AppendFigures {
  readonly events: number;
  readonly requests: number;
  /** Answers other than 200 (overloaded, unavailable), each retried. */
  readonly refused: number;
  /** Milliseconds per request, sorted. */
  readonly latenciesMs: number[];
  readonly firstSentUs: number;
  readonly lastAnsweredUs: number;
}

export interface ReaderFigures {
  readonly events: number;
  readonly inOrder: boolean;
  readonly complete: boolean;
  readonly connectedUs: number;
  readonly startedUs: number;
  readonly doneUs: number;
  readonly bytes: number;
  /** Emit-to-receipt delays, µs (readers with `stamps`). */
  readonly delaysUs: number[];
}

export interface LongPollFigures {
  /** Monotonic µs at which each long-poll's answer arrived. */
  readonly answeredUs: number[];
  readonly statuses: Record<string, number>;
}

export interface AppendOnceFigures {
  readonly sentUs: number;
  readonly answeredUs: number;
  readonly status: number;
}

export interface EmitFigures {
  readonly events: number;
  /** µs from the first emit to the last one durable in the spool. */
  readonly emitUs: number;
  /** µs until everything was acked by the server. */
  readonly flushedUs: number;
}

export type TaskFigures =
  | { readonly kind: 'append'; readonly append: AppendFigures }
  | { readonly kind: 'readers'; readonly readers: ReaderFigures[] }
  | { readonly kind: 'long-poll'; readonly longPoll: LongPollFigures }
  | { readonly kind: 'append-once'; readonly once: AppendOnceFigures }
  | { readonly kind: 'emit'; readonly emit: EmitFigures };

export type WorkerMessage =
  | { readonly id: number; readonly phase: 'ready' }
  | { readonly id: number; readonly phase: 'done'; readonly figures: TaskFigures; readonly cpu: CpuFigures }
  | { readonly id: number; readonly phase: 'failed'; readonly error: string };

export type BenchMessage = { readonly id: number; readonly task: LoadTask } | { readonly id: number; readonly run: true };
