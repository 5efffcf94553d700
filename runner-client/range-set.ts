// A set of seqs as sorted, disjoint, inclusive [from, to] ranges. The uploader keeps the seqs
// it has in flight or knows the server stores in one; everything else above the ack is to send.

export class RangeSet {
  #ranges: Array<[number, number]> = [];

  /** The ranges, sorted; for tests and stats. */
  ranges(): ReadonlyArray<readonly [number, number]> {
    return this.#ranges;
  }

  add(from: number, to: number): void {
    if (to < from) return;
    const out: Array<[number, number]> = [];
    let a = from;
    let b = to;
    for (const [x, y] of this.#ranges) {
      if (y + 1 < a || x > b + 1) out.push([x, y]);
      else {
        a = Math.min(a, x);
        b = Math.max(b, y);
      }
    }
    out.push([a, b]);
    out.sort((p, q) => p[0] - q[0]);
    this.#ranges = out;
  }

  remove(from: number, to: number): void {
    if (to < from) return;
    const out: Array<[number, number]> = [];
    for (const [x, y] of this.#ranges) {
      if (y < from || x > to) {
        out.push([x, y]);
        continue;
      }
      if (x < from) out.push([x, from - 1]);
      if (y > to) out.push([to + 1, y]);
    }
    this.#ranges = out;
  }

  /** Forgets every seq ≤ `seq`. */
  removeThrough(seq: number): void {
    this.remove(Number.NEGATIVE_INFINITY, seq);
  }

  has(seq: number): boolean {
    return this.#ranges.some(([x, y]) => x <= seq && seq <= y);
  }

  /** The lowest seq in [from, to] that is not in the set. */
  firstMissing(from: number, to: number): number | undefined {
    let seq = from;
    for (const [x, y] of this.#ranges) {
      if (y < seq) continue;
      if (x > seq) break;
      seq = y + 1;
    }
    return seq <= to ? seq : undefined;
  }

  /** The lowest seq in the set above `seq`, or +∞. */
  nextAbove(seq: number): number {
    for (const [x, y] of this.#ranges) {
      if (y <= seq) continue;
      return Math.max(x, seq + 1);
    }
    return Number.POSITIVE_INFINITY;
  }

  clear(): void {
    this.#ranges = [];
  }
}
