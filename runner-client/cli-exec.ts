// `runlog-runner exec -- CMD`: runs a command and writes its life to the build's log — `start`,
// one `log` per output line in the order the lines were read (a `\r` rewrite stays inside its
// line, see line-splitter.ts), `finish` as the final event.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { RunnerError } from './errors.js';
import { LineSplitter } from './line-splitter.js';
import type { Runner } from './runner.js';
import { StatusLine } from './status-line.js';

export interface ExecIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Draw the live status line (stderr is a terminal). */
  readonly live: boolean;
  readonly columns?: number;
}

export const ExecDefaults = {
  /** Emits not yet durable before the command's output is paused: bounds memory, keeps the pipe flowing. */
  maxOutstandingEmits: 2_000,
  /** A longer line goes out as several `log` events… */
  maxLineChars: 64 * 1024,
  /** …and so does one whose text takes more JSON than this: each event stays under the server's 256 KiB data limit. */
  maxLineJsonBytes: 192 * 1024,
} as const;

export interface ExecResult {
  readonly exitCode: number;
  /** Why the upload failed, if it did. */
  readonly uploadError: RunnerError | undefined;
}

export async function execCommand(runner: Runner, command: readonly string[], echo: boolean, io: ExecIo): Promise<ExecResult> {
  const status = new StatusLine(io.stderr, runner, { live: io.live, ...(io.columns === undefined ? {} : { columns: io.columns }) });
  let uploadError: RunnerError | undefined;
  const failed = (error: unknown): void => {
    if (uploadError !== undefined) return;
    uploadError = error instanceof RunnerError ? error : new RunnerError('rejected', String(error));
    status.writeAbove(io.stderr, `runlog-runner: ${uploadError.message}; the command keeps running, its output is no longer recorded\n`);
  };
  // Each emit is awaited only in bulk: seqs follow call order, so lines stay in the order read.
  let outstanding = 0;
  const streams: Readable[] = [];
  const emit = (type: string, data: unknown): void => {
    if (uploadError !== undefined) return;
    outstanding++;
    if (outstanding >= ExecDefaults.maxOutstandingEmits) for (const s of streams) s.pause();
    runner.emit(type, data).then(
      () => {
        outstanding--;
        if (outstanding === Math.floor(ExecDefaults.maxOutstandingEmits / 2)) for (const s of streams) s.resume();
      },
      (error: unknown) => {
        outstanding--;
        failed(error);
        for (const s of streams) s.resume();
      },
    );
  };

  const [file, ...args] = command;
  emit('start', { command });
  const child = spawn(file!, args, { stdio: ['inherit', 'pipe', 'pipe'] });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  const lines = (input: Readable, stream: 'stdout' | 'stderr', target: Writable): Promise<void> => {
    streams.push(input);
    const splitter = new LineSplitter(ExecDefaults.maxLineChars, ExecDefaults.maxLineJsonBytes, (line) => emit('log', { stream, line }));
    input.on('data', (chunk: Buffer) => {
      // Echoed as read: a progress bar still moves on the terminal while its line is recorded whole.
      if (echo) status.writeAbove(target, chunk);
      splitter.write(chunk);
    });
    return new Promise((resolve) =>
      input.once('close', () => {
        splitter.end();
        resolve();
      }),
    );
  };
  const outputDone = Promise.all([lines(child.stdout, 'stdout', io.stdout), lines(child.stderr, 'stderr', io.stderr)]);

  const exit = await new Promise<{ code: number; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: 127, signal: null, spawnError: error }));
    child.once('exit', (code, signal) => resolve({ code: code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)), signal }));
  });
  if (exit.spawnError === undefined) await outputDone;
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);

  if (exit.spawnError !== undefined) {
    status.writeAbove(io.stderr, `runlog-runner: cannot run ${JSON.stringify(file)}: ${exit.spawnError.message}\n`);
    emit('error', { errorText: `cannot run ${file}: ${exit.spawnError.message}` });
  }
  const finish = { status: exit.code === 0 ? 'succeeded' : 'failed', exitCode: exit.code, ...(exit.signal === null ? {} : { signal: exit.signal }) };
  if (uploadError === undefined) {
    try {
      await runner.finish(finish);
    } catch (error) {
      failed(error);
    }
  }
  status.stop();
  return { exitCode: exit.code, uploadError };
}
