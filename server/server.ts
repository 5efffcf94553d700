// Starts and stops one runlog server: database, engine, HTTP listener. `main.ts` calls it for
// `npm start`; tests call it to get a real server on port 0.
import { randomUUID } from 'node:crypto';
import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { pino, type Logger } from 'pino';
import { loadSecrets, type Secrets } from './auth/secrets.js';
import { TokenSigner } from './auth/tokens.js';
import type { ServerConfig } from './config.js';
import { createApp } from './app.js';
import { Shutdown } from './http/shutdown.js';
import { openDatabase, type Database } from './db/database.js';
import type { AppEnv } from './http/app-env.js';
import { Hub } from './log/hub.js';
import { hubChannel } from './log/hub-message.js';
import { Janitor } from './log/janitor.js';
import { KyselyLogStore } from './log/kysely-log-store.js';
import { LogEngine } from './log/log-engine.js';
import { Metrics } from './metrics.js';
import { PresenceMetrics } from './presence/presence-metrics.js';
import { PresenceStore } from './presence/presence-store.js';
import { PresenceTracker } from './presence/presence-tracker.js';

/** How long in-flight responses get to finish once a shutdown has begun. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * Connections the kernel may hold for the server before it accepts them (Linux caps this at
 * net.core.somaxconn, 4096 since 5.4). Node's default of 511 overflowed when hundreds of runners
 * and viewers connected at once (a restart, the bench's 500 builds): the kernel dropped their
 * SYNs and each client waited out TCP's 1 s, 3 s, 7 s retransmits, with later batches of its
 * build committed meanwhile and its ack stuck below the missing one.
 */
const LISTEN_BACKLOG = 4096;

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly adminToken: string;
  /** Set when this start generated the admin token: the file it went to, or none in memory. */
  readonly generatedAdminToken: Secrets['generatedAdminToken'];
  readonly signer: TokenSigner;
  readonly engine: LogEngine;
  /** Runner presence: reports, their once-per-interval writes, and what readers are told. */
  readonly presence: PresenceTracker;
  readonly database: Database;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Retention and purging of deleted builds' events (`run()` for one pass now). */
  readonly janitor: Janitor;
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
  /** Events per purge transaction (tests use small ones). @default JanitorDefaults.purgeBatchEvents */
  readonly purgeBatchEvents?: number;
  /** Start the periodic retention sweep. @default true */
  readonly janitor?: boolean;
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
    commitQueueMaxBytes: config.commitQueueMaxBytes,
    commitGroupMaxEvents: config.commitGroupMaxEvents,
    commitLanes: config.commitLanes,
    tailCacheEvents: config.tailCacheEvents,
    tailCacheBytes: config.tailCacheBytes,
    onGroup: (appends, events, durationMs) => metrics.recordGroup(appends, events, durationMs),
  });
  let presenceMetrics: PresenceMetrics | undefined;
  const presence = new PresenceTracker(new PresenceStore(database.db), hub, {
    logger,
    onReport: (outcome) => presenceMetrics?.reports.inc({ result: outcome }),
  });
  presenceMetrics = new PresenceMetrics(metrics.registry, presence, logger);
  metrics.workersConfigured.set(config.workers);
  metrics.workersAlive.set(config.workers > 1 ? 0 : 1); // a cluster's primary reports the count
  hub.subscribeAll((notice) => {
    if (notice.kind === 'resync') metrics.hubResyncs.inc();
  });
  const janitor = new Janitor(engine, database, {
    retentionMs: config.retentionMs,
    sweepIntervalMs: config.retentionSweepMs,
    lockName: `runlog-janitor:${config.databaseSchema}`,
    ...(options.purgeBatchEvents === undefined ? {} : { purgeBatchEvents: options.purgeBatchEvents }),
    onExpired: () => metrics.retentionBuildsDeleted.inc(),
    onPurged: (_buildId, events) => {
      metrics.eventsPurged.inc(events);
      metrics.purgeBatchEvents.observe(events);
    },
    onRun: (run) => metrics.retentionRuns.inc({ outcome: run.ran ? 'ran' : 'skipped' }),
    onError: (error) => logger.warn({ err: error }, 'retention run failed; the next one retries'),
  });
  const signer = new TokenSigner(secrets.secret, secrets.adminToken);
  const shutdown = new AbortController();
  const app = createApp(
    { config, database, engine, signer, metrics, presence, presenceMetrics, logger, shutdown: new Shutdown(shutdown.signal) },
    options.extraRoutes,
  );

  const server: ServerType = await new Promise((resolve, reject) => {
    // TLS: ALPN offers h2 and http/1.1, so browsers multiplex every stream of an origin on one
    // connection (HTTP/1.1 allows six) and older clients still connect.
    const s = config.tls
      ? createAdaptorServer({ fetch: app.fetch, createServer: createSecureServer, serverOptions: { cert: config.tls.cert, key: config.tls.key, allowHTTP1: true } })
      : createAdaptorServer({ fetch: app.fetch });
    s.once('error', reject);
    s.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const connections = trackConnections(server, config.tls !== undefined);
  if (options.janitor ?? true) janitor.start();

  let closing: Promise<void> | undefined;
  return {
    url: `${config.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    adminToken: secrets.adminToken,
    generatedAdminToken: secrets.generatedAdminToken,
    signer,
    engine,
    presence,
    database,
    logger,
    metrics,
    janitor,
    shutdownSignal: shutdown.signal,
    close: () =>
      (closing ??= (async () => {
        // Streams end and long-polls answer now; appends already queued commit and are answered.
        shutdown.abort();
        presence.close();
        await janitor.stop();
        await engine.drain();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          connections.closeIdle();
          // Keep-alive sockets that finish a response after this point would hold close() open.
          setTimeout(() => connections.closeAll(), SHUTDOWN_GRACE_MS).unref();
        });
        await hub.disconnect();
        await database.close();
      })()),
  };
}

/**
 * Closing idle and, after the grace, all connections: node:http has both built in; the HTTP/2
 * server has neither, so its sessions get a GOAWAY (finish open streams, take no new ones)
 * and its HTTP/1.1 sockets are destroyed after the grace.
 */
function trackConnections(server: ServerType, secure: boolean): { closeIdle(): void; closeAll(): void } {
  if (!secure) {
    const http = server as ServerType & { closeIdleConnections(): void; closeAllConnections(): void };
    return { closeIdle: () => http.closeIdleConnections(), closeAll: () => http.closeAllConnections() };
  }
  const h2 = server as unknown as Http2SecureServer;
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  h2.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    closeIdle: () => {
      for (const session of sessions) session.close();
    },
    closeAll: () => {
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    },
  };
}
