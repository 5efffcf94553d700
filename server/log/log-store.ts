// The log store seam (ARCHITECTURE §The log engine): what the engine needs from a database.
// One implementation over kysely serves both PGlite and PostgreSQL.
import type { AppendBatch, PlanResult, StoredEvent } from './append-plan.js';
import type { LineIndexState, SearchResult, StoredLine } from './kysely-log-lines.js';
import type { EventPage, PageBounds } from './event-json.js';

export interface BuildRecord {
  readonly buildId: string;
  readonly generation: string;
  readonly meta: Record<string, unknown>;
  readonly createdAt: Date;
  readonly listOrder: number;
  readonly ack: number;
  readonly final: number | null;
  readonly epoch: number;
  readonly digest: string;
  readonly lastEventAt: Date | null;
  /** PROTOCOL §Log lines: lines indexed, up to which seq (the ack when current). */
  readonly logLines: LineIndexState;
}

export interface PendingAppend {
  readonly buildId: string;
  readonly batch: AppendBatch;
  /** The generation the caller's token is bound to; a different one means a revoked token. */
  readonly generation: string | undefined;
}

/** What one commit changed for one build: readers are woken with it. */
export interface BuildAdvance {
  readonly buildId: string;
  readonly ack: number;
  readonly final: number | null;
  /** Events the ack passed in this commit, in seq order. */
  readonly events: readonly StoredEvent[];
}

export interface CommitOutcome {
  /** One result per pending append, in the order given. */
  readonly results: readonly PlanResult[];
  readonly advances: readonly BuildAdvance[];
}

export interface CreateBuildInput {
  readonly buildId: string;
  readonly generation: string;
  readonly meta: Record<string, unknown>;
}

export interface LogStore {
  /** Creates the build, or returns the existing one untouched (`created: false`). */
  createBuild(input: CreateBuildInput): Promise<{ build: BuildRecord; created: boolean }>;
  getBuild(buildId: string): Promise<BuildRecord | undefined>;
  /** Newest first; `beforeOrder` continues a page. */
  listBuilds(limit: number, beforeOrder: number | undefined): Promise<BuildRecord[]>;
  /**
   * Removes the build row and queues its events for `purgeBatch`; false when there was no
   * such build. With `idleBefore`, only if it had no append since then (retention).
   */
  deleteBuild(buildId: string, idleBefore?: Date): Promise<boolean>;
  /** Events stored above the ack (waiting for a gap to fill): the sum, and the `top` builds holding most. */
  storedBeyondAck(top: number): Promise<{ total: number; builds: Array<{ buildId: string; events: number }> }>;
  /** Ids of builds with no append since `cutoff`, oldest first, at most `limit`. */
  idleBuilds(cutoff: Date, limit: number): Promise<string[]>;
  /**
   * Deletes at most `maxEvents` events of one deleted build in one transaction; `done` once that
   * build has none left (its purge record is gone too). Undefined when nothing waits to be purged.
   */
  purgeBatch(maxEvents: number): Promise<{ buildId: string; events: number; done: boolean } | undefined>;
  /** Applies the appends in one transaction (PROTOCOL §Append, ARCHITECTURE §Group commit). */
  commit(appends: readonly PendingAppend[], receivedAt: Date): Promise<CommitOutcome>;
  /**
   * Events with `after < seq ≤ upTo` within `bounds`, ascending, rendered as `format`;
   * `upTo` is at most the build's ack.
   */
  readPage(buildId: string, after: number, upTo: number, bounds: PageBounds, format: PageFormat): Promise<StoredPage>;
  /** Indexes the build's lines up to its ack if commits have not (builds from before the index). */
  indexLogLines(buildId: string): Promise<void>;
  /** Lines `after < n ≤ build.logLines.count`, at most `limit`, cut after `maxBytes` of data. */
  readLogLines(build: BuildRecord, after: number, limit: number, maxBytes: number): Promise<StoredLine[]>;
  /** Like readLogLines, the numbers and data only: what the raw download writes. */
  readLogLineData(build: BuildRecord, after: number, limit: number, maxBytes: number): Promise<Array<{ n: number; data: string }>>;
  /** Lines among `1..build.logLines.count` whose shown text contains `query`, ignoring case. */
  searchLogLines(build: BuildRecord, query: string, after: number, limit: number): Promise<SearchResult>;
}

/** `json`: the events' `Event` JSON joined by commas; `sse`: their SSE frames back to back. */
export type PageFormat = 'json' | 'sse';

/** A page's text in consecutive parts, to be joined as they are (`sse`) or by commas (`json`). */
export interface StoredPage extends EventPage {
  readonly parts: readonly string[];
}
