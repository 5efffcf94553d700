// The `runlog-runner` CLI as a user runs it: a separate process against a real server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunner } from '../runner-client/index.js';
import { PGLITE } from './support/backends.js';
import { startFaultProxy } from './support/fault-proxy.js';
import { readLog, runCli } from './support/runner-harness.js';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from './support/test-server.js';

/** A one-line error: no stack trace, no second line. */
const expectOneLineError = (stderr: string, pattern: RegExp) => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^runlog-runner: /);
  expect(stderr).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('runlog-runner CLI', () => {
  let server: TestServer;
  let root: string;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    root = await mkdtemp(join(tmpdir(), 'runlog-cli-'));
  });
  afterAll(async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });
  const runnerEnv = (build: { buildId: string; runner: string }, spool = join(root, 'spool')) => ({
    RUNLOG_URL: server.url,
    RUNLOG_BUILD: build.buildId,
    RUNLOG_TOKEN: build.runner,
    RUNLOG_SPOOL: spool,
  });

  it('documents every command and option in --help', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const word of ['create', 'emit TYPE [JSON]', 'exec', 'flush', 'tail', '--url', '--build', '--token', '--spool', '--admin-token', '--meta', '--after', '--json', '--no-echo', '--takeover']) {
      expect(stdout).toContain(word);
    }
    for (const variable of ['RUNLOG_URL', 'RUNLOG_BUILD', 'RUNLOG_TOKEN', 'RUNLOG_SPOOL', 'RUNLOG_ADMIN_TOKEN']) expect(stdout).toContain(variable);
  });

  it('answers bad usage with a one-line error and exit status 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['emit', 'log'], /needs --url or RUNLOG_URL/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['emit', 'log', '{nope', '--url', server.url, '--build', 'b', '--token', 't'], /the event data is not JSON/],
      [['tail', '--url', server.url, '--build', 'b', '--token', 't', '--after', '-3'], /--after/],
      [['create', '--url', server.url], /needs --admin-token or RUNLOG_ADMIN_TOKEN/],
      [['emit', 'log', '--url', server.url, '--build', 'bad/id', '--token', 't'], /--build must match/],
      [['exec', '--url', server.url, '--build', 'b', '--token', 't'], /exec needs a command/],
      [['emit', '--frob'], /unknown option --frob/],
    ];
    for (const [args, pattern] of cases) {
      const { code, stderr } = await runCli(args);
      expect(code, args.join(' ')).toBe(2);
      expectOneLineError(stderr, pattern);
    }
    // A bad environment value is named by its variable.
    const env: Array<[Record<string, string>, RegExp]> = [
      [{ RUNLOG_URL: 'ftp://x', RUNLOG_BUILD: 'b', RUNLOG_TOKEN: 't' }, /RUNLOG_URL must be an http\(s\) URL, got "ftp:\/\/x"/],
      [{ RUNLOG_URL: server.url, RUNLOG_BUILD: 'no spaces', RUNLOG_TOKEN: 't' }, /RUNLOG_BUILD must match/],
    ];
    for (const [vars, pattern] of env) {
      const { code, stderr } = await runCli(['emit', 'log'], vars);
      expect(code, JSON.stringify(vars)).toBe(2);
      expectOneLineError(stderr, pattern);
    }
  });

  it('answers a bad token with a one-line error naming it and exit status 1', async () => {
    const build = await server.createBuild();
    const { code, stderr } = await runCli(['emit', 'log', '{}'], { ...runnerEnv(build, join(root, 'bad-token')), RUNLOG_TOKEN: 'not-a-token' });
    expect(code).toBe(1);
    expectOneLineError(stderr, /401 unauthorized/);
    const other = await server.createBuild();
    const wrong = await runCli(['emit', 'log', '{}'], { ...runnerEnv(build, join(root, 'wrong-token')), RUNLOG_TOKEN: other.runner });
    expect(wrong.code).toBe(1);
    expectOneLineError(wrong.stderr, /403 forbidden/);
  });

  it('creates a build and prints its id, tokens and URLs as JSON', async () => {
    const { code, stdout } = await runCli(['create', '--build', 'cli-made', '--meta', '{"repo":"r"}'], { RUNLOG_URL: server.url, RUNLOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { buildId: string; tokens: { runner: string; viewer: string }; urls: { dashboard: string; stream: string } };
    expect(out.buildId).toBe('cli-made');
    expect(out.urls).toEqual({
      dashboard: `${server.url}/builds/cli-made?token=${encodeURIComponent(out.tokens.viewer)}`,
      stream: `${server.url}/v1/builds/cli-made/stream?token=${encodeURIComponent(out.tokens.viewer)}`,
    });
    const build = await server.api('/v1/builds/cli-made', { token: out.tokens.viewer });
    expect(build.body.meta).toEqual({ repo: 'r' });
    // The runner token appends.
    const emitted = await runCli(['emit', 'status', '{"phase":"x"}'], runnerEnv({ buildId: out.buildId, runner: out.tokens.runner }));
    expect(emitted.code).toBe(0);
  });

  it('emits one event and exits once it is acked, continuing the spool on the next call', async () => {
    const build = await server.createBuild();
    const env = runnerEnv(build, join(root, 'emit'));
    const first = await runCli(['emit', 'status', '{"phase":"build"}'], env);
    const second = await runCli(['emit', 'log'], env);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect([first.stdout, second.stdout]).toEqual(['1\n', '2\n']);
    const log = await readLog(server, build.buildId, build.viewer);
    expect(log.map((e) => [e.seq, e.type, e.data])).toEqual([
      [1, 'status', { phase: 'build' }],
      [2, 'log', null],
    ]);
  });

  it('exec records start, every stdout and stderr line in order, and finish with the exit code', async () => {
    const build = await server.createBuild();
    const script = join(root, 'noisy.cjs');
    await writeFile(
      script,
      `for (let i = 1; i <= 5000; i++) {
         process.stdout.write('out ' + i + '\\n');
         if (i % 250 === 0) process.stderr.write('err ' + i + '\\n');
       }
       process.stdout.write('no newline at the end', () => process.exit(3));`,
    );
    const { code, stdout, stderr } = await runCli(['exec', '--', process.execPath, script], runnerEnv(build, join(root, 'exec')));
    expect(code).toBe(3);
    // Echoed to the terminal; not a TTY, so no status line was drawn (the server never went away).
    expect(stdout.split('\n').filter((l) => l.startsWith('out '))).toHaveLength(5000);
    expect(stderr.split('\n').filter((l) => l.startsWith('err '))).toHaveLength(20);
    expect(stderr).not.toMatch(/runlog-runner:/);

    const log = await readLog(server, build.buildId, build.viewer);
    expect(log[0]).toMatchObject({ seq: 1, type: 'start', data: { command: [process.execPath, script] } });
    const lines = log.filter((e) => e.type === 'log').map((e) => e.data as { stream: string; line: string });
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual([...Array.from({ length: 5000 }, (_, i) => `out ${i + 1}`), 'no newline at the end']);
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(Array.from({ length: 20 }, (_, i) => `err ${(i + 1) * 250}`));
    expect(log.at(-1)).toMatchObject({ seq: 5023, type: 'finish', data: { status: 'failed', exitCode: 3 } });
    const info = (await server.api(`/v1/builds/${build.buildId}`, { token: build.viewer })).body;
    expect(info).toMatchObject({ status: 'complete', ack: 5023, final: 5023 });
  });

  it('exec keeps a carriage-return rewrite as one line, ends lines at \\n or \\r\\n, and keeps escape sequences whole', async () => {
    const build = await server.createBuild();
    const script = join(root, 'progress.cjs');
    // Written in small pieces, as a progress bar is: a frame, then \r, then the next frame.
    await writeFile(
      script,
      `const parts = ['npm install\\n', 'progress 33%', '\\r', 'progress 66%\\r', 'progress 100%', '\\n', '\\x1b[3', '1mred\\x1b[0m\\r\\n', '\\r\\r\\r\\n', 'done'];
       let i = 0;
       const next = () => (i < parts.length ? process.stdout.write(parts[i++], () => setTimeout(next, 5)) : undefined);
       next();`,
    );
    const { code, stdout } = await runCli(['exec', '--', process.execPath, script], runnerEnv(build, join(root, 'exec-progress')));
    expect(code).toBe(0);
    expect(stdout).toContain('progress 33%\rprogress 66%\rprogress 100%\n'); // echoed as written
    const log = await readLog(server, build.buildId, build.viewer);
    expect(log.filter((e) => e.type === 'log').map((e) => (e.data as { line: string }).line)).toEqual([
      'npm install',
      'progress 33%\rprogress 66%\rprogress 100%',
      '\x1b[31mred\x1b[0m',
      '\r\r',
      'done',
    ]);
  });

  it('exec of a command that cannot start records the error and finishes failed with 127', async () => {
    const build = await server.createBuild();
    const { code, stderr } = await runCli(['exec', '--', 'no-such-command-runlog'], runnerEnv(build, join(root, 'exec-missing')));
    expect(code).toBe(127);
    expect(stderr).toMatch(/cannot run "no-such-command-runlog"/);
    const log = await readLog(server, build.buildId, build.viewer);
    expect(log.map((e) => e.type)).toEqual(['start', 'error', 'finish']);
    expect(log[2]!.data).toEqual({ status: 'failed', exitCode: 127 });
  });

  it('exec of a succeeding command exits 0 with finish succeeded', async () => {
    const build = await server.createBuild();
    const { code } = await runCli(['exec', '--no-echo', '--', process.execPath, '-e', 'console.log("hi")'], runnerEnv(build, join(root, 'exec-ok')));
    expect(code).toBe(0);
    const log = await readLog(server, build.buildId, build.viewer);
    expect(log.map((e) => e.type)).toEqual(['start', 'log', 'finish']);
    expect(log[2]!.data).toEqual({ status: 'succeeded', exitCode: 0 });
  });

  it('flush with no spool for the build says so and exits 0', async () => {
    const build = await server.createBuild();
    const { code, stderr } = await runCli(['flush'], runnerEnv(build, join(root, 'never-used')));
    expect(code).toBe(0);
    expect(stderr).toMatch(/nothing to flush/);
  });

  it('tail follows a live build to its end, one line per event', async () => {
    const build = await server.createBuild();
    const tail = runCli(['tail', '--url', server.url, '--build', build.buildId, '--token', build.viewer]);
    const runner = await openRunner({ url: server.url, buildId: build.buildId, token: build.runner, spoolDir: join(root, 'tail-live') });
    await runner.emit('status', { phase: 'compile' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 1; i <= 3; i++) await runner.emit('log', { stream: 'stdout', line: `hello ${i}` });
    await runner.finish({ status: 'succeeded' });
    await runner.close();
    const { code, stdout } = await tail;
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual([
      '1 status {"phase":"compile"}',
      '2 log [stdout] hello 1',
      '3 log [stdout] hello 2',
      '4 log [stdout] hello 3',
      '5 finish {"status":"succeeded"}',
    ]);
  });

  it('tail resumes across cut connections with Last-Event-ID: every event exactly once, --after and --json honoured', async () => {
    const build = await server.createBuild();
    const runner = await openRunner({ url: server.url, buildId: build.buildId, token: build.runner, spoolDir: join(root, 'tail-cut') });
    for (let i = 1; i <= 400; i++) void runner.emit('log', { stream: 'stdout', line: `l ${i}` });
    await runner.finish();
    await runner.close();
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: 7, faults: { cutResponse: 0.6 } });
    try {
      const { code, stdout, stderr } = await runCli(['tail', '--json', '--after', '50', '--url', proxy.url, '--build', build.buildId, '--token', build.viewer]);
      expect(code).toBe(0);
      const seqs = stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
      expect(seqs).toEqual(Array.from({ length: 351 }, (_, i) => i + 51));
      expect(proxy.counts().cutResponse).toBeGreaterThan(0);
      expect(stderr).toMatch(/tail disconnected/);
    } finally {
      await proxy.close();
    }
    // At or past the final seq of a complete build: nothing to show, a clean exit.
    const done = await runCli(['tail', '--after', '401', '--url', server.url, '--build', build.buildId, '--token', build.viewer]);
    expect(done).toMatchObject({ code: 0, stdout: '' });
  });
});
