// A group commit's round trips must not grow with the builds in it, nor with what it writes
// (ARCHITECTURE §Group commit): the transaction holds every build's row lock, so each statement
// inside it is paid by every waiting append. Builds whose batches arrive out of order or are resent need their stored
// events read (the slow path); that read once took one statement per build, and a group of
// 500 such builds spent most of its time in 500 round trips. Counted at the database.
import { type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../server/db/database.js';
import { KyselyLogStore } from '../server/log/kysely-log-store.js';
import type { AppendBatch } from '../server/log/append-plan.js';
import { BACKENDS, type BackendDatabase } from './support/backends.js';

/** Counts the statements sent through the Kysely instance it is plugged into. */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.count++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
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
    let store: KyselyLogStore;

    beforeAll(async () => {
      target = await backend.fresh();
      database = await openDatabase({ databaseUrl: target.databaseUrl, databaseSchema: target.databaseSchema, dataDir: target.dataDir });
      store = new KyselyLogStore(database.db.withPlugin(counter), { maxGapWindow: 10_000, notify: undefined });
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
  });
}
