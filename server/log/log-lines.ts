// PROTOCOL §Log lines: numbering a build's committed `log` events as lines 1, 2, 3, … with the
// reducer's rule (protocol/log-line.ts), and the text each line is searched by.
import { visibleText } from '../../protocol/ansi-text.js';
import { LOG_EVENT_TYPE, logLineOf } from '../../protocol/log-line.js';
import type { StoredEvent } from './append-plan.js';

/** One row of the line index. */
export interface LineRow {
  readonly n: number;
  readonly seq: number;
  /** What the line shows, for search. */
  readonly text: string;
  /** Bytes of the event's stored data. */
  readonly bytes: number;
}

/** The lines among `events` (ascending seqs, all committed), numbered after `count` lines. */
export function numberLines(events: readonly StoredEvent[], count: number): LineRow[] {
  const rows: LineRow[] = [];
  for (const event of events) {
    if (event.type !== LOG_EVENT_TYPE) continue;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      continue; // stored data is always JSON; a reader must still never throw on it
    }
    const line = logLineOf(data);
    if (line === undefined) continue;
    rows.push({ n: count + rows.length + 1, seq: event.seq, text: visibleText(line.line), bytes: Buffer.byteLength(event.data) });
  }
  return rows;
}
