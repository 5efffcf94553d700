// The commands of `runlog-runner` (cli.ts parses, this runs): create, emit, exec, flush, tail.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBuildResponseSchema } from '../protocol/schemas.js';
import { CLI_NAME, type Command, type RunnerArgs } from './cli-args.js';
import { execCommand } from './cli-exec.js';
import { tail } from './cli-tail.js';
import { EXIT_ERROR, EXIT_OK, type CliIo } from './cli.js';
import { HttpClient } from './http-client.js';
import { openRunner, type Runner } from './runner.js';
import { StatusLine } from './status-line.js';

/** Runs a parsed command (anything but help); throws on failure, which `main` reports. */
export async function runCommand(command: Exclude<Command, { name: 'help' }>, io: CliIo): Promise<number> {
  switch (command.name) {
    case 'create':
      return create(command, io);
    case 'emit':
      return withRunner(command.runner, io, async (runner) => {
        const seq = await runner.emit(command.type, command.data);
        await runner.flush();
        io.stdout.write(`${seq}\n`);
        return EXIT_OK;
      });
    case 'exec':
      return withRunner(command.runner, io, async (runner) => {
        const result = await execCommand(runner, command.command, command.echo, {
          stdout: io.stdout,
          stderr: io.stderr,
          live: io.stderr.isTTY === true,
          ...(io.stderr.columns === undefined ? {} : { columns: io.stderr.columns }),
        });
        if (result.uploadError !== undefined) return result.exitCode === 0 ? EXIT_ERROR : result.exitCode;
        return result.exitCode;
      });
    case 'flush': {
      const dir = join(command.runner.spoolDir, command.runner.buildId);
      if (!(await stat(dir).then(() => true, () => false))) {
        io.stderr.write(`${CLI_NAME}: no spool for build ${command.runner.buildId} in ${command.runner.spoolDir}; nothing to flush\n`);
        return EXIT_OK;
      }
      return withRunner(command.runner, io, async (runner) => {
        const before = runner.stats();
        await runner.flush();
        const after = runner.stats();
        io.stderr.write(`${CLI_NAME}: flushed build ${command.runner.buildId}: ack ${after.ack} (${after.ack - before.ack} newly acked)\n`);
        return EXIT_OK;
      });
    }
    case 'tail':
      await tail({ ...command, out: io.stdout, err: io.stderr });
      return EXIT_OK;
  }
}

/** Opens the runner, shows its state changes, and closes it whatever happens. */
async function withRunner(args: RunnerArgs, io: CliIo, body: (runner: Runner) => Promise<number>): Promise<number> {
  const runner = await openRunner({
    url: args.urls,
    buildId: args.buildId,
    token: args.token,
    spoolDir: args.spoolDir,
    takeover: args.takeover,
    ...(args.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: args.heartbeatIntervalMs }),
  });
  // exec draws its own live line; the others only report state changes.
  const status = new StatusLine(io.stderr, runner, { live: false });
  try {
    return await body(runner);
  } finally {
    status.stop();
    await runner.close();
  }
}

async function create(command: Extract<Command, { name: 'create' }>, io: CliIo): Promise<number> {
  const http = new HttpClient({ url: command.urls, token: command.adminToken, fetch: globalThis.fetch as never });
  const body = JSON.stringify({ ...(command.buildId === undefined ? {} : { buildId: command.buildId }), ...(command.meta === undefined ? {} : { meta: command.meta }) });
  const result = await http.request('POST', '/v1/builds', body, undefined, 'create build');
  await http.close();
  if (result.kind !== 'ok') throw result.kind === 'error' ? result.error : new Error('aborted');
  const parsed = CreateBuildResponseSchema.safeParse(result.body);
  if (!parsed.success) throw new Error('create build: the server answered something that is not a created build');
  const { build, tokens } = parsed.data;
  const id = encodeURIComponent(build.buildId);
  const viewer = encodeURIComponent(tokens.viewer);
  io.stdout.write(
    `${JSON.stringify(
      {
        buildId: build.buildId,
        tokens: { runner: tokens.runner, viewer: tokens.viewer },
        urls: { dashboard: `${command.url}/builds/${id}?token=${viewer}`, stream: `${command.url}/v1/builds/${id}/stream?token=${viewer}` },
      },
      null,
      2,
    )}\n`,
  );
  return EXIT_OK;
}
