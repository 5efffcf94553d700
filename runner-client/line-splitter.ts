// `runlog-runner exec`'s reading of a command's output into `log` lines (PROTOCOL §Event
// vocabulary, `log`): a line ends at `\n` (a `\r\n` ending drops its `\r`); a `\r` inside a
// line stays in it, so a progress bar rewritten in place is one line whose last state the
// viewer shows, not one line per frame. Bytes that are not UTF-8 become U+FFFD.
import { StringDecoder } from 'node:string_decoder';
import { safeCut } from '../protocol/ansi-text.js';

export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #maxChars: number;
  readonly #maxJsonBytes: number;
  readonly #onLine: (line: string) => void;
  #pending = '';

  /**
   * `onLine` gets each line; a line longer than `maxChars`, or whose JSON string passes
   * `maxJsonBytes` (control characters take six bytes each there), arrives as several pieces,
   * never cut inside an escape sequence.
   */
  constructor(maxChars: number, maxJsonBytes: number, onLine: (line: string) => void) {
    if (!Number.isInteger(maxChars) || maxChars < 16) throw new TypeError(`Expected \`maxChars\` to be an integer ≥ 16, got ${maxChars}`);
    if (!Number.isInteger(maxJsonBytes) || maxJsonBytes < 6 * maxChars / 4) throw new TypeError(`Expected \`maxJsonBytes\` to be an integer ≥ 1.5 × maxChars, got ${maxJsonBytes}`);
    this.#maxChars = maxChars;
    this.#maxJsonBytes = maxJsonBytes;
    this.#onLine = onLine;
  }

  write(chunk: Buffer | string): void {
    let text = this.#pending + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      this.#emit(text.slice(0, nl > 0 && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl), true);
      text = text.slice(nl + 1);
    }
    // A line without its end yet: send what cannot grow any more, keep the rest.
    this.#pending = this.#emit(text, false);
  }

  /** The output ended: the last line, if it had no `\n`. */
  end(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    if (rest.length > 0) this.#emit(rest, true);
  }

  /** Emits `line` in pieces of at most maxChars; unless `complete`, returns the last piece unsent. */
  #emit(line: string, complete: boolean): string {
    let rest = line;
    while (rest.length > this.#maxChars || (complete && rest.length > 0 && !this.#fits(rest))) {
      let max = this.#maxChars;
      while (max > 16 && !this.#fits(rest.slice(0, max))) max = Math.floor(max / 2);
      const cut = safeCut(rest, max);
      this.#onLine(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    if (!complete) return rest;
    this.#onLine(rest);
    return '';
  }

  /** Short pieces always fit: each character is at most six bytes of JSON, plus two quotes. */
  #fits(piece: string): boolean {
    return piece.length * 6 + 2 <= this.#maxJsonBytes || Buffer.byteLength(JSON.stringify(piece)) <= this.#maxJsonBytes;
  }
}
