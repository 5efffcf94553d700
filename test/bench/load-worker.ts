// A bench load process (forked by test/bench/load-pool.ts): runners, readers and viewers against
// the server under test, which runs in a process of its own. Reports what it measured and its
// own CPU time, so a saturated load generator shows in the table instead of passing for a slow server.
import net from 'node:net';
import type {
  BenchMessage,
  EmitTask,
  JsonPagesTask,
  LoadTask,
  LongPollTask,
  ReaderFigures,
  ReaderRef,
  TaskFigures,
  WorkerMessage,
} from './load-tasks.js';
import { request } from './load-http.js';
import { appendClosed, appendOpen, batchBody } from './load-runners.js';
import { SseIdScanner, monoUs } from './sse-scan.js';

function send(message: WorkerMessage): void {
  if (process.connected) process.send!(message);
}

/**
 * One SSE reader; `connected` resolves once the response head came. It reads the raw socket,
 * not through node:http: a bench viewer stands for a browser on another machine, and node's
 * client (HTTP parser, a stream and a 'data' event per chunk) made the load processes as busy
 * as the server they were measuring on this 2-core machine. The chunked body's size lines
 * never split a frame (the server writes whole frames per chunk), so the scanner reads ids
 * through them.
 */
function openReader(url: string, ref: ReaderRef, timeoutMs: number): { connected: Promise<void>; done: Promise<ReaderFigures> } {
  const scanner = new SseIdScanner(ref.after, ref.stamps ?? false);
  const startedUs = monoUs();
  let connectedUs = 0;
  let bytes = 0;
  let resolveConnected!: () => void;
  let rejectConnected!: (e: unknown) => void;
  const connected = new Promise<void>((res, rej) => ((resolveConnected = res), (rejectConnected = rej)));
  // Catch-up readers never wait for `connected`: its failure is theirs to report, through `done`.
  connected.catch(() => {});
  const done = new Promise<ReaderFigures>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    let head: Buffer | undefined = Buffer.alloc(0);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      if (connectedUs === 0) rejectConnected(new Error('the stream closed before its head came'));
      resolve({ events: scanner.events, inOrder: scanner.inOrder, complete: scanner.lastSeq >= ref.until, connectedUs, startedUs, doneUs: monoUs(), bytes, delaysUs: scanner.delaysUs });
    };
    const fail = (error: Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      rejectConnected(error);
      reject(error);
    };
    socket.setNoDelay(true);
    socket.write(
      `GET /v1/builds/${ref.buildId}/stream?after=${ref.after} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${ref.token}\r\n` +
        'Accept: text/event-stream\r\nConnection: close\r\n\r\n',
    );
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        const body = head.subarray(end + 4);
        head = undefined;
        connectedUs = monoUs();
        if (!/^HTTP\/1\.1 200 /.test(status)) return fail(new Error(`stream answered ${status}`));
        resolveConnected();
        chunk = body;
      }
      scanner.push(chunk, ref.stamps ? monoUs() : 0);
      if (scanner.lastSeq >= ref.until || scanner.ended) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (error) => (connectedUs === 0 ? fail(error) : finish()));
    const timer = setTimeout(finish, timeoutMs);
  });
  return { connected, done };
}

async function jsonPages(task: JsonPagesTask): Promise<ReaderFigures> {
  const startedUs = monoUs();
  let after = task.reader.after;
  let events = 0;
  let bytes = 0;
  let inOrder = true;
  const first = Buffer.from('{"seq":');
  while (after < task.reader.until) {
    const answer = await request(`${task.url}/v1/builds/${task.reader.buildId}/events?after=${after}&limit=${task.limit}`, 'GET', task.reader.token);
    if (answer.status !== 200) throw new Error(`events answered ${answer.status}`);
    bytes += answer.body.length;
    // The page ends with `"next":N}`; the count of events is the count of `{"seq":`.
    const tail = answer.body.subarray(answer.body.lastIndexOf('"next":')).toString();
    const next = Number(/"next":(\d+)/.exec(tail)![1]);
    let n = 0;
    for (let i = answer.body.indexOf(first); i >= 0; i = answer.body.indexOf(first, i + 1)) n++;
    if (n !== next - after) inOrder = false;
    events += n;
    if (next === after) break;
    after = next;
  }
  return { events, inOrder, complete: after >= task.reader.until, connectedUs: startedUs, startedUs, doneUs: monoUs(), bytes, delaysUs: [] };
}

async function emitTask(task: EmitTask): Promise<{ events: number; emitUs: number; flushedUs: number }> {
  // The compiled package, as users run it (a path in a variable: no types for dist/ here).
  const dist = '../../runner-client/dist/index.js';
  const { openRunner } = (await import(dist)) as typeof import('../../runner-client/index.js');
  const runner = await openRunner({ url: task.url, buildId: task.runner.buildId, token: task.runner.token, spoolDir: task.spoolDir });
  const line = 'x'.repeat(Math.max(0, task.eventBytes - 80));
  const started = monoUs();
  let events = 0;
  let emitted = 0;
  if (task.events !== undefined) {
    let last: Promise<number> | undefined;
    for (let i = 0; i < task.events; i++) {
      last = runner.emit('log', { t: 0, stream: 'stdout', line });
      // Seqs follow call order, so waiting for one in 20 000 keeps memory flat without waiting
      // for a group fsync at every step.
      if (i % 20_000 === 19_999) await last;
    }
    await last;
    events = task.events;
    emitted = monoUs();
  } else {
    const p = task.paced!;
    const ticks = Math.floor(p.durationMs / p.intervalMs);
    for (let tick = 0; tick < ticks; tick++) {
      const wait = (started + tick * p.intervalMs * 1000 - monoUs()) / 1000;
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      for (let i = 0; i < p.perTick; i++) void runner.emit('log', { t: monoUs(), stream: 'stdout', line });
      events += p.perTick;
    }
    emitted = monoUs();
  }
  await runner.finish({ status: 'succeeded' });
  const flushed = monoUs();
  await runner.close();
  return { events, emitUs: emitted - started, flushedUs: flushed - started };
}

function longPolls(task: LongPollTask): Promise<{ answeredUs: number[]; statuses: Record<string, number> }> {
  const answeredUs: number[] = [];
  const statuses: Record<string, number> = {};
  return Promise.all(
    Array.from({ length: task.count }, () =>
      request(`${task.url}/v1/builds/${task.buildId}/events?after=${task.after}&wait=${task.waitSeconds}`, 'GET', task.token).then((answer) => {
        answeredUs.push(monoUs());
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      }),
    ),
  ).then(() => ({ answeredUs, statuses }));
}

/** Prepares a task; the returned function runs it. */
async function prepare(task: LoadTask): Promise<() => Promise<TaskFigures>> {
  switch (task.kind) {
    case 'append-closed':
      return async () => ({ kind: 'append', append: await appendClosed(task) });
    case 'append-open':
      return async () => ({ kind: 'append', append: await appendOpen(task) });
    case 'sse': {
      if (task.connectOnRun) {
        return async () => ({ kind: 'readers', readers: await Promise.all(task.readers.map((r) => openReader(task.url, r, task.timeoutMs).done)) });
      }
      const readers: Array<ReturnType<typeof openReader>> = [];
      // Connect in waves: thousands of simultaneous connects would only measure the accept queue.
      for (let i = 0; i < task.readers.length; i += 100) {
        const wave = task.readers.slice(i, i + 100).map((r) => openReader(task.url, r, task.timeoutMs));
        readers.push(...wave);
        await Promise.all(wave.map((w) => w.connected));
      }
      return async () => ({ kind: 'readers', readers: await Promise.all(readers.map((r) => r.done)) });
    }
    case 'json-pages':
      return async () => ({ kind: 'readers', readers: [await jsonPages(task)] });
    case 'long-poll': {
      const answered = longPolls(task);
      return async () => ({ kind: 'long-poll', longPoll: await answered });
    }
    case 'append-once':
      return async () => {
        const sentUs = monoUs();
        const answer = await request(`${task.url}/v1/builds/${task.runner.buildId}/events`, 'POST', task.runner.token, batchBody(task.runner.from, task.count, 300, false));
        return { kind: 'append-once', once: { sentUs, answeredUs: monoUs(), status: answer.status } };
      };
    case 'emit':
      return async () => ({ kind: 'emit', emit: await emitTask(task) });
  }
}

const prepared = new Map<number, () => Promise<TaskFigures>>();

process.on('message', (message: BenchMessage) => {
  if ('task' in message) {
    prepare(message.task).then(
      (run) => {
        prepared.set(message.id, run);
        send({ id: message.id, phase: 'ready' });
      },
      (error: unknown) => send({ id: message.id, phase: 'failed', error: String((error as Error).stack ?? error) }),
    );
    return;
  }
  const run = prepared.get(message.id)!;
  prepared.delete(message.id);
  const cpu = process.cpuUsage();
  const wall = monoUs();
  run().then(
    (figures) => {
      const used = process.cpuUsage(cpu);
      send({ id: message.id, phase: 'done', figures, cpu: { cpuSeconds: (used.user + used.system) / 1e6, wallSeconds: (monoUs() - wall) / 1e6 } });
    },
    (error: unknown) => send({ id: message.id, phase: 'failed', error: String((error as Error).stack ?? error) }),
  );
});
process.on('disconnect', () => process.exit(0));
