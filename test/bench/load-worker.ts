// A bench load process (forked by test/bench/load-pool.ts): runners, readers and viewers against
// the server under test, which runs in a process of its own. Reports what it measured and its
// own CPU time, so a saturated load generator shows in the table instead of passing for a slow server.
import http from 'node:http';
import net from 'node:net';
import type {
  AppendClosedTask,
  AppendFigures,
  AppendOnceTask,
  AppendOpenTask,
  BenchMessage,
  EmitTask,
  JsonPagesTask,
  LoadTask,
  LongPollTask,
  ReaderFigures,
  ReaderRef,
  RunnerRef,
  SseTask,
  TaskFigures,
  WorkerMessage,
} from './load-tasks.js';
import { RunnerDefaults } from '../../runner-client/options.js';
import { SseIdScanner, monoUs } from './sse-scan.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 });

const RUNNER_MAX_IN_FLIGHT = RunnerDefaults.maxInFlight;

function send(message: WorkerMessage): void {
  if (process.connected) process.send!(message);
}

interface HttpAnswer {
  readonly status: number;
  readonly body: Buffer;
  readonly headers: http.IncomingHttpHeaders;
}

function request(url: string, method: string, token: string, body?: string, timeoutMs?: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
    req.end(body);
  });
}

/** An event whose JSON in a body is about `bytes` long; `data.t` is the emit time first. */
function eventsJson(count: number, bytes: number, tag: string): string {
  const t = monoUs();
  const pad = 'x'.repeat(Math.max(0, bytes - 60 - tag.length));
  const one = `{"type":"log","data":{"t":${t},"stream":"stdout","line":"${tag} ${pad}"}}`;
  return Array.from({ length: count }, () => one).join(',');
}

/** A batch whose events carry their own emit stamps (`data.t`), for events that waited to be sent. */
function stampedBatchBody(from: number, stamps: readonly number[], bytes: number, final: boolean): string {
  const pad = 'x'.repeat(Math.max(0, bytes - 60 - String(from).length));
  const events = stamps.map((t) => `{"type":"log","data":{"t":${t},"stream":"stdout","line":"${from} ${pad}"}}`);
  return `{"from":${from},"events":[${events.join(',')}]${final ? ',"final":true' : ''}}`;
}

function batchBody(from: number, count: number, bytes: number, final: boolean): string {
  return `{"from":${from},"events":[${eventsJson(count, bytes, String(from))}]${final ? ',"final":true' : ''}}`;
}

function sorted(values: number[]): number[] {
  return values.sort((a, b) => a - b);
}

/**
 * POSTs until it is answered 200; answers 503/408 and reset sockets are counted and retried after
 * the server's Retry-After (20 ms without one), as @runlog/runner waits. Gives up at `deadlineUs`
 * (an overloaded server in an open loop never catches up).
 */
async function appendUntilAccepted(url: string, runner: RunnerRef, body: string, figures: { refused: number; requests: number }, deadlineUs = Infinity): Promise<boolean> {
  for (;;) {
    const left = (deadlineUs - monoUs()) / 1000;
    if (left <= 0) return false;
    figures.requests++;
    let answer: HttpAnswer;
    try {
      answer = await request(`${url}/v1/builds/${runner.buildId}/events`, 'POST', runner.token, body, Math.min(left, 120_000));
    } catch (error) {
      // A reused keep-alive socket the server had closed, or no answer in time: appends are
      // idempotent, so send it again.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ECONNRESET' && code !== 'ETIMEDOUT') throw error;
      figures.refused++;
      continue;
    }
    if (answer.status === 200) return true;
    if (answer.status !== 503 && answer.status !== 429 && answer.status !== 408) throw new Error(`append answered ${answer.status}: ${answer.body.toString().slice(0, 300)}`);
    figures.refused++;
    const retryAfterMs = Number(answer.headers['retry-after'] ?? 0) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(20, retryAfterMs)));
  }
}

async function appendClosed(task: AppendClosedTask): Promise<AppendFigures> {
  const latencies: number[] = [];
  const figures = { refused: 0, requests: 0 };
  let events = 0;
  const firstSentUs = monoUs();
  const deadline = task.durationMs !== undefined ? firstSentUs + task.durationMs * 1000 : Infinity;
  await Promise.all(
    task.runners.map(async (runner) => {
      let next = runner.from;
      let ended = false;
      const last = task.events !== undefined ? runner.from + task.events - 1 : Infinity;
      const lane = async () => {
        for (;;) {
          if (ended || next > last) return;
          const timeUp = monoUs() >= deadline;
          if (timeUp && task.durationMs !== undefined && !task.final) return;
          const from = next;
          const count = timeUp ? 1 : Math.min(task.batch, last - from + 1);
          const final = (task.final ?? false) && (timeUp || from + count - 1 === last);
          // A final batch ends the log: no lane may start a batch past it.
          next += count;
          if (final) ended = true;
          const sent = monoUs();
          await appendUntilAccepted(task.url, runner, batchBody(from, count, task.eventBytes, final), figures);
          latencies.push((monoUs() - sent) / 1000);
          events += count;
          if (final) return;
        }
      };
      await Promise.all(Array.from({ length: task.inFlight ?? 1 }, lane));
    }),
  );
  return { events, requests: figures.requests, refused: figures.refused, latenciesMs: sorted(latencies), firstSentUs, lastAnsweredUs: monoUs() };
}

/**
 * Runners emitting `perTick` events every `intervalMs`, uploading as @runlog/runner does: up to
 * `RUNNER_MAX_IN_FLIGHT` appends at once, events emitted while all are out go together in the
 * next one, and a refused append is sent again after the server's Retry-After. (Fixed batches
 * per tick retried every 20 ms, whatever the answer, made an overloaded server's 503s into a
 * storm of new connections that ran the load processes out of local ports.)
 */
async function appendOpen(task: AppendOpenTask): Promise<AppendFigures> {
  const latencies: number[] = [];
  const figures = { refused: 0, requests: 0 };
  let events = 0;
  const started = monoUs();
  const ticks = Math.floor(task.durationMs / task.intervalMs);
  // What is not accepted within `giveUpMs` after the last tick counts as not accepted.
  const giveUpUs = started + (task.durationMs + task.giveUpMs) * 1000;
  const lanes: Promise<void>[] = [];
  // Spread the runners over the interval so they do not all fire in the same millisecond.
  await Promise.all(
    task.runners.map(async (runner, r) => {
      const offsetUs = ((r * task.intervalMs * 1000) / task.runners.length) | 0;
      /** Emit stamps of the events not yet sent, in seq order; `next` is the first one's seq. */
      const unsent: number[] = [];
      let next = runner.from;
      let inFlight = 0;
      let lastEmitted = false;
      const upload = () => {
        while (inFlight < RUNNER_MAX_IN_FLIGHT && unsent.length > 0) {
          const stamps = unsent.splice(0, unsent.length);
          const from = next;
          next += stamps.length;
          const final = (task.final ?? false) && lastEmitted && unsent.length === 0;
          const sent = monoUs();
          inFlight++;
          lanes.push(
            appendUntilAccepted(task.url, runner, stampedBatchBody(from, stamps, task.eventBytes, final), figures, giveUpUs).then((accepted) => {
              inFlight--;
              if (accepted) {
                latencies.push((monoUs() - sent) / 1000);
                events += stamps.length;
              }
              upload();
            }),
          );
        }
      };
      for (let tick = 0; tick < ticks; tick++) {
        const due = started + offsetUs + tick * task.intervalMs * 1000;
        const wait = (due - monoUs()) / 1000;
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        const t = monoUs();
        for (let i = 0; i < task.perTick; i++) unsent.push(t);
        lastEmitted = tick === ticks - 1;
        upload();
      }
    }),
  );
  // Appends started by others' answers join the list while it is awaited.
  for (let done = 0; done < lanes.length; done = lanes.length) await Promise.all(lanes.slice(done));
  return { events, requests: figures.requests, refused: figures.refused, latenciesMs: sorted(latencies), firstSentUs: started, lastAnsweredUs: monoUs() };
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
