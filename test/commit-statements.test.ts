// A group commit's round trips must not grow with the builds in it, nor with what it writes
// (ARCHITECTURE §Group commit): the transaction holds every build's row lock, so each statement
// inside it is paid by every waiting append. At the live edge of builds this instance committed
// last, a group is one statement, and a row another writer moved is retried under its lock. Builds whose batches arrive out of order or are resent need their stored
// events read (the slow path); that read once took one statement per build, and a group of
// 500 such builds spent most of its time in 500 round trips. Counted at the database.
import { type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../server/db/database.js';
import { KyselyLogStore } from '../server/log/kysely-log-store.js';
import type { AppendBatch } from '../server/log/append-plan.js';
import { BACKENDS, type BackendDatabase } from './support/backends.js';
import { EMPTY_DIGEST, chainDigests } from '../protocol/hash-chain.js';

/** Counts the statements sent through the Kysely instance it is plugged into. */
class StatementCounter implements KyselyPlugin {
  count = 0;
  /** Rows answered with an event's content (`data`). */
  contentRows = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.count++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.contentRows += args.result.rows.filter((row) => typeof row.data === 'string').length;
    return args.result;
  }
}

function batch(from: number, count: number): AppendBatch {
  return { from, events: Array.from({ length: count }, (_, i) => ({ type: 'log', data: JSON.stringify({ line: `line ${from + i}` }), time: null })), final: false, epoch: 0 };
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`a group commit's statements on ${backend.name}`, () => {
    let target: BackendDatabase;
    let database: Database;
    const counter = new StatementCounter();
    let transactions = 0;
    let store: KyselyLogStore;

    beforeAll(async () => {
      target = await backend.fresh();
      database = await openDatabase({ databaseUrl: target.databaseUrl, databaseSchema: target.databaseSchema, dataDir: target.dataDir });
      const counted = database.db.withPlugin(counter);
      const transaction = counted.transaction.bind(counted);
      counted.transaction = () => {
        transactions++;
        return transaction();
      };
      store = new KyselyLogStore(counted, { maxGapWindow: 10_000, notify: undefined });
    });
    afterAll(async () => {
      await database?.close();
      await target?.drop();
    });

    async function statementsOfCommit(builds: number, prefix: string): Promise<number> {
      const ids = Array.from({ length: builds }, (_, i) => `${prefix}-${i}`);
      for (const buildId of ids) await store.createBuild({ buildId, generation: 'g', meta: {} });
      // Every build gets seqs 3..4 first: stored above its ack (0), a gap below them.
      const early = await store.commit(ids.map((buildId) => ({ buildId, batch: batch(3, 2), generation: undefined })), new Date());
      expect(early.results.every((r) => r.ok)).toBe(true);
      const before = counter.count;
      // Then seqs 1..2 fill every gap: the slow path for every build of the group.
      const filled = await store.commit(ids.map((buildId) => ({ buildId, batch: batch(1, 2), generation: undefined })), new Date());
      const statements = counter.count - before;
      expect(filled.results.map((r) => (r.ok ? r.response.ack : r.problem.code))).toEqual(ids.map(() => 4));
      expect(filled.advances.map((a) => a.events.map((e) => e.seq))).toEqual(ids.map(() => [1, 2, 3, 4]));
      return statements;
    }

    it('sends as many statements for 40 out-of-order builds as for 2', async () => {
      const few = await statementsOfCommit(2, 'few');
      const many = await statementsOfCommit(40, 'many');
      expect(many).toBe(few);
      // The locks, the stored events, and one statement for the events, the line index and the
      // builds (BEGIN and COMMIT aside).
      expect(many).toBe(3);
    });

    it("commits a new build's first append in one statement: its row is remembered from its creation", async () => {
      await store.createBuild({ buildId: 'fresh', generation: 'g', meta: {} });
      const before = counter.count;
      const transactionsBefore = transactions;
      const first = await store.commit([{ buildId: 'fresh', batch: batch(1, 2), generation: undefined }], new Date());
      expect(first.results[0]).toMatchObject({ ok: true, response: { ack: 2 } });
      expect([counter.count - before, transactions - transactionsBefore]).toEqual([1, 0]);
    });

    it('commits a group at the live edge of builds it committed last in one statement', async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `edge-${i}`);
      for (const buildId of ids) await store.createBuild({ buildId, generation: 'g', meta: {} });
      await store.commit(ids.map((buildId) => ({ buildId, batch: batch(1, 2), generation: undefined })), new Date());
      const before = counter.count;
      const transactionsBefore = transactions;
      const next = await store.commit(ids.map((buildId) => ({ buildId, batch: batch(3, 2), generation: undefined })), new Date());
      // One statement, on its own: no BEGIN and no COMMIT around it.
      expect(counter.count - before).toBe(1);
      expect(transactions - transactionsBefore).toBe(0);
      expect(next.results.map((r) => (r.ok ? r.response.ack : r.problem.code))).toEqual(ids.map(() => 4));
      expect(next.advances.map((a) => a.events.map((e) => e.seq))).toEqual(ids.map(() => [3, 4]));
    });

    it('splits a group: builds at their edge in the one statement, a build with events stored above its ack under its lock', async () => {
      for (const buildId of ['in-order', 'gapped']) await store.createBuild({ buildId, generation: 'g', meta: {} });
      await store.commit(['in-order', 'gapped'].map((buildId) => ({ buildId, batch: batch(1, 2), generation: undefined })), new Date());
      // Seqs 5..6 of 'gapped' are stored above its ack (2) by an earlier group.
      expect((await store.commit([{ buildId: 'gapped', batch: batch(5, 2), generation: undefined }], new Date())).results[0]).toMatchObject({ ok: true, response: { ack: 2, missing: [[3, 4]] } });
      const before = counter.count;
      const transactionsBefore = transactions;
      const outcome = await store.commit(
        [
          { buildId: 'gapped', batch: batch(3, 2), generation: undefined },
          { buildId: 'in-order', batch: batch(3, 2), generation: undefined },
        ],
        new Date(),
      );
      expect(outcome.results.map((r) => (r.ok ? r.response.ack : r.problem.code))).toEqual([6, 4]);
      expect(outcome.advances.map((a) => [a.buildId, a.events.map((e) => e.seq)])).toEqual([
        ['in-order', [3, 4]],
        ['gapped', [3, 4, 5, 6]],
      ]);
      // The edge statement; then the locking read, the stored events and the write for 'gapped'.
      expect(counter.count - before).toBe(4);
      expect(transactions - transactionsBefore).toBe(1);
    });

    it('plans a gap and its filling within one group at the edge, in the one statement', async () => {
      await store.createBuild({ buildId: 'gap-in-group', generation: 'g', meta: {} });
      await store.commit([{ buildId: 'gap-in-group', batch: batch(1, 2), generation: undefined }], new Date());
      const before = counter.count;
      const outcome = await store.commit(
        [
          { buildId: 'gap-in-group', batch: batch(5, 2), generation: undefined },
          { buildId: 'gap-in-group', batch: batch(3, 2), generation: undefined },
        ],
        new Date(),
      );
      expect(outcome.results.map((r) => (r.ok ? r.response.ack : r.problem.code))).toEqual([2, 6]);
      expect(outcome.advances.map((a) => a.events.map((e) => e.seq))).toEqual([[3, 4, 5, 6]]);
      expect(counter.count - before).toBe(1);
    });

    it("reads no stored event's content while a build's ack waits below a lost batch, and all of it once the batch comes", async () => {
      await store.createBuild({ buildId: 'stuck', generation: 'g', meta: {} });
      // Seqs 1..2 are lost; 3..62 arrive in 30 commits, each stored above the ack (0).
      let read = 0;
      for (let from = 3; from <= 61; from += 2) {
        const before = counter.contentRows;
        const outcome = await store.commit([{ buildId: 'stuck', batch: batch(from, 2), generation: undefined }], new Date());
        expect(outcome.results[0]).toMatchObject({ ok: true, response: { ack: 0, missing: [[1, 2]] } });
        read += counter.contentRows - before;
      }
      expect(read).toBe(0);
      // A resend inside the stored range is judged against the content of its own seqs only.
      const beforeResend = counter.contentRows;
      const conflict = await store.commit([{ buildId: 'stuck', batch: { ...batch(11, 2), events: batch(11, 2).events.map((e) => ({ ...e, data: '{"line":"other"}' })) }, generation: undefined }], new Date());
      expect(conflict.results[0]).toMatchObject({ ok: false, problem: { code: 'seq_conflict' } });
      expect(counter.contentRows - beforeResend).toBe(2);
      // The lost batch arrives: the ack moves over all 62, chained over every event's content.
      const filled = await store.commit([{ buildId: 'stuck', batch: batch(1, 2), generation: undefined }], new Date());
      const chained = chainDigests(EMPTY_DIGEST, Array.from({ length: 62 }, (_, i) => ({ seq: i + 1, type: 'log', data: { line: `line ${i + 1}` }, time: null })));
      expect(filled.results[0]).toMatchObject({ ok: true, response: { ack: 62, missing: [], digest: chained } });
      expect(filled.advances[0]!.events.map((e) => e.seq)).toEqual(Array.from({ length: 62 }, (_, i) => i + 1));
    });

    it('takes the row locks for a build another writer moved since, and loses nothing', async () => {
      for (const buildId of ['moved', 'still']) await store.createBuild({ buildId, generation: 'g', meta: {} });
      await store.commit(['moved', 'still'].map((buildId) => ({ buildId, batch: batch(1, 2), generation: undefined })), new Date());
      // Another instance (its own memory, the same tables) appends to one of them.
      const other = new KyselyLogStore(database.db, { maxGapWindow: 10_000, notify: undefined });
      expect((await other.commit([{ buildId: 'moved', batch: batch(3, 2), generation: undefined }], new Date())).results[0]).toMatchObject({ ok: true, response: { ack: 4 } });
      const before = counter.count;
      const transactionsBefore = transactions;
      const outcome = await store.commit(
        [
          { buildId: 'moved', batch: batch(5, 2), generation: undefined },
          { buildId: 'still', batch: batch(3, 2), generation: undefined },
        ],
        new Date(),
      );
      expect(outcome.results.map((r) => (r.ok ? r.response.ack : r.problem.code))).toEqual([6, 4]);
      expect(outcome.advances.map((a) => [a.buildId, a.events.map((e) => e.seq)])).toEqual([
        ['still', [3, 4]],
        ['moved', [5, 6]],
      ]);
      // The guarded statement, then the locking read and the write for 'moved' (BEGIN and COMMIT aside).
      expect(counter.count - before).toBe(3);
      expect(transactions - transactionsBefore).toBe(1);
      const stored = await database.db.selectFrom('events').select(['build_id', 'seq']).where('build_id', 'in', ['moved', 'still']).orderBy('build_id').orderBy('seq').execute();
      expect(stored.map((r) => `${r.build_id}:${r.seq}`)).toEqual([...[1, 2, 3, 4, 5, 6].map((n) => `moved:${n}`), ...[1, 2, 3, 4].map((n) => `still:${n}`)]);
      const rows = await database.db.selectFrom('builds').select(['build_id', 'ack', 'digest']).where('build_id', 'in', ['moved', 'still']).orderBy('build_id').execute();
      expect(rows.map((r) => [r.build_id, r.ack])).toEqual([['moved', 6], ['still', 4]]);
      const chained = (n: number) => chainDigests(EMPTY_DIGEST, Array.from({ length: n }, (_, i) => ({ seq: i + 1, type: 'log', data: { line: `line ${i + 1}` }, time: null })));
      expect(rows.map((r) => r.digest)).toEqual([chained(6), chained(4)]);
    });
  });
}
