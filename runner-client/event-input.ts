// Turns `emit(type, data)` into the event's wire JSON, refusing what the server would refuse
// (PROTOCOL §Identifiers and limits). A refused event never reaches the spool: one bad record
// there would make every later upload a 400 and stop the runner.
import { EVENT_TYPE_PATTERN, EventTimeSchema } from '../protocol/index.js';
import { InvalidEventError } from './errors.js';

export interface EventLimits {
  readonly maxEventDataBytes: number;
  readonly maxEventDataDepth: number;
}

/** The runner's clock as the event's `time`, a given ISO 8601 string or Date, or none. */
export type EventTime = string | Date | null | undefined;

/**
 * The wire JSON prefix `{"type":"<type>","data":` of the last type that passed the pattern: a
 * build emits a handful of types over and over, so the check and the quoting run once per change
 * of type, not once per event.
 */
let lastType: string | undefined;
let lastTypePrefix = '';
/** The last `time` and its JSON: every event of one millisecond carries the same stamp. */
let lastTime: string | undefined;
let lastTimeJson = '';

/** `{"type":…,"data":…,"time":…}`: exactly what the batch body carries (the spool encodes it). */
export function encodeEvent(type: string, data: unknown, time: string | null, limits: EventLimits): string {
  // Only a type that passed is ever kept, so `type === lastType` means this one passes too.
  if (lastType === undefined || type !== lastType) {
    if (typeof type !== 'string' || !EVENT_TYPE_PATTERN.test(type)) {
      throw new InvalidEventError(`Event type ${JSON.stringify(type)} does not match ${EVENT_TYPE_PATTERN.source}`);
    }
    lastType = type;
    lastTypePrefix = `{"type":${JSON.stringify(type)},"data":`;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(data ?? null);
  } catch (cause) {
    throw new InvalidEventError(`The data of a ${type} event is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (json === undefined) throw new InvalidEventError(`The data of a ${type} event is a ${typeof data}, which has no JSON form`);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: text that short cannot be over the limit, and
  // its bytes need not be counted (most events; the spool counts the record's bytes anyway).
  if (json.length * 3 > limits.maxEventDataBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > limits.maxEventDataBytes) {
      throw new InvalidEventError(`The data of a ${type} event is ${bytes} bytes serialized; the limit is ${limits.maxEventDataBytes}`);
    }
  }
  // Depth needs an opening bracket per level, and `[]` per level is two characters: shorter text cannot be too deep.
  if (json.length >= 2 * limits.maxEventDataDepth && jsonTextDepth(json) > limits.maxEventDataDepth) {
    throw new InvalidEventError(`The data of a ${type} event is nested deeper than ${limits.maxEventDataDepth} levels`);
  }
  let timeJson: string;
  if (time === null) timeJson = 'null';
  else if (time === lastTime) timeJson = lastTimeJson;
  else timeJson = lastTimeJson = JSON.stringify((lastTime = time));
  return `${lastTypePrefix}${json},"time":${timeJson}}`;
}

let stampMs = NaN;
let stampText = '';

/** Now as ISO 8601, formatted once per millisecond: a busy emitter stamps hundreds of events in each. */
function nowStamp(): string {
  const ms = Date.now();
  if (ms !== stampMs) {
    stampMs = ms;
    stampText = new Date(ms).toISOString();
  }
  return stampText;
}

/** The `time` to send: stamped now, taken from the caller, or null. */
export function eventTime(time: EventTime, stamp: boolean): string | null {
  if (time === undefined) return stamp ? nowStamp() : null;
  if (time === null) return null;
  if (time instanceof Date) {
    if (Number.isNaN(time.getTime())) throw new InvalidEventError('The event time is an invalid Date');
    return time.toISOString();
  }
  if (!EventTimeSchema.safeParse(time).success) throw new InvalidEventError(`The event time ${JSON.stringify(time)} is not an ISO 8601 date-time with offset`);
  return time;
}

/**
 * Nesting depth of JSON text, counted as the server counts it on the parsed value (a scalar
 * is 0, `[]` and `{}` are 1). A scan of the text: no recursion, no second parse.
 */
export function jsonTextDepth(json: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}
