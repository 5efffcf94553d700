// `runlog-runner`: the command line over runner-client. `main` returns the exit status and never
// throws: every failure becomes one line on stderr (RUNLOG_DEBUG=1 adds the stack). Only the
// argument parser is loaded up front; the commands (and the HTTP client, spool, schemas they
// need) load once a command other than help is known, so `--help` and usage errors are quick.
import type { Writable } from 'node:stream';
import { CLI_NAME, HELP, parseCommand, UsageError, type Command } from './cli-args.js';

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

export async function main(argv: readonly string[], env: Record<string, string | undefined> = process.env, io: CliIo = process): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv, env);
  } catch (error) {
    io.stderr.write(`${CLI_NAME}: ${(error as Error).message} (see ${CLI_NAME} --help)\n`);
    return EXIT_USAGE;
  }
  if (command.name === 'help') {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  try {
    const { runCommand } = await import('./cli-commands.js');
    return await runCommand(command, io);
  } catch (error) {
    io.stderr.write(`${CLI_NAME}: ${(error as Error)?.message ?? String(error)}\n`);
    if (env.RUNLOG_DEBUG === '1' && error instanceof Error && error.stack !== undefined) io.stderr.write(`${error.stack}\n`);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_ERROR;
  }
}
