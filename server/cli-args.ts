// `runlog` command line: it takes no arguments beyond --help and --version; everything else is
// configured by environment variables (config.ts), as on any platform that sets PORT and
// DATABASE_URL.
import { ConfigDefaults } from './config.js';

export const SERVER_CLI_NAME = 'runlog';

export const SERVER_HELP = `Usage: ${SERVER_CLI_NAME} [--help] [--version]

Serves runlog: the build event log API (/v1), the live dashboard (/), the API docs (/docs),
/healthz, /readyz and /metrics. Stops gracefully on SIGTERM or SIGINT.

Configuration, from the environment (a bad value stops the start with a line naming it):
  PORT                            port to listen on (${ConfigDefaults.port}; 0 picks a free one)
  HOST                            address to listen on (${ConfigDefaults.host})
  DATABASE_URL                    postgres://… to use PostgreSQL; unset: embedded PGlite
  RUNLOG_DATA_DIR                 PGlite's data, generated secret and admin token; memory:// keeps them in memory (${ConfigDefaults.dataDir})
  RUNLOG_DB_SCHEMA                PostgreSQL schema for runlog's tables (${ConfigDefaults.databaseSchema})
  RUNLOG_ADMIN_TOKEN              admin token (unset: generated into the data directory)
  RUNLOG_SECRET                   token signing key, shared by every instance (unset: generated)
  RUNLOG_TOKEN_TTL                runner and viewer token lifetime, seconds (7 days)
  RUNLOG_LOG_LEVEL                fatal, error, warn, info, debug, trace or silent (${ConfigDefaults.logLevel})
  RUNLOG_MAX_BATCH_EVENTS         events per append (1000)
  RUNLOG_MAX_BODY_BYTES           request body limit (1 MiB)
  RUNLOG_MAX_EVENT_BYTES          one event's serialized data (256 KiB)
  RUNLOG_MAX_EVENT_DEPTH          one event's data nesting (64)
  RUNLOG_MAX_GAP                  how far past the ack an append may start (10000)
  RUNLOG_COMMIT_QUEUE_MAX         appends waiting for a commit before 503 overloaded (${ConfigDefaults.commitQueueMax})
  RUNLOG_COMMIT_QUEUE_MAX_BYTES   bytes of event data waiting for a commit before 503 overloaded (${ConfigDefaults.commitQueueMaxBytes})
  RUNLOG_COMMIT_GROUP_MAX_EVENTS  events per commit transaction (${ConfigDefaults.commitGroupMaxEvents})
  RUNLOG_PING_INTERVAL_MS         idle time before an SSE ping (${ConfigDefaults.pingIntervalMs})
  RUNLOG_TAIL_CACHE_EVENTS        recent events kept in memory per live build (${ConfigDefaults.tailCacheEvents})
  RUNLOG_TAIL_CACHE_BYTES         bytes of those events kept over all builds, an eighth per build (64 MiB)
  RUNLOG_WORKERS                  worker processes on one port, or auto (one per core); >1 needs DATABASE_URL (1)
  RUNLOG_RETENTION                delete builds idle longer than this: 30d, 12h, 90s (unset: keep forever)
  RUNLOG_RETENTION_SWEEP          how often retention looks for expired builds (10m)
  RUNLOG_TLS_CERT, RUNLOG_TLS_KEY PEM certificate and key files: serve HTTPS with HTTP/2 (unset: plain HTTP)

Exit status: 0 after a graceful stop; 2 for a bad argument or configuration; 1 otherwise.
`;

export type ServerCommand = { readonly name: 'serve' } | { readonly name: 'help' } | { readonly name: 'version' };

export class ServerUsageError extends Error {
  override readonly name = 'ServerUsageError';
}

export function parseServerArgs(argv: readonly string[]): ServerCommand {
  if (argv.length === 0) return { name: 'serve' };
  const [first, ...rest] = argv;
  if (rest.length > 0) throw new ServerUsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  if (first === '--help' || first === '-h' || first === 'help') return { name: 'help' };
  if (first === '--version' || first === '-v') return { name: 'version' };
  throw new ServerUsageError(first!.startsWith('-') ? `unknown option ${first}` : `unexpected argument ${JSON.stringify(first)}`);
}
