// Server configuration: one typed object, read from the environment and validated with zod
// at start, so a bad value stops the server with a message naming the variable.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as z from 'zod';
import { LimitDefaults, SSE_PING_INTERVAL_MS, isSignedTokenShape, type ProtocolLimits } from '../protocol/index.js';
import { parseDuration } from './ops/duration.js';

/** PEM certificate chain and private key, read at start; their presence turns on HTTPS with h2. */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface ServerConfig {
  /** @default 8787 */
  readonly port: number;
  /** @default '127.0.0.1' — loopback unless told otherwise */
  readonly host: string;
  /** PostgreSQL connection string; unset → embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** PostgreSQL schema holding the tables (tests give each file its own). @default 'public' */
  readonly databaseSchema: string;
  /** PGlite's database, the generated secret and admin token; `memory://` keeps them in memory. @default './data' */
  readonly dataDir: string;
  /** Plain admin secret; unset → generated into `dataDir` on first start. */
  readonly adminToken: string | undefined;
  /** Token signing key shared by every instance; unset → generated into `dataDir`. */
  readonly secret: string | undefined;
  /** @default 'info' */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Lifetime of runner and viewer tokens. @default 7 days */
  readonly tokenTtlSeconds: number;
  readonly limits: ProtocolLimits;
  /** Batches waiting for a commit before appends answer 503 overloaded. @default 1024 */
  readonly commitQueueMax: number;
  /** Bytes of event data waiting for a commit before appends answer 503 overloaded (an empty queue takes any batch). @default 64 MiB */
  readonly commitQueueMaxBytes: number;
  /** Events one commit transaction takes at most; the rest wait for the next. @default 20000 */
  readonly commitGroupMaxEvents: number;
  /** Commit transactions that may run at once, each for its own builds. @default 2 on PostgreSQL, 1 on the embedded database */
  readonly commitLanes: number;
  /** Idle interval before an SSE `: ping`. @default 15000 */
  readonly pingIntervalMs: number;
  /** Events kept in memory per live build for readers. @default 2048 */
  readonly tailCacheEvents: number;
  /** Worker processes sharing the port (`node:cluster`); 1 runs no cluster. @default 1 */
  readonly workers: number;
  /** Builds idle (no append) longer than this are deleted; undefined keeps everything. @default undefined */
  readonly retentionMs: number | undefined;
  /** How often the retention sweep runs. @default 10 minutes */
  readonly retentionSweepMs: number;
  /** HTTPS with ALPN h2 and http/1.1 when set. @default undefined (plain HTTP/1.1) */
  readonly tls: TlsFiles | undefined;
  /** Bytes of encoded frames the tail cache holds over all builds. @default 64 MiB */
  readonly tailCacheBytes: number;
}

/** Commit lanes by database: PostgreSQL writes one group while the server prepares the next. */
export const CommitLaneDefaults = { postgres: 2, embedded: 1 } as const;

export const ConfigDefaults = {
  port: 8787,
  host: '127.0.0.1',
  databaseSchema: 'public',
  dataDir: './data',
  logLevel: 'info',
  tokenTtlSeconds: 7 * 24 * 3600, // long enough for any build, short enough that leaked links die
  commitQueueMax: 1024, // typical batches are a few KiB…
  commitQueueMaxBytes: 64 * 1024 * 1024, // …but 1 024 bodies of 1 MiB would be a gigabyte
  commitGroupMaxEvents: 20_000, // keeps one transaction well under a second
  pingIntervalMs: SSE_PING_INTERVAL_MS,
  tailCacheEvents: 2048, // covers the live edge of a build for every viewer with one copy
  workers: 1, // one process unless asked: the embedded database cannot be shared
  retentionSweepMs: 10 * 60_000, // expiry is coarse (days); a sweep is cheap when nothing expired
  tailCacheBytes: 64 * 1024 * 1024, // the live edges of hundreds of chatty builds; 256 KiB events cannot make it grow
} as const satisfies Partial<ServerConfig>;

/** `memory://…`: a throwaway database, and secrets generated for this process only. */
export function isInMemoryDataDir(dataDir: string): boolean {
  return dataDir.startsWith('memory://');
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

const EnvSchema = z.object({
  PORT: int(0, 65535).default(ConfigDefaults.port),
  HOST: z.string().min(1).default(ConfigDefaults.host),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  RUNLOG_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default(ConfigDefaults.databaseSchema),
  RUNLOG_DATA_DIR: z.string().min(1).default(ConfigDefaults.dataDir),
  RUNLOG_ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .refine((token) => !isSignedTokenShape(token), 'must not have the shape of a signed token (rl1.<payload>.<mac>): clients would put it into URLs')
    .optional(),
  RUNLOG_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  RUNLOG_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(ConfigDefaults.logLevel),
  RUNLOG_TOKEN_TTL: int(60).default(ConfigDefaults.tokenTtlSeconds),
  RUNLOG_MAX_BATCH_EVENTS: int(1, 100_000).default(LimitDefaults.maxBatchEvents),
  RUNLOG_MAX_BODY_BYTES: int(1024).default(LimitDefaults.maxBodyBytes),
  RUNLOG_MAX_EVENT_BYTES: int(16).default(LimitDefaults.maxEventDataBytes),
  RUNLOG_MAX_EVENT_DEPTH: int(1, 1000).default(LimitDefaults.maxEventDataDepth),
  RUNLOG_MAX_GAP: int(1).default(LimitDefaults.maxGapWindow), // 0 would refuse even a batch at ack + 1
  RUNLOG_COMMIT_QUEUE_MAX: int(1).default(ConfigDefaults.commitQueueMax),
  RUNLOG_COMMIT_QUEUE_MAX_BYTES: int(1).default(ConfigDefaults.commitQueueMaxBytes),
  RUNLOG_COMMIT_GROUP_MAX_EVENTS: int(1).default(ConfigDefaults.commitGroupMaxEvents),
  RUNLOG_COMMIT_LANES: int(1, 64).optional(),
  RUNLOG_PING_INTERVAL_MS: int(10).default(ConfigDefaults.pingIntervalMs),
  RUNLOG_TAIL_CACHE_EVENTS: int(0).default(ConfigDefaults.tailCacheEvents),
  RUNLOG_WORKERS: z
    .string()
    .regex(/^(auto|[1-9][0-9]{0,3})$/, 'must be a whole number of worker processes from 1 to 9999, or auto (one per available core)')
    .optional(),
  RUNLOG_RETENTION: duration().optional(),
  RUNLOG_RETENTION_SWEEP: duration().optional(),
  RUNLOG_TLS_CERT: z.string().optional(),
  RUNLOG_TLS_KEY: z.string().optional(),
  RUNLOG_TAIL_CACHE_BYTES: int(0).default(ConfigDefaults.tailCacheBytes),
});

function duration() {
  return z.string().transform((text, ctx) => {
    const parsed = parseDuration(text);
    if (parsed.ok) return parsed.ms;
    ctx.addIssue({ code: 'custom', message: parsed.problem });
    return z.NEVER;
  });
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** One line per bad variable: `NAME="value": what is wrong`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** Reads the environment; throws a ConfigError naming each bad variable. */
export function configFromEnv(env: Record<string, string | undefined> = process.env): ServerConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        return `${name}=${JSON.stringify(present[name] ?? '')}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  const bad = (name: string, problem: string) => problems.push(`${name}=${JSON.stringify(present[name] ?? '')}: ${problem}`);
  const workers = e.RUNLOG_WORKERS === undefined ? ConfigDefaults.workers : e.RUNLOG_WORKERS === 'auto' ? availableParallelism() : Number(e.RUNLOG_WORKERS);
  if (workers > 1 && e.DATABASE_URL === undefined) {
    bad('RUNLOG_WORKERS', 'several workers need PostgreSQL (DATABASE_URL): the embedded PGlite database lives in one process');
  } else if (workers > 1 && isInMemoryDataDir(e.RUNLOG_DATA_DIR) && (e.RUNLOG_SECRET === undefined || e.RUNLOG_ADMIN_TOKEN === undefined)) {
    bad('RUNLOG_DATA_DIR', 'several workers with an in-memory data directory need RUNLOG_SECRET and RUNLOG_ADMIN_TOKEN: each worker would generate its own');
  }
  const tls = readTls(e.RUNLOG_TLS_CERT, e.RUNLOG_TLS_KEY, bad);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.RUNLOG_DB_SCHEMA,
    dataDir: e.RUNLOG_DATA_DIR,
    adminToken: e.RUNLOG_ADMIN_TOKEN,
    secret: e.RUNLOG_SECRET,
    logLevel: e.RUNLOG_LOG_LEVEL,
    tokenTtlSeconds: e.RUNLOG_TOKEN_TTL,
    limits: {
      ...LimitDefaults,
      maxBatchEvents: e.RUNLOG_MAX_BATCH_EVENTS,
      maxBodyBytes: e.RUNLOG_MAX_BODY_BYTES,
      maxEventDataBytes: e.RUNLOG_MAX_EVENT_BYTES,
      maxEventDataDepth: e.RUNLOG_MAX_EVENT_DEPTH,
      maxGapWindow: e.RUNLOG_MAX_GAP,
    },
    commitQueueMax: e.RUNLOG_COMMIT_QUEUE_MAX,
    commitQueueMaxBytes: e.RUNLOG_COMMIT_QUEUE_MAX_BYTES,
    commitGroupMaxEvents: e.RUNLOG_COMMIT_GROUP_MAX_EVENTS,
    // PGlite runs in this thread: a second transaction would only queue behind the first.
    commitLanes: e.RUNLOG_COMMIT_LANES ?? (e.DATABASE_URL ? CommitLaneDefaults.postgres : CommitLaneDefaults.embedded),
    pingIntervalMs: e.RUNLOG_PING_INTERVAL_MS,
    tailCacheEvents: e.RUNLOG_TAIL_CACHE_EVENTS,
    workers,
    retentionMs: e.RUNLOG_RETENTION,
    retentionSweepMs: e.RUNLOG_RETENTION_SWEEP ?? ConfigDefaults.retentionSweepMs,
    tls,
    tailCacheBytes: e.RUNLOG_TAIL_CACHE_BYTES,
  };
}

/** Both files or neither; each readable, PEM, and the key the certificate's. */
function readTls(certFile: string | undefined, keyFile: string | undefined, bad: (name: string, problem: string) => void): TlsFiles | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) return void bad('RUNLOG_TLS_KEY', 'needs RUNLOG_TLS_CERT too (the certificate, PEM)');
  if (keyFile === undefined) return void bad('RUNLOG_TLS_CERT', 'needs RUNLOG_TLS_KEY too (the private key, PEM)');
  const read = (name: string, file: string): Buffer | undefined => {
    try {
      return readFileSync(file);
    } catch (error) {
      bad(name, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return undefined;
    }
  };
  const cert = read('RUNLOG_TLS_CERT', certFile);
  const key = read('RUNLOG_TLS_KEY', keyFile);
  if (cert === undefined || key === undefined) return undefined;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    return void bad('RUNLOG_TLS_CERT', 'is not a PEM certificate');
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    return void bad('RUNLOG_TLS_KEY', 'is not a PEM private key (an unencrypted one)');
  }
  if (!certificate.checkPrivateKey(privateKey)) return void bad('RUNLOG_TLS_KEY', `does not match the certificate in RUNLOG_TLS_CERT`);
  return { cert, key };
}

/** The defaults with some fields replaced: how tests and embedders build a config. */
export function configWith(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { ...configFromEnv({}), ...overrides, limits: { ...LimitDefaults, ...overrides.limits } };
}
