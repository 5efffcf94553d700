import { describe, expect, it } from 'vitest';
import { ProblemError } from '../errors.js';
import type { AppendBatch } from './append-plan.js';
import { GroupCommitter } from './group-commit.js';
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

const options = { maxQueued: 3, maxGroupEvents: 100, onCommitted: () => {} };
const append = (buildId = 'b'): PendingAppend => ({ buildId, batch, generation: undefined });

describe('GroupCommitter', () => {
  it('puts appends that arrive during a commit into the next transaction together', async () => {
    const store = fakeStore();
    const committer = new GroupCommitter(store, { ...options, maxQueued: 100 });
    store.hold();
    const first = committer.submit(append());
    await new Promise((r) => setTimeout(r, 10));
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
    await new Promise((r) => setTimeout(r, 10)); // the first is committing, out of the queue
    accepted.push(committer.submit(append()), committer.submit(append()), committer.submit(append()));
    const refused = await committer.submit(append()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProblemError);
    expect((refused as ProblemError).code).toBe('overloaded');
    expect((refused as ProblemError).retryAfterSeconds).toBeGreaterThan(0);
    store.release();
    await Promise.all(accepted);
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
