// The body of a JSON read's answer (PROTOCOL §Read the log: JSON), encoded once for every
// long-poll of one build at one position. The long-polls a commit wakes all ask for the same
// page: each one walked the tail cache, decoded every event's JSON from the frame bytes and
// encoded the whole answer again, 1 000 times for 1 000 polls.
import type { EventPage, JsonPage, PageBounds } from '../log/event-json.js';
import type { LogEngine } from '../log/log-engine.js';

/** A page of events and the whole answer that carries it. */
export interface JsonAnswer extends EventPage {
  readonly body: Uint8Array<ArrayBuffer>;
}

/** What an answer says besides its events. */
interface AnswerTail {
  readonly ack: number;
  readonly final: number | null;
  readonly next: number;
}

/** The answer's bytes: the parts go straight into one buffer (joined first, they were three fresh copies of megabytes). */
export function answerBody(parts: readonly string[], tail: AnswerTail): Uint8Array<ArrayBuffer> {
  const texts = ['{"events":[', ...parts.flatMap((part, i) => (i === 0 ? [part] : [',', part])), `],"ack":${tail.ack},"final":${tail.final ?? 'null'},"next":${tail.next}}`];
  let length = 0;
  for (const text of texts) length += Buffer.byteLength(text);
  const bytes = Buffer.allocUnsafe(length);
  let at = 0;
  for (const text of texts) at += bytes.write(text, at);
  // allocUnsafe's memory is an ArrayBuffer (its pool or its own), never a SharedArrayBuffer.
  return bytes as Uint8Array<ArrayBuffer>;
}

/**
 * Answers kept, and the largest body kept: at most 4 MiB. A live edge's page is a commit or a
 * few; a catch-up page is read once by its reader, and shared only while it is being read.
 */
const KEPT_ANSWERS = 64;
const KEPT_BODY_BYTES = 64 * 1024;

export class JsonAnswers {
  readonly #engine: LogEngine;
  /** By read; Map order is age. Promises, so that polls asking meanwhile share the read. */
  readonly #recent = new Map<string, Promise<JsonAnswer>>();

  constructor(engine: LogEngine) {
    this.#engine = engine;
  }

  /** Answers kept, for the tests that bound them. */
  get size(): number {
    return this.#recent.size;
  }

  /**
   * Events `(after, upTo]` of the build within `bounds`, with the answer reporting `upTo` as its
   * ack. The generation is part of the key: a build deleted and created again under its id
   * starts a new log.
   */
  read(buildId: string, generation: string, after: number, upTo: number, final: number | null, bounds: PageBounds): Promise<JsonAnswer> {
    const key = `${buildId}\n${generation}\n${after}\n${upTo}\n${final}\n${bounds.limit}\n${bounds.maxBytes}`;
    const kept = this.#recent.get(key);
    if (kept) return kept;
    const answer = this.#engine.readJson(buildId, after, upTo, bounds).then((page: JsonPage): JsonAnswer => {
      return { last: page.last, count: page.count, body: answerBody(page.parts, { ack: upTo, final, next: page.last }) };
    });
    this.#recent.set(key, answer);
    const forget = () => {
      if (this.#recent.get(key) === answer) this.#recent.delete(key);
    };
    answer.then((a) => a.body.length > KEPT_BODY_BYTES && forget(), forget);
    if (this.#recent.size > KEPT_ANSWERS) this.#recent.delete(this.#recent.keys().next().value!);
    return answer;
  }
}
