// The server's shutdown as one listener on its signal, however many streams and long-polls are
// open. EventTarget's addEventListener scans the signal's listeners for a duplicate, so one
// listener per stream made each new stream cost O(open streams) — 48 % of CPU near the end of a
// 16 000-viewer ramp — and Node warned MaxListenersExceededWarning past 10 open streams.

export class Shutdown {
  readonly signal: AbortSignal;
  readonly #callbacks = new Set<() => void>();

  constructor(signal: AbortSignal) {
    this.signal = signal;
    signal.addEventListener(
      'abort',
      () => {
        const callbacks = [...this.#callbacks];
        this.#callbacks.clear();
        for (const callback of callbacks) callback();
      },
      { once: true },
    );
  }

  /** Callbacks waiting for the shutdown (metrics, and the tests that bound it). */
  get waiting(): number {
    return this.#callbacks.size;
  }

  /** Runs `callback` once when the shutdown begins (at once if it has); returns its removal. */
  onShutdown(callback: () => void): () => void {
    if (this.signal.aborted) {
      callback();
      return () => {};
    }
    this.#callbacks.add(callback);
    return () => this.#callbacks.delete(callback);
  }
}
