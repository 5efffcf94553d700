// `runlog/testing`: a real runlog server for your own integration tests. It starts in the test's
// process on a free port, on a throwaway in-memory database (or a schema of its own in the
// PostgreSQL you name), with a generated admin token, and leaves nothing behind on stop().
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import * as z from 'zod';
import { BEARER_PREFIX, ContentTypes, Headers as H } from '../protocol/headers.js';
import { CreateBuildResponseSchema } from '../protocol/schemas.js';
import { configWith } from './config.js';
import { startServer } from './server.js';

export interface StartRunlogOptions {
  /**
   * A PostgreSQL connection string. The server gets a schema of its own there, dropped by
   * `stop()`, so parallel test files never see each other's builds.
   * @default an in-memory embedded database (PGlite)
   */
  readonly databaseUrl?: string | undefined;
}

export interface TestBuild {
  readonly buildId: string;
  /** `append:<buildId>`: what a runner sends events with. */
  readonly runnerToken: string;
  /** `read:<buildId>`: what a viewer reads the build with. */
  readonly viewerToken: string;
}

export interface RunningRunlog {
  /** The server's origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly adminToken: string;
  /** Creates a build (an id is generated when none is given) and returns its tokens. */
  createBuild(buildId?: string, meta?: Record<string, unknown>): Promise<TestBuild>;
  /** Stops the server and deletes its database. */
  stop(): Promise<void>;
}

const DatabaseUrlSchema = z.url({ protocol: /^postgres(ql)?$/ });

/** Starts a runlog server for a test; rejects with an error naming a bad `databaseUrl`. */
export async function startRunlog(options: StartRunlogOptions = {}): Promise<RunningRunlog> {
  const { databaseUrl } = options;
  if (databaseUrl !== undefined && !DatabaseUrlSchema.safeParse(databaseUrl).success) {
    throw new TypeError(`startRunlog: \`databaseUrl\` must be a postgres:// or postgresql:// URL, got ${JSON.stringify(redact(databaseUrl))}`);
  }
  const databaseSchema = databaseUrl === undefined ? 'public' : `runlog_test_${randomBytes(6).toString('hex')}`;
  const adminToken = randomBytes(24).toString('base64url');
  let server;
  try {
    server = await startServer(
      configWith({
        port: 0,
        databaseUrl,
        databaseSchema,
        dataDir: 'memory://',
        adminToken,
        secret: randomBytes(32).toString('base64url'),
        logLevel: 'silent',
      }),
      { logger: pino({ level: 'silent' }), processMetrics: false },
    );
  } catch (error) {
    if (databaseUrl === undefined) throw error;
    throw new Error(`startRunlog: could not use the database at \`databaseUrl\` ${redact(databaseUrl)}: ${(error as Error).message}`, { cause: error });
  }
  const url = server.url;

  return {
    url,
    adminToken,
    async createBuild(buildId, meta) {
      const response = await fetch(`${url}/v1/builds`, {
        method: 'POST',
        headers: { [H.authorization]: BEARER_PREFIX + adminToken, [H.contentType]: ContentTypes.json },
        body: JSON.stringify({ ...(buildId === undefined ? {} : { buildId }), ...(meta === undefined ? {} : { meta }) }),
      });
      const body: unknown = await response.json();
      if (!response.ok) throw new Error(`startRunlog: creating build ${JSON.stringify(buildId)} failed with ${response.status}: ${JSON.stringify(body)}`);
      const { build, tokens } = CreateBuildResponseSchema.parse(body);
      return { buildId: build.buildId, runnerToken: tokens.runner, viewerToken: tokens.viewer };
    },
    async stop() {
      await server.close();
      if (databaseUrl !== undefined) await dropSchema(databaseUrl, databaseSchema);
    },
  };
}

async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** The URL without its password, for messages. */
function redact(databaseUrl: string): string {
  try {
    const parsed = new URL(databaseUrl);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return databaseUrl;
  }
}
