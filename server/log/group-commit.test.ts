import { describe, expect, it } from 'vitest';
import { ProblemError } from '../errors.js';
import type { AppendBatch } from './append-plan.js';
import { GroupCommitter, laneOf } from './group-commit.js';
import type { CommitOutcome, LogStore, PendingAppend } from './log-store.js';

const batch: AppendBatch = { from: 1, events: [{ type: 'log', data: 'null', time: null }], final: false, epoch: 0 };

/** A store whose commits wait until released, recording each group's size. */
function fakeStore(fail?: unknown) {
  const groups: number[] = [];
  let release: () => void = () => {};
  let gate = Promise.resolve();
  const store = {
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release: () => release(),
    groups,
    async commit(appends: readonly PendingAppend[]): Promise<CommitOutcome> {
      groups.push(appends.length);
      await gate;
      if (fail) throw fail;
      return { results: appends.map(() => ({ ok: true as const, response: { ack: 1, final: null, missing: [], digest: '' } })), advances: [] };
    },
  };
  return store as typeof store & LogStore;
}

/** Resolves once the store has taken its first group (a fixed sleep loses to a busy machine's loop). */
async function firstGroupTaken(store: { groups: number[] }): Promise<void> {
  while (store.groups.length === 0) await new Promise((r) => setImmediate(r));
}

const options = { maxQueued: 3, maxQueuedBytes: 1_000_000, maxGroupEvents: 100, onCommitted: () => {} };
const append = (buildId = 'b'): PendingAppend => ({ buildId, batch, generation: undefined });

describe('GroupCommitter', () => {
  it('puts appends that arrive during a commit into the next transaction together', async () => {
    const store = fakeStore();
    const committer = new GroupCommitter(store, { ...options, maxQueued: 100 });
    store.hold();
    const first = committer.submit(append());
    await firstGroupTaken(store);
    const rest = Array.from({ length: 5 }, () => committer.submit(append()));
    store.release();
    await Promise.all([first, ...rest]);
    expect(store.groups).toEqual([1, 5]);
  });

  it('refuses with overloaded and Retry-After once the queue holds maxQueued appends', async () => {
    const store = fakeStore();
    const committer = new GroupCommitter(store, options);
    store.hold();
    const accepted = [committer.submit(append())];
    await firstGroupTaken(store); // the first is committing, out of the queue
    accepted.push(committer.submit(append()), committer.submit(append()), committer.submit(append()));
    const refused = await committer.submit(append()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProblemError);
    expect((refused as ProblemError).code).toBe('overloaded');
    expect((refused as ProblemError).retryAfterSeconds).toBeGreaterThan(0);
    store.release();
    await Promise.all(accepted);
  });

  it('refuses with overloaded once the queued event data reaches maxQueuedBytes, and takes any one batch into an empty queue', async () => {
    const store = fakeStore();
    const committer = new GroupCommitter(store, { ...options, maxQueued: 100, maxQueuedBytes: 2500 });
    const sized = (bytes: number): PendingAppend => ({ buildId: 'b', generation: undefined, batch: { ...batch, events: [{ type: 'log', data: JSON.stringify('x'.repeat(bytes - 2)), time: null }] } });
    store.hold();
    const accepted = [committer.submit(sized(10))];
    await firstGroupTaken(store); // committing, out of the queue
    // 3 000 bytes alone in an empty queue: taken (a batch larger than the bound must not wait forever).
    accepted.push(committer.submit(sized(3000)));
    expect(committer.queuedBytes).toBe(3000);
    const refused = await committer.submit(sized(10)).catch((e: unknown) => e);
    expect((refused as ProblemError).code).toBe('overloaded');
    expect(committer.queued).toBe(1);
    store.release();
    await Promise.all(accepted);
    expect(committer.queuedBytes).toBe(0);
    // Drained: 1 000 + 1 000 fit, a third 1 000 would pass 2 500.
    store.hold();
    const next = [committer.submit(sized(10))];
    while (store.groups.length < 3) await new Promise((r) => setImmediate(r));
    next.push(committer.submit(sized(1000)), committer.submit(sized(1000)));
    expect(((await committer.submit(sized(1000)).catch((e: unknown) => e)) as ProblemError).code).toBe('overloaded');
    store.release();
    await Promise.all(next);
  });

  it('on close, commits and answers what is queued and refuses anything new with unavailable', async () => {
    const store = fakeStore();
    const committer = new GroupCommitter(store, options);
    store.hold();
    const queued = [committer.submit(append()), committer.submit(append())];
    const closed = committer.close();
    const late = await committer.submit(append()).catch((e: unknown) => e);
    expect((late as ProblemError).code).toBe('unavailable');
    store.release();
    await closed;
    expect((await Promise.all(queued)).map((r) => r.ack)).toEqual([1, 1]);
  });

  it('answers every append of a group with 503 unavailable when the database is unreachable', async () => {
    const committer = new GroupCommitter(fakeStore(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), options);
    const results = await Promise.all([committer.submit(append()), committer.submit(append())].map((p) => p.catch((e: unknown) => e)));
    for (const r of results) expect((r as ProblemError).code).toBe('unavailable');
  });

  it('takes at most maxGroupEvents events into one transaction', async () => {
    const store = fakeStore();
    const committer = new GroupCommitter(store, { ...options, maxQueued: 100, maxGroupEvents: 2 });
    await Promise.all(Array.from({ length: 5 }, () => committer.submit(append())));
    expect(store.groups.every((n) => n <= 2)).toBe(true);
    expect(store.groups.reduce((a, b) => a + b, 0)).toBe(5);
  });
});

describe('GroupCommitter with lanes', () => {
  /** A store that records which builds each transaction holds and how many run at once. */
  function laneStore() {
    const running = new Set<readonly string[]>();
    const overlaps: Array<{ a: readonly string[]; b: readonly string[] }> = [];
    let mostAtOnce = 0;
    const order: string[] = [];
    const store = {
      async commit(appends: readonly PendingAppend[]): Promise<CommitOutcome> {
        const builds = appends.map((a) => a.buildId);
        for (const other of running) overlaps.push({ a: builds, b: other });
        running.add(builds);
        mostAtOnce = Math.max(mostAtOnce, running.size);
        for (const a of appends) order.push(`${a.buildId}:${a.batch.from}`);
        await new Promise((r) => setTimeout(r, 5));
        running.delete(builds);
        return { results: appends.map(() => ({ ok: true as const, response: { ack: 1, final: null, missing: [], digest: '' } })), advances: [] };
      },
    };
    return { store: store as typeof store & LogStore, overlaps, order, mostAtOnce: () => mostAtOnce };
  }
  const at = (buildId: string, from: number): PendingAppend => ({ buildId, batch: { ...batch, from }, generation: undefined });

  it('runs two transactions at once, never two holding the same build, and keeps each build in order', async () => {
    const { store, overlaps, order, mostAtOnce } = laneStore();
    const committer = new GroupCommitter(store, { ...options, maxQueued: 1000, lanes: 2 });
    const builds = Array.from({ length: 40 }, (_, i) => `build-${i}`);
    const submitted: Promise<unknown>[] = [];
    for (let from = 1; from <= 5; from++) {
      for (const b of builds) submitted.push(committer.submit(at(b, from)));
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(submitted);
    expect(mostAtOnce()).toBe(2);
    for (const { a, b } of overlaps) expect(a.filter((id) => b.includes(id))).toEqual([]);
    for (const b of builds) expect(order.filter((o) => o.startsWith(`${b}:`))).toEqual([1, 2, 3, 4, 5].map((f) => `${b}:${f}`));
  });

  it('bounds the appends queued over all lanes together', async () => {
    const { store } = laneStore();
    const committer = new GroupCommitter(store, { ...options, maxQueued: 4, lanes: 2 });
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const outcomes = await Promise.all(ids.map((id) => committer.submit(at(id, 1)).then(() => 'ok', (e: ProblemError) => e.code)));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(4);
    expect(outcomes.filter((o) => o === 'overloaded')).toHaveLength(4);
  });

  it('spreads builds over the lanes and puts a build in the same lane every time', () => {
    const lanes = Array.from({ length: 1000 }, (_, i) => laneOf(`build-${i}`, 2));
    expect(lanes.filter((l) => l === 0).length).toBeGreaterThan(400);
    expect(lanes.filter((l) => l === 1).length).toBeGreaterThan(400);
    expect(Array.from({ length: 1000 }, (_, i) => laneOf(`build-${i}`, 2))).toEqual(lanes);
  });
});
