// The wire forms of committed events (PROTOCOL §Read, `Event`; §SSE frames), and the pages
// readers get them in. An event's JSON is built by splicing the stored `data` text, never by
// parsing and re-serialising it; SSE frames of newly committed events are encoded to bytes once,
// and those same bytes go to every viewer (ARCHITECTURE §Cursor).
import { formatSseFrame } from '../../protocol/sse-frames.js';
import type { StoredEvent } from './append-plan.js';

/** Events `(after, last]` of one build, rendered for one kind of reader. */
export interface EventPage {
  /** The seq of the page's last event (the `after` it was read from when empty). */
  readonly last: number;
  readonly count: number;
}

/** SSE frames: bytes ready for the socket, possibly shared with other readers (never modify). */
export interface FramePage extends EventPage {
  readonly chunks: readonly Uint8Array[];
  /** When the newest of these events was committed here, for frames from the tail cache (delivery latency). */
  readonly committedAtMs?: number | undefined;
}

/**
 * The events' `Event` JSON in consecutive parts, each one or more events joined by commas:
 * joined by commas again, what goes between `[` and `]`. Kept apart so that a page of megabytes
 * is never one string (see PART_BYTES in `kysely-page-read.ts`).
 */
export interface JsonPage extends EventPage {
  readonly parts: readonly string[];
}

/** How much one read may bring into memory: at most `limit` events and about `maxBytes` of data. */
export interface PageBounds {
  readonly limit: number;
  /** Data bytes; the page stops at the first event that reaches it (so it holds at least one). */
  readonly maxBytes: number;
}

export function eventJson(e: StoredEvent): string {
  return `{"seq":${e.seq},"type":${JSON.stringify(e.type)},"data":${e.data}${eventJsonTail(e.time, e.receivedAt.toISOString())}`;
}

/**
 * What follows `data` in an event's JSON: the events table stores it (`json_tail`) at commit,
 * so a page read joins stored text instead of formatting two values per row (the formatting
 * was most of the database's time per catch-up page).
 */
export function eventJsonTail(time: string | null, receivedAtIso: string): string {
  return `,"time":${time === null ? 'null' : JSON.stringify(time)},"receivedAt":"${receivedAtIso}"}`;
}

export function eventFrame(seq: number, json: string): string {
  return formatSseFrame({ id: seq, data: json });
}

/**
 * The SSE frames of consecutive events, encoded once: one buffer and where each frame starts,
 * so any run of them is a zero-copy slice. The tail cache keeps these.
 */
export interface FrameSegment {
  readonly first: number;
  readonly last: number;
  readonly bytes: Buffer;
  /** `offsets[i]` is where the frame of seq `first + i` starts; `offsets[n]` is the end. */
  readonly offsets: Uint32Array;
  /** When the segment's events were committed (its encoding follows the commit at once). */
  readonly committedAtMs: number;
}

/** Counts frame encodings (metrics, and the tests that prove one encoding per event serves every viewer). */
export const frameEncodings = { count: 0 };

export function frameSegment(events: readonly StoredEvent[]): FrameSegment {
  const frames = events.map((e) => eventFrame(e.seq, eventJson(e)));
  const offsets = new Uint32Array(frames.length + 1);
  let total = 0;
  for (let i = 0; i < frames.length; i++) {
    offsets[i] = total;
    total += Buffer.byteLength(frames[i]!, 'utf8');
  }
  offsets[frames.length] = total;
  const bytes = Buffer.allocUnsafeSlow(total);
  for (let i = 0; i < frames.length; i++) bytes.write(frames[i]!, offsets[i]!, 'utf8');
  frameEncodings.count += frames.length;
  return { first: events[0]!.seq, last: events.at(-1)!.seq, bytes, offsets, committedAtMs: Date.now() };
}

/** The `Event` JSON of seq `seq` inside a segment (the frame minus `id:`/`data: ` and the blank line). */
export function jsonInSegment(segment: FrameSegment, seq: number): string {
  const i = seq - segment.first;
  const frame = segment.bytes.toString('utf8', segment.offsets[i]!, segment.offsets[i + 1]!);
  return frame.slice(frame.indexOf('\ndata: ') + 7, -2);
}
