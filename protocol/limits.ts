// PROTOCOL §Identifiers and limits: the defaults every side agrees on.
// The server may be configured tighter or looser; clients read these as the defaults.

export const MAX_SEQ = Number.MAX_SAFE_INTEGER; // seqs are integers 1 … 2^53−1

export const BUILD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const EVENT_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9._:-]{0,63}$/;

export interface ProtocolLimits {
  /** Events in one append batch. @default 1000 */
  readonly maxBatchEvents: number;
  /** Bytes of one request body. @default 1 MiB */
  readonly maxBodyBytes: number;
  /** Bytes of one event's serialized `data`. @default 256 KiB */
  readonly maxEventDataBytes: number;
  /** Nesting depth of one event's `data`. @default 64 */
  readonly maxEventDataDepth: number;
  /** How far past the ack a batch may start. @default 10000 */
  readonly maxGapWindow: number;
  /** Events per JSON read. @default 10000 */
  readonly maxReadLimit: number;
  /** Long-poll wait, seconds. @default 60 */
  readonly maxWaitSeconds: number;
  /** Builds per list page. @default 500 */
  readonly maxListLimit: number;
}

export const LimitDefaults: ProtocolLimits = {
  maxBatchEvents: 1000, // large enough to amortise a round trip, small enough to commit in one short transaction
  maxBodyBytes: 1024 * 1024, // bounds server memory per request
  maxEventDataBytes: 256 * 1024, // one event must fit comfortably in one body
  maxEventDataDepth: 64, // deeper nesting overflows recursive serialisers and jsonb's parser
  maxGapWindow: 10_000, // bounds the out-of-order storage a runner can make the server keep
  maxReadLimit: 10_000,
  maxWaitSeconds: 60, // below the idle timeouts of common proxies
  maxListLimit: 500,
};

export const ReadDefaults = {
  /** Events per JSON read when `limit` is absent. */
  limit: 1000,
  /** Builds per list page when `limit` is absent. */
  listLimit: 50,
} as const;

/** PROTOCOL §Log lines: reads of the log by line number, search, and the raw download. */
export const LogLineLimits = {
  /** Lines per read when `limit` is absent. */
  defaultLines: 500,
  /** The most lines one read returns. */
  maxLines: 10_000,
  /** A page of lines stops after the line that passes this many bytes of event data. */
  pageBytes: 4 * 1024 * 1024,
  /** Matches per search answer when `limit` is absent, and at most. */
  defaultMatches: 1000,
  maxMatches: 10_000,
  /** Characters of a search query. */
  maxQueryChars: 256,
  /** Bytes of event data the raw download reads per step: bounds its memory for any log size. */
  downloadStepBytes: 1024 * 1024,
} as const;

/** SSE reconnect delay is drawn per connection from this range (PROTOCOL §SSE). */
export const SSE_RETRY_MIN_MS = 1000;
export const SSE_RETRY_MAX_MS = 3000;
/** A comment frame every this often when nothing else is sent. */
export const SSE_PING_INTERVAL_MS = 15_000;

/** PROTOCOL §Runner presence: how often a runner says it is alive when it has nothing to append. */
export const HEARTBEAT_INTERVAL_DEFAULT_MS = 5_000;
/** The shortest and longest interval a runner may declare (`intervalMs` of its report). */
export const HEARTBEAT_INTERVAL_MIN_MS = 100;
export const HEARTBEAT_INTERVAL_MAX_MS = 3_600_000;
/**
 * A runner not heard from for more than this many of its own intervals is silent: readers say
 * "no word from the runner", and the server counts it in `runlog_runners_silent`. Three leaves
 * room for one lost heartbeat and the server's once-per-interval write on top of the interval.
 */
export const RUNNER_SILENT_AFTER_INTERVALS = 3;
/** Longest `host` and `version` in a runner report. */
export const RUNNER_HOST_MAX_CHARS = 255;
export const RUNNER_VERSION_MAX_CHARS = 64;
