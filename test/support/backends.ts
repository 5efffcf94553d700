// The storage backends every storage-touching suite loops over (CONVENTIONS §Tests):
// embedded PGlite, and PostgreSQL at TEST_DATABASE_URL. Each test file gets its own schema.
// In CI a missing or unreachable PostgreSQL fails the suite instead of skipping it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface Backend {
  readonly name: 'pglite' | 'postgres';
  /** Why this backend cannot run here; undefined when it can. */
  readonly unavailable: string | undefined;
  /** A fresh, empty database for one server (or several sharing it). */
  fresh(): Promise<BackendDatabase>;
}

export interface BackendDatabase {
  readonly databaseUrl: string | undefined;
  readonly databaseSchema: string;
  /** PGlite directory (memory:// unless `persistent`), ignored on PostgreSQL. */
  readonly dataDir: string;
  drop(): Promise<void>;
}

const POSTGRES_URL = process.env.TEST_DATABASE_URL;
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

async function postgresReachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${url} is unreachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

const postgresProblem = POSTGRES_URL === undefined ? 'TEST_DATABASE_URL is not set' : await postgresReachable(POSTGRES_URL);
if (postgresProblem !== undefined && IN_CI) {
  throw new Error(`CI needs PostgreSQL for the storage suites: ${postgresProblem}`);
}

export function newSchemaName(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

export const PGLITE: Backend = {
  name: 'pglite',
  unavailable: undefined,
  async fresh() {
    return { databaseUrl: undefined, databaseSchema: 'public', dataDir: 'memory://', drop: async () => {} };
  },
};

export const POSTGRES: Backend = {
  name: 'postgres',
  unavailable: postgresProblem,
  async fresh() {
    const schema = newSchemaName();
    return {
      databaseUrl: POSTGRES_URL!,
      databaseSchema: schema,
      dataDir: 'memory://',
      async drop() {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await client.end();
        }
      },
    };
  },
};

export const BACKENDS: readonly Backend[] = [PGLITE, POSTGRES];
