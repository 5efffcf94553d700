// The `runlog` bin: parses its (few) arguments and the environment, starts the server, prints
// where it is, and shuts down gracefully on SIGINT/SIGTERM.
import cluster from 'node:cluster';
import { pino } from 'pino';
import packageJson from './package.json' with { type: 'json' };
import { loadSecrets, type Secrets } from './auth/secrets.js';
import { TokenSigner } from './auth/tokens.js';
import { ConfigError, configFromEnv, type ServerConfig } from './config.js';
import { parseServerArgs, SERVER_CLI_NAME, SERVER_HELP, ServerUsageError, type ServerCommand } from './cli-args.js';
import { isClusterMessage, runPrimary } from './ops/cluster-primary.js';
import { startServer } from './server.js';

const EXIT_USAGE = 2;

/** Prints one line per problem and exits 2: a start-up mistake, not a crash (no stack). */
function refuse(lines: readonly string[], hint: string): never {
  for (const line of lines) process.stderr.write(`${SERVER_CLI_NAME}: ${line}${hint}\n`);
  process.exit(EXIT_USAGE);
}

async function main(): Promise<void> {
  let command: ServerCommand;
  try {
    command = parseServerArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ServerUsageError) refuse([error.message], ` (see ${SERVER_CLI_NAME} --help)`);
    throw error;
  }
  if (command.name === 'help') return void process.stdout.write(SERVER_HELP);
  if (command.name === 'version') return void process.stdout.write(`${packageJson.version}\n`);

  let config;
  try {
    config = configFromEnv();
  } catch (error) {
    if (error instanceof ConfigError) refuse(error.problems, '');
    throw error;
  }
  if (config.workers > 1 && cluster.isPrimary) return startPrimary(config);

  const server = await startServer(config);

  let stopping = false;
  const stop = (signal: string) => {
    // A second signal forces the exit, except in a worker: a terminal's Ctrl-C reaches the
    // whole process group and the primary forwards it too, so a worker sees it twice.
    if (stopping) {
      if (!cluster.isWorker) process.exit(1);
      return;
    }
    stopping = true;
    server.logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Before the start lines: a supervisor may signal as soon as it reads that the server listens.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  if (cluster.isWorker) {
    // The primary prints where the cluster listens; each worker learns how many are alive.
    process.on('message', (message) => {
      if (isClusterMessage(message)) server.metrics.workersAlive.set(message.alive);
    });
  } else {
    const secrets = { adminToken: server.adminToken, generatedAdminToken: server.generatedAdminToken };
    process.stdout.write(startLines(config, server.url, server.signer, secrets, server.database.kind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL'));
  }
}

function startLines(config: ServerConfig, url: string, signer: TokenSigner, secrets: Pick<Secrets, 'adminToken' | 'generatedAdminToken'>, database: string): string {
  const dashboardToken = signer.sign({ kind: 'read-all' }, new Date(Date.now() + 24 * 3600 * 1000));
  const workers = config.workers > 1 ? `, ${config.workers} workers` : '';
  const lines = [`runlog listening on ${url} (database: ${database}${workers})`, `dashboard: ${url}/?token=${dashboardToken}`, `API docs:  ${url}/docs`];
  const generated = secrets.generatedAdminToken;
  if (generated !== undefined) {
    lines.push(`admin token (generated, ${generated.file === undefined ? 'in memory for this run only' : `stored in ${generated.file}`}): ${secrets.adminToken}`);
  }
  return lines.join('\n') + '\n';
}

/** The cluster's primary: secrets first (so workers read, never race to generate them), then the workers. */
async function startPrimary(config: ServerConfig): Promise<void> {
  const secrets = await loadSecrets(config);
  const signer = new TokenSigner(secrets.secret, secrets.adminToken);
  const logger = pino({ level: config.logLevel });
  runPrimary({
    workers: config.workers,
    logger,
    onListening: (port) => {
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      process.stdout.write(startLines(config, `${config.tls ? 'https' : 'http'}://${host}:${port}`, signer, secrets, 'PostgreSQL'));
    },
  });
}

await main();
