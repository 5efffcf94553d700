// The runner's side of the hash chain (PROTOCOL §Integrity) over spool records. `chainDigest`
// hashes canonical JSON of the parsed event: JSON.parse then canonicalJson cost ~4 µs an event,
// most of the uploader's CPU. A payload is JSON.stringify's text, which differs from canonical
// JSON only in the order of object keys, so the canonical body is built from the payload text
// instead: one scan that reorders members, slices of the text for everything else. Anything
// the scan is not sure of (fractions, exponents, `\u` escapes, escaped keys) goes the long way,
// so the digest is the same either way.
import { chainDigest, EVENT_TYPE_PATTERN } from '../protocol/index.js';
import { nodeSha256Hex } from './node-sha256.js';

/** `d_seq` after `previous`, for the record of `seq` whose payload (wire JSON, as `encodeEvent` wrote it) is `payload`. */
export function chainRecord(previous: string, seq: number, payload: Buffer): string {
  const text = payload.toString('utf8');
  const body = canonicalChainBody(text, seq);
  if (body !== undefined) return nodeSha256Hex(`${previous}\n${body}`);
  const event = JSON.parse(text) as { type: string; data?: unknown; time?: string | null };
  return chainDigest(previous, { seq, type: event.type, data: event.data, time: event.time }, nodeSha256Hex);
}

const TYPE_PREFIX = '{"type":"';
const DATA_KEY = ',"data":';
const TIME_KEY = ',"time":';
/** A JSON string JSON.stringify prints as it is: no quote, backslash or control character inside. */
const PLAIN_TIME = /^"[0-9A-Za-z:.+-]*"$/;
/** Deeper data goes the long way (the server refuses more than 64 levels anyway). */
const MAX_SCAN_DEPTH = 128;

/**
 * `canonicalJson({seq, type, data, time})` of the payload `{"type":…,"data":…,"time":…}`, built
 * from its text; undefined when the scan cannot be sure of it.
 */
export function canonicalChainBody(text: string, seq: number): string | undefined {
  if (!text.startsWith(TYPE_PREFIX)) return undefined;
  const typeEnd = text.indexOf('"', TYPE_PREFIX.length);
  if (typeEnd < 0) return undefined;
  const type = text.slice(TYPE_PREFIX.length, typeEnd);
  // The pattern leaves nothing JSON would escape: `"${type}"` is its JSON.
  if (!EVENT_TYPE_PATTERN.test(type) || !text.startsWith(DATA_KEY, typeEnd + 1)) return undefined;
  const dataStart = typeEnd + 1 + DATA_KEY.length;
  // `time` is the last member; its value is `null` or a plain string, so the last `,"time":` is it.
  const timeAt = text.lastIndexOf(TIME_KEY);
  if (timeAt < dataStart || text.charCodeAt(text.length - 1) !== 0x7d) return undefined;
  const time = text.slice(timeAt + TIME_KEY.length, text.length - 1);
  if (time !== 'null' && !PLAIN_TIME.test(time)) return undefined;
  const data = canonicalJsonText(text, dataStart, timeAt);
  if (data === undefined) return undefined;
  // canonicalJson's key order: data, seq, time, type.
  return `{"data":${data},"seq":${seq},"time":${time},"type":"${type}"}`;
}

let at = 0;
let src = '';
/** Containers built anew so far (not sliced from the text): tells a container whether its members changed. */
let rebuilt = 0;

/**
 * canonicalJson of the JSON value that is exactly `text[start…end)`, built from the text (object
 * members sorted by key, every other token as it is), or undefined when unsure. Conservative:
 * integers of up to 15 digits only (they print back unchanged), strings without `\u` escapes,
 * keys without any escape, no duplicate keys, no spaces (JSON.stringify prints none).
 */
export function canonicalJsonText(text: string, start = 0, end = text.length): string | undefined {
  src = text;
  at = start;
  const out = scanValue(0);
  src = '';
  return at === end ? out : undefined;
}

function scanValue(depth: number): string | undefined {
  const c = src.charCodeAt(at);
  const start = at;
  if (c === 0x22) return scanString(false) ? src.slice(start, at) : undefined;
  if (c === 0x7b) return depth < MAX_SCAN_DEPTH ? scanObject(depth + 1) : undefined;
  if (c === 0x5b) return depth < MAX_SCAN_DEPTH ? scanArray(depth + 1) : undefined;
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanInteger() ? src.slice(start, at) : undefined;
  for (const literal of LITERALS) {
    if (src.startsWith(literal, at)) {
      at += literal.length;
      return literal;
    }
  }
  return undefined;
}

const LITERALS = ['true', 'false', 'null'] as const;

function scanObject(depth: number): string | undefined {
  const start = at;
  at++; // {
  if (src.charCodeAt(at) === 0x7d) {
    at++;
    return '{}';
  }
  const keys: string[] = [];
  const values: string[] = [];
  const rebuiltBefore = rebuilt;
  let sorted = true;
  for (;;) {
    const keyStart = at + 1;
    if (src.charCodeAt(at) !== 0x22 || !scanString(true)) return undefined;
    const key = src.slice(keyStart, at - 1);
    if (keys.length > 0 && !(keys[keys.length - 1]! < key)) sorted = false;
    if (src.charCodeAt(at) !== 0x3a) return undefined;
    at++;
    const value = scanValue(depth);
    if (value === undefined) return undefined;
    keys.push(key);
    values.push(value);
    const c = src.charCodeAt(at++);
    if (c === 0x7d) break;
    if (c !== 0x2c) return undefined;
  }
  // Already canonical (the values too): the text itself.
  if (sorted && rebuilt === rebuiltBefore) return src.slice(start, at);
  rebuilt++;
  // UTF-16 code unit order, as canonicalJson sorts (a key here has no escapes: its text is its value).
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  let out = '{';
  for (let i = 0; i < order.length; i++) {
    const k = order[i]!;
    // A duplicate key: JSON.parse keeps the last; leave that to the long way.
    if (i > 0 && keys[order[i - 1]!] === keys[k]) return undefined;
    out += `${i > 0 ? ',' : ''}"${keys[k]!}":${values[k]!}`;
  }
  return `${out}}`;
}

function scanArray(depth: number): string | undefined {
  const start = at;
  at++; // [
  if (src.charCodeAt(at) === 0x5d) {
    at++;
    return '[]';
  }
  const values: string[] = [];
  const rebuiltBefore = rebuilt;
  for (;;) {
    const value = scanValue(depth);
    if (value === undefined) return undefined;
    values.push(value);
    const c = src.charCodeAt(at++);
    if (c === 0x5d) break;
    if (c !== 0x2c) return undefined;
  }
  if (rebuilt === rebuiltBefore) return src.slice(start, at);
  rebuilt++;
  return `[${values.join(',')}]`;
}
/** A string JSON.stringify would print the same: escapes only `\" \\ \b \f \n \r \t` (none at all in a key). */
function scanString(key: boolean): boolean {
  at++; // "
  for (;;) {
    const c = src.charCodeAt(at++);
    if (Number.isNaN(c) || c < 0x20) return false;
    if (c === 0x22) return true;
    if (c === 0x5c) {
      if (key) return false;
      const e = src.charCodeAt(at++);
      if (e !== 0x22 && e !== 0x5c && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return false;
    }
  }
}

/** `0` or `-?[1-9][0-9]{0,14}`: an integer whose text Number::toString prints back unchanged (not `-0`). */
function scanInteger(): boolean {
  let i = at;
  if (src.charCodeAt(i) === 0x2d) i++;
  const first = src.charCodeAt(i);
  if (first === 0x30) {
    if (i !== at) return false; // -0 prints as 0
    at = i + 1;
    return !isNumberChar(src.charCodeAt(at));
  }
  if (!(first >= 0x31 && first <= 0x39)) return false;
  const digitsStart = i;
  while (src.charCodeAt(i) >= 0x30 && src.charCodeAt(i) <= 0x39) i++;
  if (i - digitsStart > 15) return false;
  at = i;
  return !isNumberChar(src.charCodeAt(at));
}

/** A fraction or exponent follows: not an integer, let the long way print it. */
function isNumberChar(c: number): boolean {
  return c === 0x2e || c === 0x65 || c === 0x45 || (c >= 0x30 && c <= 0x39);
}
