// The wire form of a committed event (PROTOCOL §Read, `Event`), built once per event by string
// splicing: `data` is stored as JSON text, so it is never parsed or re-serialized on the read path.
import type { StoredEvent } from './append-plan.js';

/** A committed event ready to send: its seq and its `Event` JSON. */
export interface EventRecord {
  readonly seq: number;
  readonly json: string;
  /** Commit time, ms since the epoch: delivery latency is measured from it. */
  readonly receivedAtMs?: number;
}

export function toEventRecord(e: StoredEvent): EventRecord {
  const time = e.time === null ? 'null' : JSON.stringify(e.time);
  return {
    seq: e.seq,
    receivedAtMs: e.receivedAt.getTime(),
    json: `{"seq":${e.seq},"type":${JSON.stringify(e.type)},"data":${e.data},"time":${time},"receivedAt":"${e.receivedAt.toISOString()}"}`,
  };
}
