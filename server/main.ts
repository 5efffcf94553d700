// `npm start`: reads the configuration, starts the server, prints where it is, and shuts down
// gracefully on SIGINT/SIGTERM.
import { ConfigError, configFromEnv } from './config.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = configFromEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
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
