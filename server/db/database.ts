// Opens the database: embedded PGlite in the data directory by default, PostgreSQL when a
// connection string is given. Both are the same SQL behind one Kysely instance.
import { existsSync, openAsBlob } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { isInMemoryDataDir } from '../config.js';
import { migrateToLatest } from './migrations.js';
import { PGlitePool } from './pglite-pool.js';
import { defaultPgliteCacheDir, fromTemplate, runPgliteChild } from './pglite-template.js';
import { PreparingClient } from './prepared-statements.js';
import type { DatabaseSchema } from './schema.js';

const INT8_OID = 20;
/** int8 as a JS number: seqs are ≤ 2^53−1 by contract, so nothing is lost. */
const parseInt8 = (value: string) => Number(value);

export type NotificationHandler = (payload: string) => void;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Kysely<DatabaseSchema>;
  /**
   * Subscribes to a PostgreSQL NOTIFY channel across instances; `onReconnect` fires when the
   * listening connection was lost and came back, since notifications may have been missed.
   * PGlite is one process, so there it is a no-op.
   */
  listen(channel: string, onNotify: NotificationHandler, onReconnect: () => void): Promise<() => Promise<void>>;
  /** Sends one NOTIFY (PostgreSQL only). */
  notify(channel: string, payload: string): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /**
   * Takes the named lock if no one holds it (PostgreSQL: a session advisory lock, across
   * instances; PGlite: within this process) and returns its release, else undefined.
   */
  tryLock(name: string): Promise<(() => Promise<void>) | undefined>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly databaseUrl: string | undefined;
  readonly databaseSchema: string;
  /** PGlite's directory, or `memory://` for a throwaway database. */
  readonly dataDir: string;
  /** Milliseconds a PostgreSQL query or connect may take before it counts as unreachable. */
  readonly queryTimeoutMs?: number;
  /** PostgreSQL connections in the pool. @default 10 */
  readonly maxConnections?: number;
  /** Where PGlite's template data directory is kept (`pglite-template.ts`); null: initdb every time. @default defaultPgliteCacheDir() */
  readonly pgliteCacheDir?: string | null;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.databaseUrl ? await openPostgres(options.databaseUrl, options) : await openPglite(options.dataDir, options.pgliteCacheDir === undefined ? defaultPgliteCacheDir() : options.pgliteCacheDir);
  try {
    if (database.kind === 'postgres') {
      // Instances (or workers) starting together on an empty database take turns: CREATE SCHEMA
      // IF NOT EXISTS and the migrator's own table creation both race otherwise.
      await withSessionLock(options.databaseUrl!, `runlog-migrate:${options.databaseSchema}`, async () => {
        if (options.databaseSchema !== 'public') await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(options.databaseSchema)}`.execute(database.db);
        await migrateToLatest(database.db as Kysely<unknown>, options.databaseSchema);
      });
    } else {
      await migrateToLatest(database.db as Kysely<unknown>, 'public');
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** Runs `body` holding a PostgreSQL advisory lock taken on a connection of its own. */
async function withSessionLock(connectionString: string, name: string, body: () => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    await body();
  } finally {
    // Ending the session releases the lock, whatever happened.
    await client.end().catch(() => {});
  }
}

/**
 * Planner settings for every connection, PGlite's and PostgreSQL's. Every index here is a
 * B-tree read in key order, and the tables often have no statistics (PGlite never analyses;
 * PostgreSQL not until autovacuum gets to them): guessing a handful of rows, the planner read a
 * log page with a bitmap scan and sorted it, where the primary key's index gives the rows in
 * order — a 10 000-event page took 3× as long in the database. Without bitmap scans it
 * takes the index.
 */
const PLANNER_SETTINGS = ['enable_bitmapscan=off'];

/**
 * PGlite's own start parameters plus a smaller memory footprint. PostgreSQL's default 128 MB of
 * shared buffers is touched at start inside the WASM heap: 16 MB takes an idle server on an
 * existing data directory from about 290 to 170 MiB RSS (measured in the bench). Pages beyond
 * it are re-read from the data directory's files, which the OS caches anyway.
 */
const PGLITE_START_PARAMS = [
  '--single', '-F', '-O', '-j',
  '-c', 'search_path=public', '-c', 'exit_on_error=false', '-c', 'log_checkpoints=false',
  '-c', 'max_worker_processes=0', '-c', 'max_parallel_workers=0', '-c', 'max_parallel_workers_per_gather=0',
  '-c', 'io_method=sync', '-c', 'max_parallel_maintenance_workers=0',
  '-c', 'shared_buffers=16MB', '-c', 'wal_buffers=1MB', '-c', 'work_mem=2MB',
  ...PLANNER_SETTINGS.flatMap((setting) => ['-c', setting]),
];

/**
 * A database in `directory` exists after this: unpacked from the template when there is one,
 * else by initdb — either way in a child process (`runPgliteChild` says why).
 */
async function initialisePgliteDir(directory: string, cacheDir: string | null): Promise<void> {
  if (existsSync(path.join(directory, 'PG_VERSION'))) return;
  await fromTemplate(
    cacheDir,
    (template) =>
      runPgliteChild(directory, template, undefined).catch(async (error: unknown) => {
        // What a template that failed to load left of the directory goes with it.
        await rm(directory, { recursive: true, force: true });
        throw error;
      }),
    () => runPgliteChild(directory, undefined, undefined),
  );
}

async function openPglite(dataDir: string, cacheDir: string | null): Promise<Database> {
  const inMemory = isInMemoryDataDir(dataDir);
  const directory = inMemory ? dataDir : path.join(dataDir, 'pglite');
  if (!inMemory) {
    await mkdir(dataDir, { recursive: true });
    await initialisePgliteDir(directory, cacheDir);
  }
  // Loaded only here: a PostgreSQL deployment never pays for the WASM module.
  const { PGlite } = await import('@electric-sql/pglite');
  // Strict durability (no relaxedDurability): an acked event must survive kill -9.
  const create = (loadDataDir?: Blob) => PGlite.create(directory, { parsers: { [INT8_OID]: parseInt8 }, startParams: PGLITE_START_PARAMS, loadDataDir });
  // A directory was initialised above; a database in memory is unpacked here.
  const pglite = inMemory ? await fromTemplate(cacheDir, async (template) => create(await openAsBlob(template)), () => create()) : await create();
  const pool = new PGlitePool(pglite);
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  const held = new Set<string>();
  return {
    kind: 'pglite',
    db,
    listen: async () => async () => {},
    notify: async () => {},
    // One process owns a PGlite database, so a lock within the process is the whole story.
    tryLock: async (name) => {
      if (held.has(name)) return undefined;
      held.add(name);
      return async () => void held.delete(name);
    },
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      await db.destroy();
      await pglite.close();
    },
  };
}

async function openPostgres(connectionString: string, options: DatabaseOptions): Promise<Database> {
  const timeoutMs = options.queryTimeoutMs ?? 10_000;
  const clientConfig: pg.ClientConfig = {
    connectionString,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    options: [`search_path=${options.databaseSchema}`, ...PLANNER_SETTINGS].map((setting) => `-c ${setting}`).join(' '),
    types: { getTypeParser: ((oid: number, format?: string) => (oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
  };
  const pool = new pg.Pool({ ...clientConfig, Client: PreparingClient, max: options.maxConnections ?? 10, idleTimeoutMillis: 30_000 });
  // A client losing its connection must not crash the process, whether idle in the pool or
  // checked out between two statements of a transaction; the next query reports it.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<PostgresListener>();
  return {
    kind: 'postgres',
    db,
    async listen(channel, onNotify, onReconnect) {
      const listener = new PostgresListener(clientConfig, channel, onNotify, onReconnect);
      listeners.add(listener);
      await listener.start();
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },
    notify: async (channel, payload) => {
      await sql`SELECT pg_notify(${channel}, ${payload})`.execute(db);
    },
    tryLock: async (name) => {
      // A pooled connection held for as long as the lock: the lock belongs to its session.
      const client = await pool.connect();
      let ok = false;
      try {
        ok = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [name])).rows[0]?.ok === true;
      } finally {
        if (!ok) client.release();
      }
      if (!ok) return undefined;
      return async () => {
        try {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
          client.release();
        } catch (error) {
          client.release(error as Error); // a broken session: dropping it releases the lock
        }
      };
    },
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      await Promise.all([...listeners].map((l) => l.stop()));
      await db.destroy();
    },
  };
}

/** One dedicated connection running LISTEN, re-established with backoff when it drops. */
class PostgresListener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  readonly #onNotify: NotificationHandler;
  readonly #onReconnect: () => void;
  #client: pg.Client | undefined;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;

  constructor(config: pg.ClientConfig, channel: string, onNotify: NotificationHandler, onReconnect: () => void) {
    this.#config = config;
    this.#channel = channel;
    this.#onNotify = onNotify;
    this.#onReconnect = onReconnect;
  }

  /** The first connection must work: a server that cannot listen should not start. */
  async start(): Promise<void> {
    this.#client = await this.#connect();
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({ ...this.#config, query_timeout: undefined });
    client.on('notification', (message) => {
      if (message.channel === this.#channel && message.payload !== undefined) this.#onNotify(message.payload);
    });
    const lost = () => this.#lost(client);
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.#channel)}`);
      return client;
    } catch (error) {
      client.off('error', lost).off('end', lost).on('error', () => {});
      await client.end().catch(() => {});
      throw error;
    }
  }

  #lost(client: pg.Client): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = undefined;
    client.end().catch(() => {});
    this.#retry();
  }

  /** Full-jitter backoff up to 5 s; when back, listeners re-read what they may have missed. */
  #retry(): void {
    const delayMs = Math.random() * Math.min(5000, 100 * 2 ** this.#failures++);
    this.#retryTimer = setTimeout(() => {
      this.#connect().then(
        (client) => {
          if (this.#stopped) {
            client.end().catch(() => {});
            return;
          }
          this.#client = client;
          this.#failures = 0;
          this.#onReconnect();
        },
        () => {
          if (!this.#stopped) this.#retry();
        },
      );
    }, delayMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}

/** True when an error means the database could not be reached, as opposed to a bug. */
export function isDatabaseUnreachable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/^(08|53|57P0[1-3])/.test(code)) return true; // connection exception, resources, shutdown
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection is closed|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
    message,
  );
}
