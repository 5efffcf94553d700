// A page of a build's log over kysely (PROTOCOL §Read, ARCHITECTURE §The log engine): the
// events `(after, min(upTo, after + limit)]`, rendered by the database as JSON or SSE frames,
// within a byte bound, in parts of tens of KiB.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DatabaseSchema } from '../db/schema.js';
import type { PageBounds } from './event-json.js';
import type { PageFormat, StoredPage } from './log-store.js';

/** The last seq of a page: it is `(after, pageEnd]`, both ends bounded (see `pageQuery`). */
function pageEnd(after: number, upTo: number, bounds: PageBounds): number {
  return Math.min(upTo, after + bounds.limit);
}

type Bound = RawBuilder<unknown> | number;

/** A build's events `(after, upTo]`. */
function inRange(buildId: string, after: Bound, upTo: Bound) {
  return sql`build_id = ${buildId} AND seq > ${after} AND seq <= ${upTo}`;
}

/**
 * The rows `(after, upTo]` of a build in seq order, as the primary key's index gives them.
 * `renderedPage` joins them in the order they arrive: the aggregate reads this subquery
 * directly, with no join or grouping between them that could reorder it (the form PostgreSQL
 * documents for feeding an aggregate sorted input). The LIMIT, the size of the range, makes
 * the ordered index scan the plan even with no statistics.
 */
function rowsInOrder(buildId: string, after: Bound, upTo: Bound, limit: Bound) {
  return sql`SELECT seq, type, data, time, received_at, json_tail FROM events
    WHERE ${inRange(buildId, after, upTo)} ORDER BY seq LIMIT ${limit}`;
}

/**
 * A page comes back as parts of about this much text, one row each. As one string of
 * megabytes it was a single protocol message that `pg` gathered into a growing buffer and
 * decoded into a string too large for V8's young generation: fresh memory each time, and on
 * this machine a page fault costs about 15 µs per 4 KiB. 10 000-event pages: 92–130 ms in one
 * part, 29–41 ms in 64 KiB parts (node's CPU 50–65 → 19–30 ms).
 */
const PART_BYTES = 64 * 1024;
/** What rendering adds to an event's data, about: its seq, type, times and frame lines. */
const RENDERED_EXTRA_BYTES = 100;

/**
 * A page's events (`rowsInOrder`) rendered and joined in the order they come. One concat() per row (a chain of ||
 * allocates every intermediate string). A type matches EVENT_TYPE_PATTERN, which holds nothing
 * JSON escapes, so it is quoted as it is. The tail was stored at commit; rows older than that
 * column get it rendered here, from a received_at stored from a JS Date: milliseconds, printed
 * as Date#toISOString prints them.
 *
 * No ORDER BY inside the aggregate: on PostgreSQL 15 an ordered aggregate sorts its input
 * itself, whatever order it arrives in — for a 10 000-event page a sort of the rendered rows
 * that spilled to disk: 58–60 ms in the database, 19 ms from the ordered scan.
 */
function renderedPage(format: PageFormat) {
  const tail = sql`COALESCE(json_tail, concat(',"time":', COALESCE(to_json(time)::text, 'null'),
    ',"receivedAt":"', to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '"}'))`;
  const item =
    format === 'sse'
      ? sql`concat('id: ', seq, E'\ndata: {"seq":', seq, ',"type":"', type, '","data":', data, ${tail}, E'\n\n')`
      : sql`concat('{"seq":', seq, ',"type":"', type, '","data":', data, ${tail})`;
  return sql`string_agg(${item}, ${format === 'sse' ? '' : ','})`;
}

export async function readPage(db: Kysely<DatabaseSchema>, buildId: string, after: number, upTo: number, bounds: PageBounds, format: PageFormat): Promise<StoredPage> {
  const empty: StoredPage = { last: after, count: 0, parts: [] };
  if (upTo <= after || bounds.limit <= 0) return empty;
  // Most pages fit their byte bound whole: those are read without the running sum.
  const whole = (await wholePageQuery(buildId, after, upTo, bounds, format).execute(db)).rows;
  const range = whole[0];
  if (range === undefined || range.bytes === null || range.last === null) return empty;
  if (range.bytes <= bounds.maxBytes) {
    // In the order of their first seqs, whatever order the rows came in.
    const parts = whole.filter((r) => r.lo !== null).sort((a, b) => a.lo! - b.lo!);
    // Seqs up to the ack are contiguous: a part with no events would be events lost.
    if (parts.some((r) => r.text === null)) throw new Error(`build ${buildId}: no events in a part of (${after}, ${range.last}]`);
    return { last: range.last, count: range.count, parts: parts.map((r) => r.text!) };
  }
  const cut = (await pageQuery(buildId, after, upTo, bounds, format).execute(db)).rows[0];
  return cut && cut.last !== null ? { last: cut.last, count: cut.count, parts: [cut.text ?? ''] } : empty;
}

/**
 * One page of the log, rendered by the database: the events' `Event` JSON (as `eventJson`
 * builds it) joined by commas, or their SSE frames (as `eventFrame`) back to back. The server
 * does no work per event, and parses nothing. This form, for a page cut by bytes (events of
 * tens of KiB or more), is one row and one part.
 *
 * Seqs at or below the ack are contiguous (the ack is the longest stored prefix), so the page
 * is exactly `(after, min(upTo, after + limit)]`: with both ends bounded the scan touches
 * `limit` rows wherever the page starts. Bounded by `upTo` alone, a table without statistics
 * (PGlite never analyses; PostgreSQL not until autovacuum) got a bitmap scan over the whole
 * rest of the log plus a sort, per page. The page then stops at the first event whose data
 * reaches `maxBytes` (`octet_length` reads a TOASTed value's size without fetching it), so a
 * page of 256 KiB events is as bounded in memory as a page of small ones.
 */
export function pageQuery(buildId: string, after: number, upTo: number, bounds: PageBounds, format: PageFormat) {
  return sql<{ last: number | null; count: number; text: string | null }>`
    SELECT max(seq) AS last, count(*)::int AS count, ${renderedPage(format)} AS text
    FROM (
      SELECT *, sum(octet_length(data)) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) - octet_length(data) AS before
      FROM (${rowsInOrder(buildId, after, pageEnd(after, upTo, bounds), bounds.limit)}) range_rows
    ) page
    WHERE before < ${bounds.maxBytes}`;
}

/**
 * The same page when its events' data, all of it, is within `maxBytes` — then every event is
 * in it, as `pageQuery` would have it — else no events, and `bytes` says how much there was.
 * The running sum's window and its sort were most of a page's time in PostgreSQL (a 10 000-
 * event JSON page: 40–47 ms with it, 20–30 ms without); summing the range first costs 3 ms.
 *
 * Every row carries the range's size; the page is in parts of `step` events starting after
 * `lo` (about PART_BYTES of text each), and none when the range is over `maxBytes`.
 */
export function wholePageQuery(buildId: string, after: number, upTo: number, bounds: PageBounds, format: PageFormat) {
  return sql<{ bytes: number | null; last: number | null; count: number; lo: number | null; text: string | null }>`
    WITH range_size AS (
      SELECT sum(octet_length(data)) AS bytes, max(seq) AS last, count(*)::int AS count FROM events WHERE ${inRange(buildId, after, pageEnd(after, upTo, bounds))}
    ), sized AS (
      SELECT *, greatest(1, ${PART_BYTES}::bigint * count / (bytes + ${RENDERED_EXTRA_BYTES} * count))::int AS step FROM range_size
    )
    SELECT s.bytes, s.last, s.count, part.lo, part.text
    FROM sized s LEFT JOIN LATERAL (
      SELECT lo, (SELECT ${renderedPage(format)} AS text FROM (${rowsInOrder(buildId, sql`lo`, sql`least(lo + s.step, s.last)`, sql`s.step`)}) part_rows) AS text
      FROM generate_series(${after}::bigint, s.last - 1, s.step) AS lo
      WHERE s.bytes <= ${bounds.maxBytes}
    ) part ON true`;
}
