// The SQL that writes one commit group (ARCHITECTURE §The log engine): its events, their log
// lines, its build rows and its NOTIFY, in one statement of data-modifying CTEs.
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { bigintArray, textArray } from '../db/column-arrays.js';
import { PREPARED_MARKER } from '../db/prepared-statements.js';
import type { DatabaseSchema } from '../db/schema.js';
import { eventJsonTail } from './event-json.js';
import { encodeHubMessage, type HubAddress } from './hub-message.js';
import { lineRowsInsert, type LineIndexState } from './kysely-log-lines.js';
import { numberLines, type LineRow } from './log-lines.js';
import type { BuildAdvance } from './log-store.js';
import type { LockedBuild } from './remembered-rows.js';

export interface GroupWrite {
  readonly advances: BuildAdvance[];
  /** The builds written: all of them, or (guarded) those whose rows were still as remembered. */
  readonly taken: ReadonlySet<string>;
  /** Each build's line index after the write. */
  readonly lines: ReadonlyMap<string, LineIndexState>;
}

/**
 * Writes what the group planned. `guarded`: the rows were not locked but remembered, so the
 * UPDATE takes a build only while its row is as remembered and everything else is written for
 * the builds it took. Every build of a guarded group is updated (a refused append was judged on
 * the remembered row too).
 */
export async function writeGroup(
  executor: Kysely<DatabaseSchema> | Transaction<DatabaseSchema>,
  locked: readonly LockedBuild[],
  guarded: boolean,
  notify: HubAddress | undefined,
): Promise<GroupWrite> {
  const states = locked.map((l) => l.write);
  for (const state of states) {
    // Only the locked path sees a takeover (`atEdge` leaves epochs alone).
    if (state.discardAbove !== null) {
      await executor.deleteFrom('events').where('build_id', '=', state.buildId).where('seq', '>', state.discardAbove).execute();
    }
  }
  // PROTOCOL §Log lines: the lines the ack passed get their numbers in the same transaction,
  // when the build's index is current (else catchUpLineIndex fills it on the first read).
  const lineIds: string[] = [];
  const lineRows: LineRow[] = [];
  const lines = new Map<string, LineIndexState>();
  for (const { write, lines: index } of locked) {
    if (write.newlyAcked.length === 0 || index.seq !== write.newlyAcked[0]!.seq - 1) {
      lines.set(write.buildId, index);
      continue;
    }
    const rows = numberLines(write.newlyAcked, index.count);
    for (const row of rows) lineIds.push(write.buildId), lineRows.push(row);
    lines.set(write.buildId, { count: index.count + rows.length, seq: write.ack });
  }
  const changedBuilds = guarded ? locked : locked.filter(({ write: s }) => s.inserts.length > 0 || s.discardAbove !== null || s.newlyAcked.length > 0);
  const changed = changedBuilds.map((l) => l.write);
  const advances: BuildAdvance[] = changed
    .filter((s) => s.newlyAcked.length > 0 || s.discardAbove !== null)
    .map((s) => ({ buildId: s.buildId, ack: s.ack, final: s.final, events: s.newlyAcked }));
  // Nothing to write: every append was a duplicate or refused, under the row locks.
  if (changed.length === 0) return { advances, taken: new Set(states.map((s) => s.buildId)), lines };

  // Only builds the UPDATE took get their events, lines and notice.
  const takenOnly = (column: RawBuilder<unknown>) => (guarded ? sql`WHERE ${column} IN (SELECT build_id FROM moved)` : sql``);
  // One statement writes it all — events, line index, builds, the NOTIFY — however many
  // builds the group holds: every round trip inside the transaction is paid by every append
  // waiting on its row locks. Rows travel as arrays, one parameter a column, so building and
  // sending it costs the same for 1 row as for 10 000; the events' columns go in binary
  // (column-arrays.ts), the builds' few rows as pg encodes them.
  const writes = [];
  // The guard: every column a commit or the line indexer moves, as this group last saw it.
  const guard = guarded
    ? sql`AND b.build_id IN (SELECT build_id FROM locked) AND b.generation = u.old_generation AND b.ack = u.old_ack AND b.max_seq = u.old_max_seq AND b.epoch = u.old_epoch
        AND b.final IS NOT DISTINCT FROM u.old_final AND b.log_lines = u.old_log_lines AND b.log_lines_seq = u.old_log_lines_seq`
    : sql``;
  const was = changedBuilds.map((l) => l.before);
  // Unlocked until here: take the rows in id order, as the locked path does, so that two
  // instances never wait on each other in a circle.
  if (guarded) {
    writes.push(sql`locked AS (
      SELECT build_id FROM builds WHERE build_id = ANY(${changed.map((s) => s.buildId)}::text[]) ORDER BY build_id FOR UPDATE)`);
  }
  writes.push(sql`moved AS (
    UPDATE builds AS b SET ack = u.ack, final = u.final, epoch = u.epoch, digest = u.digest,
      last_event_at = u.last_event_at, max_seq = u.max_seq, log_lines = u.log_lines, log_lines_seq = u.log_lines_seq
    FROM unnest(
      ${changed.map((s) => s.buildId)}::text[], ${changed.map((s) => s.ack)}::bigint[],
      ${changed.map((s) => s.final)}::bigint[], ${changed.map((s) => s.epoch)}::bigint[],
      ${changed.map((s) => s.digest)}::text[], ${changed.map((s) => s.lastEventAt?.toISOString() ?? null)}::timestamptz[],
      ${changed.map((s) => s.maxSeq)}::bigint[], ${changed.map((s) => lines.get(s.buildId)!.count)}::bigint[],
      ${changed.map((s) => lines.get(s.buildId)!.seq)}::bigint[],
      ${was.map((w) => w.generation)}::text[], ${was.map((w) => w.ack)}::bigint[], ${was.map((w) => w.maxSeq)}::bigint[],
      ${was.map((w) => w.epoch)}::bigint[], ${was.map((w) => w.final)}::bigint[],
      ${was.map((w) => w.lines.count)}::bigint[], ${was.map((w) => w.lines.seq)}::bigint[])
      AS u(build_id, ack, final, epoch, digest, last_event_at, max_seq, log_lines, log_lines_seq,
           old_generation, old_ack, old_max_seq, old_epoch, old_final, old_log_lines, old_log_lines_seq)
    WHERE b.build_id = u.build_id ${guard}
    RETURNING b.build_id)`);
  const inserts = states.flatMap((s) => s.inserts.map((e) => ({ buildId: s.buildId, event: e })));
  if (inserts.length > 0) {
    // A group's new events share one receivedAt: printed once, not once per event.
    const receivedAtIsos = isoStrings(inserts.map((r) => r.event.receivedAt));
    writes.push(sql`new_events AS (
      INSERT INTO events (build_id, seq, type, data, time, received_at, json_tail)
      SELECT * FROM unnest(
        ${textArray(inserts.map((r) => r.buildId))}, ${bigintArray(inserts.map((r) => r.event.seq))},
        ${textArray(inserts.map((r) => r.event.type))}, ${textArray(inserts.map((r) => r.event.data))},
        ${textArray(inserts.map((r) => r.event.time))}, ${textArray(receivedAtIsos)}::timestamptz[],
        ${textArray(inserts.map((r, i) => eventJsonTail(r.event.time, receivedAtIsos[i]!)))})
        AS e(build_id, seq, type, data, time, received_at, json_tail)
      ${takenOnly(sql`e.build_id`)})`);
  }
  if (lineRows.length > 0) writes.push(sql`new_lines AS (${lineRowsInsert(lineIds, lineRows, takenOnly(sql`l.build_id`))})`);
  // NOTIFY is delivered at commit, never for a rolled-back group.
  const notified =
    notify !== undefined && advances.length > 0
      ? sql`(SELECT count(pg_notify(${notify.channel}, n.p)) FROM unnest(
          ${advances.map((a) => a.buildId)}::text[],
          ${advances.map((a) => encodeHubMessage({ kind: 'advanced', buildId: a.buildId, ack: a.ack, final: a.final }, notify.origin))}::text[]) AS n(build_id, p)
          ${takenOnly(sql`n.build_id`)})`
      : sql`0`;
  const { rows } = await sql<{ build_id: string }>`${sql.raw(PREPARED_MARKER)} WITH ${sql.join(writes)} SELECT build_id, ${notified} AS notified FROM moved`.execute(executor);
  if (!guarded) return { advances, taken: new Set(states.map((s) => s.buildId)), lines };
  const taken = new Set(rows.map((row) => row.build_id));
  return { advances: advances.filter((a) => taken.has(a.buildId)), taken, lines };
}

/** Each date as Date#toISOString prints it, printing a run of the same date once. */
function isoStrings(dates: readonly Date[]): string[] {
  let last: Date | undefined;
  let iso = '';
  return dates.map((date) => {
    if (date !== last && date.getTime() !== last?.getTime()) iso = date.toISOString();
    last = date;
    return iso;
  });
}
