// Wakes readers when a build changes (ARCHITECTURE §Hub): local listeners at once, other
// instances through PostgreSQL LISTEN/NOTIFY. Listeners get notices, never events: each reader
// pulls what it needs from the log, so a slow reader holds no queue here. Notices are delivered
// synchronously, in commit order; what they set off (a reader's read and write) is scheduled
// by the reader's Waker, a group per turn of the event loop.
import type { Database } from '../db/database.js';
import { decodeHubMessage, encodeHubMessage, type HubAddress, type HubMessage } from './hub-message.js';

/** `resync`: notices may have been missed (the LISTEN connection dropped); re-read the log. */
export type HubNotice = HubMessage | { readonly kind: 'resync' };
export type HubListener = (notice: HubNotice) => void;

export class Hub {
  readonly #byBuild = new Map<string, Set<HubListener>>();
  readonly #everything = new Set<HubListener>();
  readonly #address: HubAddress;
  #database: Database | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(address: HubAddress) {
    this.#address = address;
  }

  /** Starts receiving other instances' messages (no-op on PGlite). */
  async connect(database: Database): Promise<void> {
    this.#database = database;
    this.#unlisten = await database.listen(
      this.#address.channel,
      (payload) => {
        const decoded = decodeHubMessage(payload);
        if (decoded && decoded.origin !== this.#address.origin) this.#deliver(decoded.message);
      },
      () => this.#deliverToAll({ kind: 'resync' }),
    );
  }

  async disconnect(): Promise<void> {
    await this.#unlisten?.();
    this.#unlisten = undefined;
  }

  /** Delivers a message that happened on this instance to local listeners. */
  publish(message: HubMessage): void {
    this.#deliver(message);
  }

  /**
   * Publishes locally and tells other instances (a NOTIFY of its own; commits notify inside
   * their transaction instead). A lost NOTIFY leaves other instances' readers to notice on
   * their next quiet-period re-read, so it does not fail the caller.
   */
  async announce(message: HubMessage): Promise<void> {
    this.publish(message);
    await this.#database?.notify(this.#address.channel, encodeHubMessage(message, this.#address.origin)).catch(() => {});
  }

  /** Listens to one build; returns the unsubscribe function. */
  subscribe(buildId: string, listener: HubListener): () => void {
    let set = this.#byBuild.get(buildId);
    if (!set) this.#byBuild.set(buildId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#byBuild.get(buildId) === set) this.#byBuild.delete(buildId);
    };
  }

  /** Listens to every build (the watched build list). */
  subscribeAll(listener: HubListener): () => void {
    this.#everything.add(listener);
    return () => this.#everything.delete(listener);
  }

  /** Listener count, for metrics and leak tests. */
  listenerCount(): number {
    let n = this.#everything.size;
    for (const set of this.#byBuild.values()) n += set.size;
    return n;
  }

  #deliver(message: HubMessage): void {
    for (const listener of [...(this.#byBuild.get(message.buildId) ?? [])]) listener(message);
    for (const listener of [...this.#everything]) listener(message);
  }

  #deliverToAll(notice: HubNotice): void {
    for (const set of [...this.#byBuild.values()]) for (const listener of [...set]) listener(notice);
    for (const listener of [...this.#everything]) listener(notice);
  }
}
