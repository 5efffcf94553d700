// The options of `openRunner`, their defaults (with why), and the fail-fast checks that
// name the option and the value.
import { BUILD_ID_PATTERN, HEARTBEAT_INTERVAL_DEFAULT_MS, HEARTBEAT_INTERVAL_MAX_MS, HEARTBEAT_INTERVAL_MIN_MS, LimitDefaults } from '../protocol/index.js';
import { InvalidOptionError } from './errors.js';

/** `fetch` as the runner calls it; tests pass msw-intercepted `globalThis.fetch`. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * When `emit` counts an event as written:
 * - `fsync-each` — after its own fsync (slowest, survives power loss);
 * - `group` — after the next group fsync: what is written while one fsync runs shares the next
 *   one, which starts as soon as it ends (or `groupCommitMs` after it) (survives power loss);
 * - `none` — once the kernel has it (survives `kill -9`, not power loss).
 */
export type Durability = 'fsync-each' | 'group' | 'none';

export interface RunnerOptions {
  /**
   * Server base URL, e.g. `http://127.0.0.1:8787`, or several of one deployment (instances on
   * one PostgreSQL): the runner uses the first, moves to the next on a connection failure or a
   * 502/503/504, and comes back to the first once it answers `/readyz` again.
   */
  readonly url: string | readonly string[];
  readonly buildId: string;
  /** An `append:<buildId>` (runner) token, or the admin token. */
  readonly token: string;
  /**
   * Directory holding one sub-directory per build's spool. Created if missing. The spool is the
   * runner's identity in the build: a new one starts at seq 1 and epoch 0, an existing one
   * continues where it stopped. To continue a build another runner wrote, use `takeover`.
   */
  readonly spoolDir: string;
  /**
   * Take the build over from whichever runner wrote it before (PROTOCOL §Append rule 5): reads
   * the build from the server (retrying while it is away), raises the epoch, and continues at
   * the server's ack + 1. @default false
   */
  readonly takeover?: boolean;
  /** @default 'group' */
  readonly durability?: Durability;
  /** Least time between two group fsyncs in `group` durability; 0 starts the next one as soon as the last ends. @default 0 */
  readonly groupCommitMs?: number;
  /** Batches in flight at once (K). @default 4 */
  readonly maxInFlight?: number;
  /** Events per batch. @default 1000 */
  readonly maxBatchEvents?: number;
  /** Bytes of events per batch (one larger event still goes alone). @default 512 KiB */
  readonly maxBatchBytes?: number;
  /** Unacked spool bytes past which `emit` waits. @default 1 GiB */
  readonly maxSpoolBytes?: number;
  /** Bytes per spool segment file before a new one starts. @default 4 MiB */
  readonly segmentBytes?: number;
  /** Bytes of the newest events kept in memory so uploads rarely read the disk. @default 4 MiB */
  readonly cacheBytes?: number;
  /** First backoff step. @default 100 */
  readonly baseDelayMs?: number;
  /** Largest backoff step. @default 10000 */
  readonly maxDelayMs?: number;
  /** One append request's limit, answer included. @default 30000 */
  readonly requestTimeoutMs?: number;
  /**
   * How often the runner tells the server it is alive when it has nothing to append
   * (PROTOCOL §Runner presence); every append carries the same report, so a busy runner sends
   * no extra requests. `0` turns heartbeats and the reports on appends off. @default 5000
   */
  readonly heartbeatIntervalMs?: number;
  /** With several `url`s: while on a failover, how often the first is probed (`GET /readyz`) to come back to it. @default 5000 */
  readonly failbackMs?: number;
  /** Stamp each event's `time` with the runner's clock when `emit` gets none. @default true */
  readonly stampTime?: boolean;
  /** Largest serialized `data` `emit` accepts (the server's limit). @default 256 KiB */
  readonly maxEventDataBytes?: number;
  /** Deepest `data` nesting `emit` accepts (the server's limit). @default 64 */
  readonly maxEventDataDepth?: number;
  /** The network; default: undici's `fetch` over a keep-alive `Pool` of `maxInFlight` connections. */
  readonly fetch?: FetchLike;
  /** Source of the backoff jitter, for tests. @default Math.random */
  readonly random?: () => number;
}

export type ResolvedRunnerOptions = Required<Omit<RunnerOptions, 'fetch' | 'url'>> & {
  /** The first URL. */
  readonly url: string;
  /** Every URL, in order of preference. */
  readonly urls: readonly string[];
  readonly fetch: FetchLike | undefined;
};

export const RunnerDefaults = {
  takeover: false,
  durability: 'group' as Durability,
  groupCommitMs: 0, // records written during an fsync share the next: a busy emitter groups itself, a quiet one waits one fsync, not a window (20 ms made emit → viewer p50 19 ms)
  maxInFlight: 4, // enough to hide a round trip behind the next batches without flooding one build's commit queue
  maxBatchEvents: LimitDefaults.maxBatchEvents,
  maxBatchBytes: 512 * 1024, // half the server's 1 MiB body limit leaves room for JSON framing
  maxSpoolBytes: 1024 * 1024 * 1024, // a long outage of a chatty build fits; the disk, not memory, holds it
  segmentBytes: 4 * 1024 * 1024, // trimming frees whole segments: small enough to free space early
  cacheBytes: 4 * 1024 * 1024, // covers K batches in flight plus what coalesces meanwhile
  baseDelayMs: 100, // PROTOCOL §Runner obligations
  maxDelayMs: 10_000, // PROTOCOL §Runner obligations
  requestTimeoutMs: 30_000, // a group commit takes well under a second; 30 s means the answer is lost
  heartbeatIntervalMs: HEARTBEAT_INTERVAL_DEFAULT_MS, // a page notices a dead runner within 15 s; one small request per 5 s per idle build
  failbackMs: 5_000, // back on the preferred instance seconds after it recovers, one cheap probe each time
  stampTime: true,
  maxEventDataBytes: LimitDefaults.maxEventDataBytes,
  maxEventDataDepth: LimitDefaults.maxEventDataDepth,
  random: Math.random,
} as const;

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(`Expected \`${name}\` to be an integer ${min}–${max}, got ${String(value)}`);
  }
  return value;
}

function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new InvalidOptionError(`Expected \`${name}\` to be a non-empty string, got ${String(value)}`);
  return value;
}

function checkHeartbeatInterval(value: number): number {
  if (value === 0) return 0;
  if (!Number.isInteger(value) || value < HEARTBEAT_INTERVAL_MIN_MS || value > HEARTBEAT_INTERVAL_MAX_MS) {
    throw new InvalidOptionError(
      `Expected \`heartbeatIntervalMs\` to be 0 (off) or an integer ${HEARTBEAT_INTERVAL_MIN_MS}–${HEARTBEAT_INTERVAL_MAX_MS}, got ${String(value)}`,
    );
  }
  return value;
}

/** Each entry an http(s) base URL, trailing slashes dropped; a sentence naming the bad entry otherwise. */
export function checkUrls(value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (list === undefined || list.length === 0) throw new InvalidOptionError(`Expected \`url\` to be an http(s) URL or a non-empty array of them, got ${JSON.stringify(value)}`);
  return list.map((entry, i) => {
    const where = list.length > 1 ? ` entry ${i + 1}` : '';
    if (typeof entry !== 'string' || entry === '') throw new InvalidOptionError(`Expected \`url\`${where} to be an http(s) URL, got ${JSON.stringify(entry)}`);
    const url = entry.trim().replace(/\/+$/, '');
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
      if (parsed.search !== '' || parsed.hash !== '') throw new Error('not a base URL');
    } catch {
      throw new InvalidOptionError(`Expected \`url\`${where} to be an http(s) base URL, got ${JSON.stringify(entry)}`);
    }
    return url;
  });
}

export function resolveRunnerOptions(options: RunnerOptions): ResolvedRunnerOptions {
  const urls = checkUrls(options.url);
  const url = urls[0]!;
  const buildId = checkString('buildId', options.buildId);
  if (!BUILD_ID_PATTERN.test(buildId)) throw new InvalidOptionError(`Expected \`buildId\` to match ${BUILD_ID_PATTERN.source}, got ${JSON.stringify(buildId)}`);
  const durability = options.durability ?? RunnerDefaults.durability;
  if (durability !== 'fsync-each' && durability !== 'group' && durability !== 'none') {
    throw new InvalidOptionError(`Expected \`durability\` to be 'fsync-each', 'group' or 'none', got ${JSON.stringify(durability)}`);
  }
  const maxSpoolBytes = checkInteger('maxSpoolBytes', options.maxSpoolBytes ?? RunnerDefaults.maxSpoolBytes, 64 * 1024, Number.MAX_SAFE_INTEGER);
  const baseDelayMs = checkInteger('baseDelayMs', options.baseDelayMs ?? RunnerDefaults.baseDelayMs, 1, 3_600_000);
  const resolved: ResolvedRunnerOptions = {
    url,
    urls,
    buildId,
    token: checkString('token', options.token),
    spoolDir: checkString('spoolDir', options.spoolDir),
    takeover: options.takeover ?? RunnerDefaults.takeover,
    durability,
    groupCommitMs: checkInteger('groupCommitMs', options.groupCommitMs ?? RunnerDefaults.groupCommitMs, 0, 10_000),
    maxInFlight: checkInteger('maxInFlight', options.maxInFlight ?? RunnerDefaults.maxInFlight, 1, 64),
    maxBatchEvents: checkInteger('maxBatchEvents', options.maxBatchEvents ?? RunnerDefaults.maxBatchEvents, 1, 10_000),
    maxBatchBytes: checkInteger('maxBatchBytes', options.maxBatchBytes ?? RunnerDefaults.maxBatchBytes, 1024, 64 * 1024 * 1024),
    maxSpoolBytes,
    // A segment must be well below the spool limit, or a full segment could never be trimmed.
    segmentBytes: Math.min(
      checkInteger('segmentBytes', options.segmentBytes ?? RunnerDefaults.segmentBytes, 4096, 1024 * 1024 * 1024),
      Math.floor(maxSpoolBytes / 4),
    ),
    cacheBytes: checkInteger('cacheBytes', options.cacheBytes ?? RunnerDefaults.cacheBytes, 0, 1024 * 1024 * 1024),
    baseDelayMs,
    maxDelayMs: checkInteger('maxDelayMs', options.maxDelayMs ?? RunnerDefaults.maxDelayMs, baseDelayMs, 24 * 3_600_000),
    requestTimeoutMs: checkInteger('requestTimeoutMs', options.requestTimeoutMs ?? RunnerDefaults.requestTimeoutMs, 100, 3_600_000),
    heartbeatIntervalMs: checkHeartbeatInterval(options.heartbeatIntervalMs ?? RunnerDefaults.heartbeatIntervalMs),
    failbackMs: checkInteger('failbackMs', options.failbackMs ?? RunnerDefaults.failbackMs, 10, 3_600_000),
    stampTime: options.stampTime ?? RunnerDefaults.stampTime,
    maxEventDataBytes: checkInteger('maxEventDataBytes', options.maxEventDataBytes ?? RunnerDefaults.maxEventDataBytes, 16, 64 * 1024 * 1024),
    maxEventDataDepth: checkInteger('maxEventDataDepth', options.maxEventDataDepth ?? RunnerDefaults.maxEventDataDepth, 1, 10_000),
    fetch: options.fetch,
    random: options.random ?? RunnerDefaults.random,
  };
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new InvalidOptionError(`Expected \`fetch\` to be a function, got ${typeof options.fetch}`);
  return resolved;
}
