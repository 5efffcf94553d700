// The log engine's front: appends go through group commit; reads come from the tail cache or
// the store; readers wait on the hub. Routes talk to this and nothing below it.
import type { AppendResponse } from '../../protocol/schemas.js';
import { buildNotFound } from '../errors.js';
import { frameEncodings, frameSegment, type FramePage, type JsonPage, type PageBounds } from './event-json.js';
import { FoldSnapshots } from './fold-snapshots.js';
import { GroupCommitter } from './group-commit.js';
import type { Hub } from './hub.js';
import type { AppendBatch } from './append-plan.js';
import type { BuildAdvance, BuildRecord, CreateBuildInput, LogStore, PageFormat, StoredPage } from './log-store.js';
import { TailCache } from './tail-cache.js';
import { initialBuildState, reduceEvents, type BuildState, type ReducerEvent } from '../../protocol/build-state.js';
import { initialMessagesState, reduceMessages, type MessageEvent, type MessagesState } from '../../protocol/ui-messages.js';

/** A build with no commit for this long has no live edge: its frames leave the tail cache. */
const TAIL_IDLE_MS = 10_000;

export interface LogEngineOptions {
  readonly commitQueueMax: number;
  readonly commitQueueMaxBytes: number;
  readonly commitGroupMaxEvents: number;
  readonly commitLanes?: number;
  readonly tailCacheEvents: number;
  readonly tailCacheBytes: number;
  readonly onGroup?: (appends: number, events: number, durationMs: number) => void;
}

export class LogEngine {
  readonly store: LogStore;
  readonly hub: Hub;
  readonly #committer: GroupCommitter;
  readonly #tail: TailCache;
  readonly #states = new FoldSnapshots<BuildState, ReducerEvent>({ initial: initialBuildState, reduce: reduceEvents });
  readonly #messages = new FoldSnapshots<MessagesState, MessageEvent>({ initial: initialMessagesState, reduce: reduceMessages });
  /**
   * Store reads in progress, by range and form: readers of one build at one edge share one
   * query. Events another instance committed are not in this one's tail cache, so without this
   * every viewer of that build would query the database on each commit.
   */
  readonly #reading = new Map<string, Promise<unknown>>();
  readonly #tailSweep: NodeJS.Timeout;

  constructor(store: LogStore, hub: Hub, options: LogEngineOptions) {
    this.store = store;
    this.hub = hub;
    this.#tail = new TailCache(options.tailCacheEvents, options.tailCacheBytes);
    this.#committer = new GroupCommitter(store, {
      maxQueued: options.commitQueueMax,
      maxQueuedBytes: options.commitQueueMaxBytes,
      maxGroupEvents: options.commitGroupMaxEvents,
      lanes: options.commitLanes ?? 1,
      onCommitted: (advances) => this.#onCommitted(advances),
      ...(options.onGroup ? { onGroup: options.onGroup } : {}),
    });
    this.#tailSweep = setInterval(() => this.#tail.sweep(TAIL_IDLE_MS), TAIL_IDLE_MS / 2).unref();
    // A build deleted here or on another instance: its id may come back as a new build.
    hub.subscribeAll((notice) => {
      if (notice.kind === 'deleted') {
        this.#tail.drop(notice.buildId);
        this.#states.drop(notice.buildId);
        this.#messages.drop(notice.buildId);
      }
    });
  }

  get commitQueueLength(): number {
    return this.#committer.queued;
  }

  get commitQueueBytes(): number {
    return this.#committer.queuedBytes;
  }

  append(buildId: string, batch: AppendBatch, generation: string | undefined): Promise<AppendResponse> {
    return this.#committer.submit({ buildId, batch, generation });
  }

  async getBuild(buildId: string): Promise<BuildRecord> {
    const build = await this.store.getBuild(buildId);
    if (!build) throw buildNotFound(buildId);
    return build;
  }

  /** Committed events with `after < seq ≤ upTo` within `bounds`, as SSE frames. */
  async readFrames(buildId: string, after: number, upTo: number, bounds: PageBounds): Promise<FramePage> {
    const cached = this.#tail.readFrames(buildId, after, upTo, bounds);
    if (cached && (cached.count > 0 || upTo <= after)) return cached;
    return this.#readStore(buildId, after, upTo, bounds, 'sse', (page): FramePage => {
      // Counted once per rendering, however many readers share it (the fan-out tests count these).
      frameEncodings.count += page.count;
      return { last: page.last, count: page.count, chunks: page.parts.map((part) => Buffer.from(part, 'utf8')) };
    });
  }

  /** Committed events with `after < seq ≤ upTo` within `bounds`, as `Event` JSON joined by commas. */
  async readJson(buildId: string, after: number, upTo: number, bounds: PageBounds): Promise<JsonPage> {
    const cached = this.#tail.readJson(buildId, after, upTo, bounds);
    if (cached && (cached.count > 0 || upTo <= after)) return cached;
    return this.#readStore(buildId, after, upTo, bounds, 'json', (page) => page);
  }

  /**
   * One store read per distinct range and form at a time, shared by whoever asks meanwhile —
   * its encoding too: the viewers of one build at one edge get the very same bytes.
   */
  #readStore<Page extends FramePage | JsonPage>(buildId: string, after: number, upTo: number, bounds: PageBounds, format: PageFormat, toPage: (page: StoredPage) => Page): Promise<Page> {
    const key = `${buildId}\n${after}\n${upTo}\n${bounds.limit}\n${bounds.maxBytes}\n${format}`;
    let pending = this.#reading.get(key) as Promise<Page> | undefined;
    if (pending === undefined) {
      pending = this.store.readPage(buildId, after, upTo, bounds, format).then(toPage).finally(() => this.#reading.delete(key));
      this.#reading.set(key, pending);
    }
    return pending;
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

  /** The reducer's fold of events 1..`build.ack` (PROTOCOL §State). */
  stateAt(build: BuildRecord): Promise<BuildState> {
    return this.#states.valueAt(build.buildId, build.generation, build.ack, (after, upTo, bounds) => this.readJson(build.buildId, after, upTo, bounds));
  }

  /** The UIMessages of events 1..`build.ack` (PROTOCOL §UI messages). */
  messagesAt(build: BuildRecord): Promise<MessagesState> {
    return this.#messages.valueAt(build.buildId, build.generation, build.ack, (after, upTo, bounds) => this.readJson(build.buildId, after, upTo, bounds));
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
    clearInterval(this.#tailSweep);
    await this.#committer.close();
  }

  /** After the appends are answered: cache the frames, tell the readers (they wake in later turns). */
  #onCommitted(advances: readonly BuildAdvance[]): void {
    for (const advance of advances) {
      // Encoded once here; every viewer of the live edge sends these same bytes.
      if (advance.events.length > 0) this.#tail.append(advance.buildId, frameSegment(advance.events));
      this.hub.publish({ kind: 'advanced', buildId: advance.buildId, ack: advance.ack, final: advance.final });
    }
  }
}
