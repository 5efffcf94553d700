// `runlog-runner` command line: the help text, and argv + environment → one typed command.
// Options come from flags first, then RUNLOG_* variables; a missing one is a usage error.
import { parseArgs } from 'node:util';
import { BUILD_ID_PATTERN, HEARTBEAT_INTERVAL_MAX_MS, HEARTBEAT_INTERVAL_MIN_MS } from '../protocol/limits.js';

export const CLI_NAME = 'runlog-runner';

export const HELP = `Usage: ${CLI_NAME} <command> [options]

Writes a build's events to a runlog server through a durable on-disk spool, and reads them back.

Commands:
  create [--build ID] [--meta JSON]   Create a build (needs the admin token). Prints JSON:
                                      {"buildId", "tokens": {"runner", "viewer"},
                                       "urls": {"dashboard", "stream"}}
  emit TYPE [JSON]                    Append one event (data JSON, default null); exits once acked.
  exec [--no-echo] -- CMD [ARGS...]   Run CMD: emits "start", each stdout/stderr line as "log"
                                      {stream, line} in the order read, then "finish"
                                      {status: "succeeded"|"failed", exitCode} as the final event.
                                      Echoes CMD's output; exits with CMD's exit code once
                                      everything is acked. Keeps a live status line on a terminal,
                                      else prints a line when the connection state changes.
  flush                               Upload whatever the build's spool holds (after a crash);
                                      exits once acked.
  tail [--after N] [--json]           Follow the build's event stream (SSE), one line per event,
                                      resuming across disconnects; exits at the build's end.
  help                                Show this text.

Options (each also read from the environment variable shown):
  --url URL[,URL…]    RUNLOG_URL          Server base URL, e.g. http://127.0.0.1:8787; several
                                          (comma-separated) fail over in order and come back
                                          to the first once it is ready again
  --build ID          RUNLOG_BUILD        Build id (create: optional, the server picks one)
  --token TOKEN       RUNLOG_TOKEN        Runner token (emit, exec, flush) or viewer token (tail)
  --spool DIR         RUNLOG_SPOOL        Spool directory (default: ./.runlog-spool)
  --admin-token TOK   RUNLOG_ADMIN_TOKEN  Admin token (create; tail falls back to it)
  --meta JSON                             create: the build's meta object
  --after N                               tail: start after seq N (default 0)
  --json                                  tail: print each event as its JSON line
  --no-echo                               exec: do not copy CMD's output to this terminal
  --takeover                              emit, exec: take the build over from another runner
                                          (raises the epoch; continues after the server's ack)
  --heartbeat-ms MS   RUNLOG_HEARTBEAT_MS emit, exec, flush: tell the server the runner is alive
                                          every MS ms while it has nothing to send (default
                                          5000; 0 turns it off)
  -h, --help                              Show this text.

Exit status: 0 on success; exec: CMD's exit code (1 if CMD succeeded but the upload failed);
2 for bad usage; 1 for any other error, reported on one line.
`;

export const SPOOL_DEFAULT = '.runlog-spool';

export type Command =
  | { readonly name: 'help' }
  | { readonly name: 'create'; readonly url: string; readonly urls: readonly string[]; readonly adminToken: string; readonly buildId?: string; readonly meta?: Record<string, unknown> }
  | { readonly name: 'emit'; readonly runner: RunnerArgs; readonly type: string; readonly data: unknown }
  | { readonly name: 'exec'; readonly runner: RunnerArgs; readonly command: readonly string[]; readonly echo: boolean }
  | { readonly name: 'flush'; readonly runner: RunnerArgs }
  | { readonly name: 'tail'; readonly url: string; readonly urls: readonly string[]; readonly buildId: string; readonly token: string; readonly after: number; readonly json: boolean };

export interface RunnerArgs {
  /** The first of `urls`. */
  readonly url: string;
  readonly urls: readonly string[];
  readonly buildId: string;
  readonly token: string;
  readonly spoolDir: string;
  readonly takeover: boolean;
  /** Undefined: the library's default. */
  readonly heartbeatIntervalMs?: number;
}

/** Bad usage: the message names the problem; the CLI prints it on one line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseCommand(argv: readonly string[], env: Record<string, string | undefined>): Command {
  const dashDash = argv.indexOf('--');
  const own = dashDash < 0 ? [...argv] : argv.slice(0, dashDash);
  const rest = dashDash < 0 ? undefined : argv.slice(dashDash + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        build: { type: 'string' },
        token: { type: 'string' },
        spool: { type: 'string' },
        'admin-token': { type: 'string' },
        meta: { type: 'string' },
        after: { type: 'string' },
        json: { type: 'boolean' },
        'no-echo': { type: 'boolean' },
        takeover: { type: 'boolean' },
        'heartbeat-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    throw new UsageError(unknown !== null ? `unknown option ${unknown[1]}` : message.split('\n')[0]!);
  }
  const { values, positionals } = parsed;
  const [name, ...args] = positionals;
  if (values.help === true || name === undefined || name === 'help') return { name: 'help' };

  const pick = (flag: string | undefined, variable: string): string | undefined => {
    const value = flag ?? env[variable];
    return value === undefined || value === '' ? undefined : value;
  };
  const need = (flag: string | undefined, option: string, variable: string): string => {
    const value = pick(flag, variable);
    if (value === undefined) throw new UsageError(`${name} needs --${option} or ${variable}`);
    return value;
  };
  /** What a bad value came from, so the message names what the user typed. */
  const source = (flag: string | undefined, option: string, variable: string): string => (flag !== undefined ? `--${option}` : variable);
  /** One base URL or several, comma-separated (failover order). */
  const urls = (): string[] => {
    const raw = need(values.url, 'url', 'RUNLOG_URL');
    const entries = raw.split(',').map((e) => e.trim());
    return entries.map((entry, i) => {
      const value = entry.replace(/\/+$/, '');
      if (!/^https?:\/\/[^/?#\s]/.test(value) || /[?#\s]/.test(value)) {
        const which = entries.length > 1 ? ` entry ${i + 1}` : '';
        throw new UsageError(`${source(values.url, 'url', 'RUNLOG_URL')}${which} must be an http(s) URL, got ${JSON.stringify(entry)}`);
      }
      return value;
    });
  };
  const url = (): string => urls()[0]!;
  const buildId = (required: boolean): string | undefined => {
    const value = required ? need(values.build, 'build', 'RUNLOG_BUILD') : pick(values.build, 'RUNLOG_BUILD');
    if (value !== undefined && !BUILD_ID_PATTERN.test(value)) throw new UsageError(`${source(values.build, 'build', 'RUNLOG_BUILD')} must match ${BUILD_ID_PATTERN.source}, got ${JSON.stringify(value)}`);
    return value;
  };
  const noMore = (expected: number): void => {
    if (args.length > expected) throw new UsageError(`${name} takes ${expected === 0 ? 'no' : `at most ${expected}`} argument${expected === 1 ? '' : 's'}; unexpected ${JSON.stringify(args[expected])}`);
    if (rest !== undefined && name !== 'exec') throw new UsageError(`${name} takes nothing after --`);
  };
  const heartbeat = (): number | undefined => {
    const raw = pick(values['heartbeat-ms'], 'RUNLOG_HEARTBEAT_MS');
    if (raw === undefined) return undefined;
    const ms = Number(raw);
    if (!/^\d+$/.test(raw) || !(ms === 0 || (ms >= HEARTBEAT_INTERVAL_MIN_MS && ms <= HEARTBEAT_INTERVAL_MAX_MS))) {
      throw new UsageError(
        `${source(values['heartbeat-ms'], 'heartbeat-ms', 'RUNLOG_HEARTBEAT_MS')} must be 0 or ${HEARTBEAT_INTERVAL_MIN_MS}–${HEARTBEAT_INTERVAL_MAX_MS} ms, got ${JSON.stringify(raw)}`,
      );
    }
    return ms;
  };
  const runnerArgs = (): RunnerArgs => {
    const heartbeatIntervalMs = heartbeat();
    return {
      url: url(),
      urls: urls(),
      buildId: buildId(true)!,
      token: need(values.token, 'token', 'RUNLOG_TOKEN'),
      spoolDir: pick(values.spool, 'RUNLOG_SPOOL') ?? SPOOL_DEFAULT,
      takeover: values.takeover === true,
      ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
    };
  };

  switch (name) {
    case 'create': {
      noMore(0);
      const meta = values.meta === undefined ? undefined : parseJsonArg(values.meta, '--meta');
      if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) throw new UsageError('--meta must be a JSON object');
      const id = buildId(false);
      return {
        name,
        url: url(),
        urls: urls(),
        adminToken: need(values['admin-token'], 'admin-token', 'RUNLOG_ADMIN_TOKEN'),
        ...(id === undefined ? {} : { buildId: id }),
        ...(meta === undefined ? {} : { meta: meta as Record<string, unknown> }),
      };
    }
    case 'emit': {
      noMore(2);
      const [type, json] = args;
      if (type === undefined) throw new UsageError('emit needs an event TYPE');
      return { name, runner: runnerArgs(), type, data: json === undefined ? null : parseJsonArg(json, 'the event data') };
    }
    case 'exec': {
      const command = rest ?? args;
      if (rest !== undefined && args.length > 0) throw new UsageError(`exec takes the command after --; unexpected ${JSON.stringify(args[0])}`);
      if (command.length === 0) throw new UsageError('exec needs a command: exec -- CMD [ARGS...]');
      return { name, runner: runnerArgs(), command, echo: values['no-echo'] !== true };
    }
    case 'flush':
      noMore(0);
      return { name, runner: runnerArgs() };
    case 'tail': {
      noMore(0);
      const after = values.after === undefined ? 0 : Number(values.after);
      if (!Number.isSafeInteger(after) || after < 0 || !/^\d+$/.test(values.after ?? '0')) throw new UsageError(`--after must be a seq ≥ 0, got ${JSON.stringify(values.after)}`);
      const token = pick(values.token, 'RUNLOG_TOKEN') ?? pick(values['admin-token'], 'RUNLOG_ADMIN_TOKEN');
      if (token === undefined) throw new UsageError('tail needs --token (a viewer token) or RUNLOG_TOKEN');
      return { name, url: url(), urls: urls(), buildId: buildId(true)!, token, after, json: values.json === true };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: create, emit, exec, flush, tail`);
  }
}

function parseJsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${what} is not JSON: ${(error as Error).message}`);
  }
}
