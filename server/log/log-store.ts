// The log store seam (ARCHITECTURE §The log engine): what the engine needs from a database.
// One implementation over kysely serves both PGlite and PostgreSQL.
import type { AppendBatch, PlanResult, StoredEvent } from './append-plan.js';
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
  /** False when there was no such build. */
  deleteBuild(buildId: string): Promise<boolean>;
  /** Applies the appends in one transaction (PROTOCOL §Append, ARCHITECTURE §Group commit). */
  commit(appends: readonly PendingAppend[], receivedAt: Date): Promise<CommitOutcome>;
  /**
   * Events with `after < seq ≤ upTo` within `bounds`, ascending, rendered as `format`;
   * `upTo` is at most the build's ack.
   */
  readPage(buildId: string, after: number, upTo: number, bounds: PageBounds, format: PageFormat): Promise<StoredPage>;
}

/** `json`: the events' `Event` JSON joined by commas; `sse`: their SSE frames back to back. */
export type PageFormat = 'json' | 'sse';

export interface StoredPage extends EventPage {
  readonly text: string;
}
