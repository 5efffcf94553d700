// A real runlog server for one test file: on a backend, on port 0, with a known admin token,
// and an HTTP helper whose every answer is checked against openapi.yaml.
import { pino } from 'pino';
import { configWith, type ServerConfig } from '../../server/config.js';
import { startServer, type RunningServer, type StartOptions } from '../../server/server.js';
import type { Backend, BackendDatabase } from './backends.js';
import { assertMatchesSpec } from './openapi-validator.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const TEST_SECRET = 'test-secret-0123456789abcdef-0123456789abcdef';

export interface TestServer extends RunningServer {
  readonly db: BackendDatabase;
  /** An HTTP call checked against the OpenAPI document. */
  api(path: string, init?: ApiInit): Promise<ApiResponse>;
  /** Creates a build as admin; returns its id and tokens. */
  createBuild(buildId?: string, meta?: Record<string, unknown>): Promise<{ buildId: string; runner: string; viewer: string }>;
  /** Stops the server and drops its database. */
  stop(): Promise<void>;
}

export interface ApiInit {
  readonly method?: string;
  /** A token for `Authorization: Bearer`; `null` sends none. @default the admin token */
  readonly token?: string | null;
  /** JSON-encoded unless a string or bytes. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Skip the OpenAPI check (for answers the test provokes outside the contract). */
  readonly unchecked?: boolean;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON for JSON answers, else the text. */
  readonly body: any;
}

export async function startTestServer(
  backend: Backend,
  overrides: Partial<ServerConfig> = {},
  database?: BackendDatabase,
  startOptions: Pick<StartOptions, 'janitor' | 'purgeBatchEvents'> = {},
): Promise<TestServer> {
  const db = database ?? (await backend.fresh());
  const config = configWith({
    port: 0,
    databaseUrl: db.databaseUrl,
    databaseSchema: db.databaseSchema,
    dataDir: db.dataDir,
    adminToken: TEST_ADMIN_TOKEN,
    secret: TEST_SECRET,
    logLevel: 'silent',
    ...overrides,
  });
  const server = await startServer(config, { logger: pino({ level: process.env.RUNLOG_TEST_LOG ?? 'silent' }), processMetrics: false, ...startOptions });

  const api = async (path: string, init: ApiInit = {}): Promise<ApiResponse> => {
    const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
    const headers: Record<string, string> = { ...init.headers };
    const token = init.token === undefined ? TEST_ADMIN_TOKEN : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | Uint8Array | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === 'string' || init.body instanceof Uint8Array ? init.body : JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(server.url + path, { method, headers, body: body as BodyInit | undefined });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const parsed = /json/.test(type) && text.length > 0 ? JSON.parse(text) : text;
    if (!init.unchecked) assertMatchesSpec(method, path, { status: response.status, headers: response.headers, body: parsed });
    return { status: response.status, headers: response.headers, body: parsed };
  };

  return {
    ...server,
    db,
    api,
    async createBuild(buildId, meta) {
      const res = await api('/v1/builds', { body: { ...(buildId ? { buildId } : {}), ...(meta ? { meta } : {}) } });
      if (res.status !== 201 && res.status !== 200) throw new Error(`create build failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { buildId: res.body.build.buildId, runner: res.body.tokens.runner, viewer: res.body.tokens.viewer };
    },
    async stop() {
      await server.close();
      await db.drop();
    },
  };
}

/** Events `{type, data}` numbered from `from`, for building append bodies. */
export function sampleEvents(from: number, count: number, tag = 'e'): Array<{ type: string; data: unknown }> {
  return Array.from({ length: count }, (_, i) => ({ type: 'log', data: { stream: 'stdout', line: `${tag} ${from + i}` } }));
}
