// Every decision of the runner's uploader (PROTOCOL §Runner obligations), against an msw model
// of the append endpoint that answers each request as the test says.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { openRunner, type FetchLike, type Runner, type RunnerOptions, type RunnerStatus } from '../runner-client/index.js';
import { FakeAppendServer, type FakeReply } from './support/runner-fake-server.js';

const URL = 'http://runlog.test';
const BUILD = 'b1';
const msw = setupServer();

/** A network that never answers: lets a spool fill up without anything leaving. */
const silentFetch: FetchLike = (_input, init) =>
  new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true }));

const lineOf = (i: number) => ({ stream: 'stdout', line: `line ${i}` });
const until = async (condition: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A broken decision usually shows as a flush that never resolves: fail in seconds, not a minute.
describe('runner uploader', { timeout: 10_000 }, () => {
  let spoolDir: string;
  let fake: FakeAppendServer;
  const runners: Runner[] = [];

  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => msw.close());
  beforeEach(async () => {
    spoolDir = await mkdtemp(join(tmpdir(), 'runlog-uploader-'));
    fake = new FakeAppendServer(URL, BUILD);
    msw.use(fake.handler());
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const r of runners.splice(0)) await r.close();
    msw.resetHandlers();
    await rm(spoolDir, { recursive: true, force: true });
  });

  const options = (extra: Partial<RunnerOptions> = {}): RunnerOptions => ({
    url: URL,
    buildId: BUILD,
    token: 't',
    spoolDir,
    durability: 'none',
    stampTime: false,
    maxBatchEvents: 10,
    baseDelayMs: 1,
    maxDelayMs: 5,
    fetch: globalThis.fetch,
    ...extra,
  });
  const open = async (extra: Partial<RunnerOptions> = {}): Promise<Runner> => {
    const runner = await openRunner(options(extra));
    runners.push(runner);
    return runner;
  };
  /** A spool holding events 1..n that nothing has sent yet: the next runner starts with K batches at once. */
  const spoolWith = async (n: number): Promise<void> => {
    const writer = await openRunner(options({ fetch: silentFetch }));
    await Promise.all(Array.from({ length: n }, (_, i) => writer.emit('log', lineOf(i + 1))));
    await writer.close();
  };
  const expectExactLog = (n: number) => {
    expect(fake.ack).toBe(n);
    expect(fake.log().map((e) => (e.data as { line: string }).line)).toEqual(Array.from({ length: n }, (_, i) => `line ${i + 1}`));
  };
  const ranges = () => fake.requests.map((r) => [r.from, r.to]);

  it('sends K batches at once and coalesces what is emitted meanwhile into the next batch', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    fake.hook = async (req) => {
      if (req.index === 0) await gate;
      return { kind: 'normal' };
    };
    const runner = await open({ maxInFlight: 1, maxBatchEvents: 1000 });
    await runner.emit('log', lineOf(1));
    await until(() => fake.requests.length === 1);
    await Promise.all(Array.from({ length: 50 }, (_, i) => runner.emit('log', lineOf(i + 2))));
    release();
    await runner.flush();
    expect(ranges()).toEqual([[1, 1], [2, 51]]);
    expectExactLog(51);
  });

  it('keeps K batches in flight and sends nothing twice when answers come back out of order', async () => {
    await spoolWith(40);
    const delays: Record<number, number> = { 1: 120, 11: 80, 21: 40, 31: 0 };
    fake.hook = (req) => ({ kind: 'normal', delayMs: delays[req.from] ?? 0 });
    const runner = await open({ maxInFlight: 4 });
    await runner.flush();
    expect(ranges().sort((a, b) => a[0]! - b[0]!)).toEqual([[1, 10], [11, 20], [21, 30], [31, 40]]);
    expectExactLog(40);
    expect(runner.stats()).toMatchObject({ ack: 40, pending: 0, requests: 4, eventsSent: 40 });
  });

  it('resends from ack+1 when an answer acks less than what was sent', async () => {
    await spoolWith(10);
    // The first answer claims nothing is stored: the batch has to go again.
    fake.hook = (req) => (req.index === 0 ? { kind: 'raw', body: { ack: 0, final: null, missing: [], digest: '' } } : { kind: 'normal' });
    const runner = await open();
    await runner.flush();
    expect(ranges()).toEqual([[1, 10], [1, 10]]);
    expectExactLog(10);
  });

  it('treats a repeated answer as no news: the ack never goes back and nothing is lost', async () => {
    await spoolWith(20);
    let first: unknown;
    fake.hook = (req) => {
      if (req.index === 0) {
        first = fake.apply(req);
        return { kind: 'raw', body: first as never };
      }
      // Batch 2 gets batch 1's answer again, and was not stored.
      if (req.index === 1) return { kind: 'raw', body: first as never };
      return { kind: 'normal' };
    };
    const runner = await open({ maxInFlight: 1 });
    const acks: number[] = [];
    runner.on('status', (s) => acks.push(s.ack));
    await runner.flush();
    expect(ranges()).toEqual([[1, 10], [11, 20], [11, 20]]);
    expectExactLog(20);
    expect(acks).toEqual([...acks].sort((a, b) => a - b));
    expect(acks.at(-1)).toBe(20);
  });

  it('resends exactly the missing ranges an answer reports, even ones it believed stored', async () => {
    await spoolWith(40);
    let laterAnswered = 0;
    let lost = false;
    fake.hook = async (req) => {
      if (req.from === 1 && !lost) {
        await until(() => laterAnswered === 3);
        // The server lost 11–30 meanwhile (say, a takeover discarded them): its answer says so.
        for (let seq = 11; seq <= 30; seq++) fake.stored.delete(seq);
        lost = true;
        return { kind: 'normal' };
      }
      if (req.from > 10) laterAnswered++;
      return { kind: 'normal' };
    };
    const runner = await open({ maxInFlight: 4 });
    await runner.flush();
    expect(ranges().slice(4).sort((a, b) => a[0]! - b[0]!)).toEqual([[11, 20], [21, 30]]);
    expectExactLog(40);
  });

  it('resends only the batch that failed while the later ones are stored', async () => {
    await spoolWith(40);
    let othersAnswered = 0;
    let failed = false;
    fake.hook = async (req) => {
      if (req.from === 1 && !failed) {
        // Fail the first batch only after the later ones were answered with missing [[1, 10]].
        await until(() => othersAnswered === 3);
        failed = true;
        return { kind: 'status', status: 503, code: 'unavailable' };
      }
      othersAnswered += req.from > 10 ? 1 : 0;
      return { kind: 'normal' };
    };
    const runner = await open({ maxInFlight: 4 });
    await runner.flush();
    // The four batches left together (their arrival order is the network's); the resend is the hole only.
    expect(ranges().slice(0, 4).sort((a, b) => a[0]! - b[0]!)).toEqual([[1, 10], [11, 20], [21, 30], [31, 40]]);
    expect(ranges().slice(4)).toEqual([[1, 10]]);
    expectExactLog(40);
  });

  it('resends a batch whose answer was lost; the server treats the repeat as a no-op', async () => {
    await spoolWith(10);
    fake.hook = (req) => (req.index === 0 ? { kind: 'commitThenDrop' } : { kind: 'normal' });
    const runner = await open();
    const states: RunnerStatus['state'][] = [];
    runner.on('status', (s) => states.push(s.state));
    await runner.flush();
    expect(ranges()).toEqual([[1, 10], [1, 10]]);
    expectExactLog(10);
    expect(states).toContain('offline');
    expect(runner.status().state).toBe('online');
  });

  it('retries network errors as offline, and 429 and 5xx as backoff, until they pass', async () => {
    await spoolWith(5);
    const script: FakeReply[] = [
      { kind: 'networkError' },
      { kind: 'networkError' },
      { kind: 'status', status: 429, code: 'overloaded' },
      { kind: 'status', status: 500, code: 'internal_error' },
      { kind: 'status', status: 502 },
    ];
    fake.hook = (req) => script[req.index] ?? { kind: 'normal' };
    const runner = await open();
    const states: RunnerStatus['state'][] = [];
    runner.on('status', (s) => states.push(s.state));
    await runner.flush();
    expect(fake.requests).toHaveLength(6);
    expect(states).toEqual(expect.arrayContaining(['offline', 'backoff', 'online']));
    expect(runner.stats()).toMatchObject({ failures: 5, state: 'online' });
    expect(runner.status().lastError?.message).toMatch(/502/);
    expectExactLog(5);
  });

  it('abandons a request whose answer never comes after requestTimeoutMs, and sends it again', async () => {
    await spoolWith(5);
    fake.hook = (req) => (req.index === 0 ? new Promise<FakeReply>(() => {}) : { kind: 'normal' });
    const runner = await open({ requestTimeoutMs: 200 });
    await runner.flush();
    expect(ranges()).toEqual([[1, 5], [1, 5]]);
    expect(runner.status().lastError?.message).toMatch(/no answer within 200 ms/);
    expectExactLog(5);
  });

  it('honours Retry-After on 503: no retry before it has passed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await spoolWith(3);
    fake.hook = (req) => (req.index === 0 ? { kind: 'status', status: 503, code: 'overloaded', headers: { 'retry-after': '5' } } : { kind: 'normal' });
    // random() = 0 makes the jittered delay 0: whatever waits comes from Retry-After alone.
    const runner = await open({ random: () => 0 });
    const flushed = runner.flush();
    await vi.waitUntil(() => runner.status().state === 'backoff', { timeout: 2000, interval: 1 });
    expect(fake.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4_900);
    expect(fake.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    await flushed;
    expect(fake.requests).toHaveLength(2);
    expectExactLog(3);
  });

  it('waits for the batches in flight after 409 gap_too_large, then resends from ack+1', async () => {
    await spoolWith(40);
    fake.maxGapWindow = 15;
    let firstAnsweredAt = Number.POSITIVE_INFINITY;
    fake.hook = async (req) => {
      if (req.from === 1) {
        await sleep(100);
        const answer = fake.apply(req);
        firstAnsweredAt = performance.now();
        return { kind: 'raw', body: answer as never };
      }
      return { kind: 'normal' };
    };
    const runner = await open({ maxInFlight: 4 });
    await runner.flush();
    // 21 and 31 start more than 15 past ack 0: refused, and nothing is sent until batch 1 is back.
    expect(ranges().slice(0, 4).sort((a, b) => a[0]! - b[0]!)).toEqual([[1, 10], [11, 20], [21, 30], [31, 40]]);
    for (const later of fake.requests.slice(4)) expect(later.at).toBeGreaterThanOrEqual(firstAnsweredAt);
    expect(fake.requests.slice(4).map((r) => r.from).sort((a, b) => a - b)).toEqual([21, 31]);
    expectExactLog(40);
  });

  for (const [status, code] of [
    [409, 'seq_conflict'],
    [409, 'build_closed'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [403, 'stale_epoch'],
    [404, 'build_not_found'],
    [400, 'invalid_request'],
  ] as const) {
    it(`stops on ${status} ${code} and surfaces it from flush(), finish(), emit() and 'error'`, async () => {
      await spoolWith(30);
      fake.hook = () => ({ kind: 'status', status, code });
      const runner = await open({ maxInFlight: 1 });
      const errors: Error[] = [];
      runner.on('error', (e) => errors.push(e));
      await expect(runner.flush()).rejects.toMatchObject({ name: 'UploadRejectedError', code, status });
      await sleep(50);
      expect(fake.requests).toHaveLength(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code });
      await expect(runner.emit('log', lineOf(31))).rejects.toMatchObject({ code });
      await expect(runner.finish()).rejects.toMatchObject({ code });
      expect(runner.stats().stopped).toMatchObject({ code });
    });
  }

  it('fails finish() with an IntegrityError when the server digest differs from the runner chain', async () => {
    fake.hook = (req) => {
      const answer = fake.apply(req);
      return { kind: 'raw', body: { ...(answer as { ack: number; final: number | null; missing: Array<[number, number]>; digest: string }), digest: 'f'.repeat(64) } };
    };
    const runner = await open();
    await runner.emit('log', lineOf(1));
    await expect(runner.finish()).rejects.toMatchObject({ name: 'IntegrityError', code: 'integrity_mismatch' });
  });

  it('holds emit back past maxSpoolBytes while the server is away, and lets it go as acks arrive', async () => {
    let away = true;
    fake.hook = (): FakeReply => (away ? { kind: 'networkError' } : { kind: 'normal' });
    const runner = await open({ maxSpoolBytes: 64 * 1024, maxBatchEvents: 1000 });
    const big = 'x'.repeat(1000);
    const returned: number[] = [];
    const emits = Array.from({ length: 200 }, (_, i) => runner.emit('log', { stream: 'stdout', line: `${i + 1} ${big}` }).then((seq) => returned.push(seq)));
    await sleep(200);
    // ~64 events of ~1 KiB fit; the rest wait instead of being dropped.
    expect(returned.length).toBeGreaterThan(30);
    expect(returned.length).toBeLessThan(80);
    expect(runner.stats().waitingEmits).toBe(200 - returned.length);
    away = false;
    await Promise.all(emits);
    await runner.flush();
    expect(returned).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(fake.ack).toBe(200);
  });

  it('refuses an event the server would refuse without writing it', async () => {
    const runner = await open();
    await expect(runner.emit('9bad', {})).rejects.toMatchObject({ code: 'invalid_event' });
    await expect(runner.emit('log', 'x'.repeat(300 * 1024))).rejects.toMatchObject({ code: 'invalid_event' });
    let deep: unknown = 1;
    for (let i = 0; i < 65; i++) deep = [deep];
    await expect(runner.emit('log', deep)).rejects.toMatchObject({ code: 'invalid_event' });
    await expect(runner.emit('log', { n: 1n })).rejects.toMatchObject({ code: 'invalid_event' });
    expect(await runner.emit('log', lineOf(1))).toBe(1);
    await runner.flush();
    expect(fake.ack).toBe(1);
  });
});
