// Counts and checks SSE event frames straight from the response bytes, for load processes that
// must keep up with hundreds of thousands of frames a second: no decoding to strings, no frame
// objects — `Buffer.indexOf` finds each `\nid: ` and the digits after it are read in place.
// A token split between two reads is finished from a small carry buffer.

const ID = Buffer.from('\nid: ');
const END = Buffer.from('event: end');
/** The bench's events carry their emit time first in `data`: `"data":{"t":<µs>`. */
const STAMP = Buffer.from('"data":{"t":');
const NL = 10;
const EMPTY = Buffer.alloc(0);

export class SseIdScanner {
  /** The seq the next event frame must carry. */
  next: number;
  events = 0;
  /** False once a frame came out of order (the id is not `next`). */
  inOrder = true;
  ended = false;
  /** Emit-to-receipt delays in µs, when stamps are read. */
  readonly delaysUs: number[] = [];
  readonly #readStamps: boolean;
  #carry: Buffer = EMPTY;

  constructor(after: number, readStamps = false) {
    this.next = after + 1;
    this.#readStamps = readStamps;
  }

  get lastSeq(): number {
    return this.next - 1;
  }

  /** Takes the next bytes of the body; `nowUs` is the receipt time for stamps. */
  push(chunk: Buffer, nowUs = 0): void {
    const carry = this.#carry;
    this.#carry = EMPTY;
    // The carry never holds a whole token, so scanning it joined to what follows counts nothing twice.
    if (carry.length > 0 && chunk.length <= 256) return this.#scan(Buffer.concat([carry, chunk]), nowUs);
    if (carry.length > 0) {
      // Only the seam needs joining: a few dozen bytes copied, not the whole chunk.
      const seam = Buffer.concat([carry, chunk.subarray(0, 64)]);
      if (!this.ended && seam.indexOf(END) >= 0) this.ended = true;
      const at = seam.indexOf(ID);
      if (at >= 0 && at < carry.length) {
        const end = this.#readId(seam, at, nowUs);
        if (end >= 0) return this.#scan(chunk.subarray(end - carry.length), nowUs);
      }
    }
    this.#scan(chunk, nowUs);
  }

  #scan(buf: Buffer, nowUs: number): void {
    let pos = 0;
    for (;;) {
      const at = buf.indexOf(ID, pos);
      if (at < 0) break;
      const end = this.#readId(buf, at, nowUs);
      if (end < 0) {
        this.#carry = Buffer.from(buf.subarray(at));
        return;
      }
      pos = end;
    }
    if (!this.ended && buf.indexOf(END, Math.max(0, pos - 1)) >= 0) this.ended = true;
    // Keep the last bytes: `\nid: ` or `event: end` may begin in them.
    this.#carry = Buffer.from(buf.subarray(Math.max(pos, buf.length - (END.length - 1))));
  }

  /** Parses the id at `at`; returns the index after its newline, or -1 when cut short. */
  #readId(buf: Buffer, at: number, nowUs: number): number {
    let i = at + ID.length;
    let value = 0;
    for (; i < buf.length; i++) {
      const c = buf[i]!;
      if (c === NL) break;
      value = value * 10 + (c - 48);
    }
    if (i >= buf.length) return -1;
    if (value !== this.next) this.inOrder = false;
    this.next = value + 1;
    this.events++;
    if (this.#readStamps) {
      const s = buf.indexOf(STAMP, i);
      if (s >= 0 && s < i + 200) {
        let t = 0;
        let j = s + STAMP.length;
        for (; j < buf.length; j++) {
          const c = buf[j]!;
          if (c < 48 || c > 57) break;
          t = t * 10 + (c - 48);
        }
        if (j < buf.length) this.delaysUs.push(nowUs - t);
      }
    }
    return i + 1;
  }
}

/** Monotonic microseconds, the same clock in every process on the machine (CLOCK_MONOTONIC). */
export function monoUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
