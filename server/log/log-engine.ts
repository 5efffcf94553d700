// The log engine's front: appends go through group commit; reads come from the tail cache or
// the store; readers wait on the hub. Routes talk to this and nothing below it.
import type { AppendResponse } from '../../protocol/schemas.js';
import { buildNotFound } from '../errors.js';
import { toEventRecord, type EventRecord } from './event-json.js';
import { GroupCommitter } from './group-commit.js';
import type { Hub } from './hub.js';
import type { AppendBatch } from './append-plan.js';
import type { BuildAdvance, BuildRecord, CreateBuildInput, LogStore } from './log-store.js';
import { FoldSnapshots } from './fold-snapshots.js';
import { StateSnapshots } from './state-snapshots.js';
import { TailCache } from './tail-cache.js';
import type { BuildState } from '../../protocol/build-state.js';
import { initialMessagesState, reduceMessages, type MessageEvent, type MessagesState } from '../../protocol/ui-messages.js';

export interface LogEngineOptions {
  readonly commitQueueMax: number;
  readonly commitGroupMaxEvents: number;
  readonly tailCacheEvents: number;
  readonly onGroup?: (appends: number, events: number, durationMs: number) => void;
}

export class LogEngine {
  readonly store: LogStore;
  readonly hub: Hub;
  readonly #committer: GroupCommitter;
  readonly #tail: TailCache;
  readonly #snapshots = new StateSnapshots();
  readonly #messages = new FoldSnapshots<MessagesState, MessageEvent>({ initial: initialMessagesState, reduce: reduceMessages });
  /** Store reads in progress, by range: readers of one build at one edge share one query. */
  readonly #reading = new Map<string, Promise<EventRecord[]>>();
  /** Bumped on every deletion: a store read that started before one must not fill the cache. */
  #deletions = 0;

  constructor(store: LogStore, hub: Hub, options: LogEngineOptions) {
    this.store = store;
    this.hub = hub;
    this.#tail = new TailCache(options.tailCacheEvents);
    this.#committer = new GroupCommitter(store, {
      maxQueued: options.commitQueueMax,
      maxGroupEvents: options.commitGroupMaxEvents,
      onCommitted: (advances) => this.#onCommitted(advances),
      ...(options.onGroup ? { onGroup: options.onGroup } : {}),
    });
    // A build deleted here or on another instance: its id may come back as a new build.
    hub.subscribeAll((notice) => {
      if (notice.kind === 'deleted') {
        this.#deletions++;
        this.#tail.drop(notice.buildId);
        this.#snapshots.drop(notice.buildId);
        this.#messages.drop(notice.buildId);
      }
    });
  }

  get commitQueueLength(): number {
    return this.#committer.queued;
  }

  append(buildId: string, batch: AppendBatch, generation: string | undefined): Promise<AppendResponse> {
    return this.#committer.submit({ buildId, batch, generation });
  }

  async getBuild(buildId: string): Promise<BuildRecord> {
    const build = await this.store.getBuild(buildId);
    if (!build) throw buildNotFound(buildId);
    return build;
  }

  /**
   * The build, with its line index current up to the ack it reports (PROTOCOL §Log lines):
   * a build committed before the index existed is indexed here, once.
   */
  async getBuildWithLines(buildId: string): Promise<BuildRecord> {
    const build = await this.getBuild(buildId);
    if (build.logLines.seq >= build.ack) return build;
    await this.store.indexLogLines(buildId);
    return this.getBuild(buildId);
  }

  /** Committed events with `after < seq ≤ upTo`, ascending, at most `limit`. */
  async read(buildId: string, after: number, upTo: number, limit: number): Promise<EventRecord[]> {
    const cached = this.#tail.read(buildId, after, upTo, limit);
    if (cached && (cached.length === limit || cached.at(-1)?.seq === upTo || upTo <= after)) return cached;
    // Events another instance committed are not in this one's cache: the first reader at the
    // edge reads them once for everyone waiting on the same range, and leaves them in the cache.
    const key = `${buildId}\n${after}\n${upTo}\n${limit}`;
    let pending = this.#reading.get(key);
    if (pending === undefined) {
      const deletions = this.#deletions;
      pending = this.store
        .readEvents(buildId, after, upTo, limit)
        .then((rows) => {
          const records = rows.map(toEventRecord);
          if (this.#deletions === deletions) this.#tail.extend(buildId, records, records.at(-1)?.seq === upTo);
          return records;
        })
        .finally(() => this.#reading.delete(key));
      this.#reading.set(key, pending);
    }
    return pending;
  }

  /** The reducer's fold of events 1..`build.ack` (PROTOCOL §State). */
  stateAt(build: BuildRecord): Promise<BuildState> {
    return this.#snapshots.stateAt(build.buildId, build.generation, build.ack, (after, upTo, limit) => this.read(build.buildId, after, upTo, limit));
  }

  /** The UIMessages of events 1..`build.ack` (PROTOCOL §UI messages). */
  messagesAt(build: BuildRecord): Promise<MessagesState> {
    return this.#messages.valueAt(build.buildId, build.generation, build.ack, (after, upTo, limit) => this.read(build.buildId, after, upTo, limit));
  }

  async deleteBuild(buildId: string): Promise<void> {
    if (!(await this.store.deleteBuild(buildId))) throw buildNotFound(buildId);
    await this.hub.announce({ kind: 'deleted', buildId });
  }

  /** Deletes the build if it had no append since `idleBefore` (retention); true if it did. */
  async expireBuild(buildId: string, idleBefore: Date): Promise<boolean> {
    if (!(await this.store.deleteBuild(buildId, idleBefore))) return false;
    await this.hub.announce({ kind: 'deleted', buildId });
    return true;
  }

  /** Creates the build (or finds it, unchanged) and tells list watchers here and elsewhere of a new one. */
  async createBuild(input: CreateBuildInput): Promise<{ build: BuildRecord; created: boolean }> {
    const result = await this.store.createBuild(input);
    if (result.created) await this.hub.announce({ kind: 'created', buildId: input.buildId });
    return result;
  }

  /** Refuses new appends and waits until every queued one is committed and answered. */
  async drain(): Promise<void> {
    await this.#committer.close();
  }

  #onCommitted(advances: readonly BuildAdvance[]): void {
    for (const advance of advances) {
      this.#tail.append(advance.buildId, advance.events.map(toEventRecord));
      this.hub.publish({ kind: 'advanced', buildId: advance.buildId, ack: advance.ack, final: advance.final });
    }
  }
}
