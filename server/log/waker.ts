// A sleep that something else can cut short: readers sleep until a notice wakes them, a
// timeout passes, or their request is aborted — whichever comes first.
//
// Wakes are not run where they are asked for: they queue, and run WAKE_GROUP per turn of the
// event loop. A commit seen by thousands of viewers thus never runs as one unbroken stretch of
// reads and writes: appends, their answers and other requests get the loop between groups, and
// the commit's own appends are answered before the first group runs (they were answered first).

/** Sleepers woken per turn of the event loop. */
export const WAKE_GROUP = 64;

const queue: Array<(() => void) | undefined> = [];
let head = 0;
let scheduled = false;

function runGroup(): void {
  const end = Math.min(queue.length, head + WAKE_GROUP);
  for (; head < end; head++) {
    const wake = queue[head]!;
    queue[head] = undefined;
    wake();
  }
  if (head < queue.length) {
    setImmediate(runGroup);
  } else {
    queue.length = 0;
    head = 0;
    scheduled = false;
  }
}

function scheduleWake(wake: () => void): void {
  queue.push(wake);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runGroup);
  }
}

export class Waker {
  #wake: (() => void) | undefined;

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }

  /**
   * Ends the current sleep, if any, now: for a close (the client gone, the server stopping), which
   * must end a stream in the same turn, as an aborted signal did, not behind a fan-out's groups.
   */
  wakeNow(): void {
    const done = this.#wake;
    this.#wake = undefined;
    done?.();
  }

  /** Ends the current sleep, if any, in a coming turn of the event loop (a group at a time). */
  wake(): void {
    const done = this.#wake;
    if (done === undefined) return;
    this.#wake = undefined;
    scheduleWake(done);
  }
}
