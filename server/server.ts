// Starts and stops one runlog server: database, engine, HTTP listener. `main.ts` calls it for
// `npm start`; tests call it to get a real server on port 0.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { pino, type Logger } from 'pino';
import { loadSecrets } from './auth/secrets.js';
import { TokenSigner } from './auth/tokens.js';
import type { ServerConfig } from './config.js';
import { createApp } from './app.js';
import { Shutdown } from './http/shutdown.js';
import { openDatabase, type Database } from './db/database.js';
import type { AppEnv } from './http/app-env.js';
import { Hub } from './log/hub.js';
import { hubChannel } from './log/hub-message.js';
import { KyselyLogStore } from './log/kysely-log-store.js';
import { LogEngine } from './log/log-engine.js';
import { Metrics } from './metrics.js';

/** How long in-flight responses get to finish once a shutdown has begun. */
const SHUTDOWN_GRACE_MS = 2000;

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly adminToken: string;
  /** Where the admin token was generated to on this start, if it was. */
  readonly generatedAdminTokenFile: string | undefined;
  readonly signer: TokenSigner;
  readonly engine: LogEngine;
  readonly database: Database;
  readonly logger: Logger;
  /** Aborted when `close()` begins (tests check that streams do not pile listeners on it). */
  readonly shutdownSignal: AbortSignal;
  /** Graceful stop: refuse new appends, finish and answer queued commits, end streams, close. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Extra routes (the dashboard) registered after the API. */
  readonly extraRoutes?: (app: Hono<AppEnv>) => void;
  /** Collect Node process metrics (once per process is enough). @default true */
  readonly processMetrics?: boolean;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const secrets = await loadSecrets(config);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, databaseSchema: config.databaseSchema, dataDir: config.dataDir });
  const hubAddress = { channel: hubChannel(config.databaseSchema), origin: randomUUID() };
  const hub = new Hub(hubAddress);
  await hub.connect(database);
  const metrics = new Metrics({ processMetrics: options.processMetrics ?? true });
  const store = new KyselyLogStore(database.db, {
    maxGapWindow: config.limits.maxGapWindow,
    notify: database.kind === 'postgres' ? hubAddress : undefined,
  });
  const engine = new LogEngine(store, hub, {
    commitQueueMax: config.commitQueueMax,
    commitGroupMaxEvents: config.commitGroupMaxEvents,
    tailCacheEvents: config.tailCacheEvents,
    tailCacheBytes: config.tailCacheBytes,
    onGroup: (appends, events, durationMs) => metrics.recordGroup(appends, events, durationMs),
  });
  const signer = new TokenSigner(secrets.secret, secrets.adminToken);
  const shutdown = new AbortController();
  const app = createApp({ config, database, engine, signer, metrics, logger, shutdown: new Shutdown(shutdown.signal) }, options.extraRoutes);

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    adminToken: secrets.adminToken,
    generatedAdminTokenFile: secrets.generatedAdminTokenFile,
    signer,
    engine,
    database,
    logger,
    shutdownSignal: shutdown.signal,
    close: () =>
      (closing ??= (async () => {
        // Streams end and long-polls answer now; appends already queued commit and are answered.
        shutdown.abort();
        await engine.drain();
        const http = server as ServerType & { closeIdleConnections(): void; closeAllConnections(): void };
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          http.closeIdleConnections();
          // Keep-alive sockets that finish a response after this point would hold close() open.
          setTimeout(() => http.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
        });
        await hub.disconnect();
        await database.close();
      })()),
  };
}
