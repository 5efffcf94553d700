// A reader's position in one build's log (ARCHITECTURE §Cursor). It remembers what it sent,
// learns the ack from hub notices (no query per commit), and pulls `(lastSent, ack]` when the
// caller is ready for more — a pull cursor, never a queue of pushed events, so a slow reader
// costs the server no memory. SSE streams and long-polls both read through it.
import { buildNotFound } from '../errors.js';
import { Waker } from './waker.js';
import type { EventPage, FramePage, PageBounds } from './event-json.js';
import type { HubNotice } from './hub.js';
import type { LogEngine } from './log-engine.js';

export type CursorStep<Page> =
  | { readonly kind: 'events'; readonly page: Page }
  /** Nothing new within the wait. */
  | { readonly kind: 'idle' }
  /** The cursor is at or past the final event of a complete build. */
  | { readonly kind: 'complete' }
  | { readonly kind: 'deleted' };

export class BuildCursor {
  readonly buildId: string;
  #lastSent: number;
  #ack: number;
  #final: number | null;
  #generation = '';
  #deleted = false;
  /** Set when notices may have been missed: the next step re-reads the build. */
  #stale = false;
  /** Set by `interrupt()`: the wait ended for something other than the log. */
  #interrupted = false;
  /** Set by `close()`: no more waits; a step in progress ends as soon as it can. */
  #closed = false;
  readonly #waker = new Waker();
  readonly #engine: LogEngine;
  readonly #unsubscribe: () => void;

  private constructor(engine: LogEngine, buildId: string, after: number) {
    this.#engine = engine;
    this.buildId = buildId;
    this.#lastSent = after;
    this.#ack = 0;
    this.#final = null;
    this.#unsubscribe = engine.hub.subscribe(buildId, (notice) => this.#onNotice(notice));
  }

  /** Subscribes first, then reads the build, so no commit slips between the two. Throws 404. */
  static async open(engine: LogEngine, buildId: string, after: number): Promise<BuildCursor> {
    const cursor = new BuildCursor(engine, buildId, after);
    try {
      await cursor.#refresh();
      if (cursor.#deleted) throw buildNotFound(buildId);
    } catch (error) {
      cursor.close();
      throw error;
    }
    return cursor;
  }

  get lastSent(): number {
    return this.#lastSent;
  }
  get ack(): number {
    return this.#ack;
  }
  get final(): number | null {
    return this.#final;
  }
  /** The build's generation, for checking a build-bound token (PROTOCOL §Auth). */
  get generation(): string {
    return this.#generation;
  }
  get complete(): boolean {
    return this.#final !== null && this.#ack === this.#final;
  }

  /**
   * The next events after `lastSent` (within `bounds`), as SSE frames, waiting up to `waitMs`
   * for some to commit. Advances `lastSent` past what it returns.
   */
  nextFrames(bounds: PageBounds, waitMs: number): Promise<CursorStep<FramePage>> {
    return this.next(waitMs, (after, upTo) => this.#engine.readFrames(this.buildId, after, upTo, bounds));
  }

  /**
   * Like `nextFrames`, in whatever form `read` renders events `(after, upTo]` (its page may stop
   * short of `upTo`). `interrupt()` or `close()` ends the wait: no AbortSignal per step, whose
   * listener was added and removed on every step of every viewer and long-poll.
   */
  next<Page extends EventPage>(waitMs: number, read: (after: number, upTo: number) => Promise<Page>): Promise<CursorStep<Page>> {
    return this.#next(waitMs, () => read(this.#lastSent, this.#ack));
  }

  async #next<Page extends EventPage>(waitMs: number, read: () => Promise<Page>): Promise<CursorStep<Page>> {
    // An interrupt counts from here: one during the refresh below skips the wait.
    this.#interrupted = false;
    if (this.#stale) await this.#refresh();
    const quiet = () => this.#ack <= this.#lastSent && !this.#closed && !this.#interrupted;
    if (quiet() && !this.#deleted && !this.complete && waitMs > 0) {
      await this.#waker.sleep(waitMs);
      // A quiet stretch re-reads the build: insurance against a notice lost between instances.
      if (this.#stale || quiet()) await this.#refresh();
    }
    if (this.#deleted) return { kind: 'deleted' };
    if (this.#ack > this.#lastSent) {
      const page = await read();
      if (page.count > 0) {
        this.#lastSent = page.last;
        return { kind: 'events', page };
      }
    }
    if (this.complete && this.#lastSent >= this.#ack) return { kind: 'complete' };
    return { kind: 'idle' };
  }

  /**
   * Ends the current step's wait for events now (or skips it), as an idle step: the stream has
   * something else to write, a runner report.
   */
  interrupt(): void {
    this.#interrupted = true;
    this.#waker.wake();
  }

  /** Stops listening; a step waiting now ends (idle) instead of sleeping out its wait. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#waker.wakeNow();
  }

  async #refresh(): Promise<void> {
    this.#stale = false;
    const build = await this.#engine.store.getBuild(this.buildId);
    if (!build) {
      this.#deleted = true;
      return;
    }
    this.#generation = build.generation;
    // Never move backwards: a notice may already have brought a newer ack than this read.
    if (build.ack >= this.#ack) {
      this.#ack = build.ack;
      this.#final = build.final;
    }
  }

  #onNotice(notice: HubNotice): void {
    if (notice.kind === 'advanced' && notice.ack >= this.#ack) {
      this.#ack = notice.ack;
      this.#final = notice.final;
    } else if (notice.kind === 'deleted') {
      this.#deleted = true;
    } else if (notice.kind === 'resync') {
      this.#stale = true;
    } else {
      return;
    }
    this.#waker.wake();
  }
}
