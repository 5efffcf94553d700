// The `runlog` bin: parses its (few) arguments and the environment, starts the server, prints
// where it is, and shuts down gracefully on SIGINT/SIGTERM.
import packageJson from './package.json' with { type: 'json' };
import { ConfigError, configFromEnv } from './config.js';
import { parseServerArgs, SERVER_CLI_NAME, SERVER_HELP, ServerUsageError, type ServerCommand } from './cli-args.js';
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
  const server = await startServer(config);
  const dashboardToken = server.signer.sign({ kind: 'read-all' }, new Date(Date.now() + 24 * 3600 * 1000));
  const lines = [
    `runlog listening on ${server.url} (database: ${server.database.kind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL'})`,
    `dashboard: ${server.url}/?token=${dashboardToken}`,
    `API docs:  ${server.url}/docs`,
  ];
  if (server.generatedAdminTokenFile) {
    lines.push(`admin token (generated, stored in ${server.generatedAdminTokenFile}): ${server.adminToken}`);
  }
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
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
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
