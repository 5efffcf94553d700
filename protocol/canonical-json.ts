// RFC 8785 (JCS) canonical JSON: the one byte form of a value that the hash chain and the
// duplicate check compare (PROTOCOL §Integrity, §Append rule 1).

/**
 * Serialises `value` as RFC 8785 canonical JSON: object keys sorted by UTF-16 code
 * units, no whitespace, numbers and strings exactly as `JSON.stringify` prints them.
 *
 * Follows `JSON.stringify` for everything parsed JSON cannot contain: `toJSON` is
 * honoured, `undefined`/functions/symbols are omitted as object members and become
 * `null` in arrays, boxed primitives are unwrapped.
 *
 * @throws TypeError for non-finite numbers, bigints, cycles, and a top-level value
 *   that has no JSON form (`undefined`, a function, a symbol).
 */
export function canonicalJson(value: unknown): string {
  const out = serialize(value, '', []);
  if (out === undefined) {
    throw new TypeError(`canonicalJson: a top-level ${typeof value} has no JSON form`);
  }
  return out;
}

// Recursive: data depth is capped at 64 levels (PROTOCOL §Identifiers and limits), far
// below any engine's stack limit. `ancestors` holds the open containers to catch cycles,
// which would otherwise end in a RangeError deep in the stack.
function serialize(input: unknown, key: string, ancestors: object[]): string | undefined {
  let value = input;
  if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = toJSON.call(value, key) as unknown;
  }
  switch (typeof value) {
    case 'string':
      // JSON.stringify already escapes exactly as JCS requires (ES2019 well-formed
      // stringify: lone surrogates become \udXXX escapes).
      return JSON.stringify(value);
    case 'number':
      return serializeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: a bigint has no JSON form');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (object instanceof Number) return serializeNumber(object.valueOf());
  if (object instanceof String) return JSON.stringify(object.valueOf());
  if (object instanceof Boolean) return object.valueOf() ? 'true' : 'false';
  if (ancestors.includes(object)) throw new TypeError('canonicalJson: cyclic structure');
  ancestors.push(object);
  let out: string;
  if (Array.isArray(object)) {
    const parts: string[] = [];
    for (let i = 0; i < object.length; i++) {
      parts.push(serialize(object[i] as unknown, String(i), ancestors) ?? 'null');
    }
    out = `[${parts.join(',')}]`;
  } else {
    const record = object as Record<string, unknown>;
    // Array.prototype.sort without a comparator orders strings by UTF-16 code units,
    // which is exactly JCS §3.2.3 (not code points: U+1F600 sorts before U+FB33).
    const keys = Object.keys(record).sort();
    const parts: string[] = [];
    for (const k of keys) {
      const member = serialize(record[k], k, ancestors);
      if (member !== undefined) parts.push(`${JSON.stringify(k)}:${member}`);
    }
    out = `{${parts.join(',')}}`;
  }
  ancestors.pop();
  return out;
}

function serializeNumber(n: number): string {
  // JSON.stringify would print null; a digest over "null" would silently equal one
  // over a real null, so refuse instead.
  if (!Number.isFinite(n)) throw new TypeError(`canonicalJson: ${n} has no JSON form`);
  // ECMAScript Number::toString is JCS's number form; JSON.stringify(-0) is "0" as JCS wants.
  return JSON.stringify(n);
}
