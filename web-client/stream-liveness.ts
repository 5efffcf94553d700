// Notices a stream that died without closing (a laptop changing networks, a NAT or load
// balancer that forgot the flow): the server sends a ping event at open and after each idle
// interval, naming the interval (PROTOCOL §SSE rule 3). A stream that carries nothing — no
// event, no ping — for two intervals is dead: the watcher closes it and resumes on a new one.
import { SSE_PING_INTERVAL_MS } from '../protocol/limits.js';
import { SSE_PING_EVENT, deadStreamAfterMs, pingIntervalOf } from '../protocol/sse-frames.js';
import type { EventSourceLike } from './transport.js';

export class StreamLiveness {
  readonly #onDead: () => void;
  readonly #onInterval: (ms: number) => void;
  #intervalMs: number = SSE_PING_INTERVAL_MS;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `onDead` runs once per watched stream, when it went quiet for too long; `onInterval` when a ping names the interval. */
  constructor(onDead: () => void, onInterval: (ms: number) => void = () => {}) {
    this.#onDead = onDead;
    this.#onInterval = onInterval;
  }

  /** Starts the clock for a new stream and listens to its pings (announced interval included). */
  watch(es: EventSourceLike, isCurrent: () => boolean): void {
    es.addEventListener(SSE_PING_EVENT, (message) => {
      if (!isCurrent()) return;
      const announced = pingIntervalOf(typeof message.data === 'string' ? message.data : undefined);
      if (announced !== undefined && announced !== this.#intervalMs) {
        this.#intervalMs = announced;
        this.#onInterval(announced);
      }
      this.touch();
    });
    this.touch();
  }

  /** Something arrived (or the stream opened): the connection is alive for two more intervals. */
  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onDead();
    }, deadStreamAfterMs(this.#intervalMs));
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
