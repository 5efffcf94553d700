// A commit writes its rows as one array parameter a column (`unnest`). Given a JS array, pg
// builds an array literal: every element escaped with two regex passes and appended to a
// growing string, which pg then flattens and measures again — the event data column alone is
// hundreds of KB of string per group, allocated fresh each time (17 % of the server's CPU under
// ingest, 20 % while 100 KB events were written). Marked with `textArray`/`bigintArray`, the
// column goes to PostgreSQL in its binary array format instead: lengths and bytes, no escaping
// and no string at all (pg asks a parameter object for its `toPostgres()` form, and sends a
// Buffer as a binary parameter). PGlite, in this process, is handed the plain array as before.
import { sql, type RawBuilder } from 'kysely';

type Element = 'text' | 'int8';
const ELEMENT_OID: Record<Element, number> = { text: 25, int8: 20 };

/** A column's values, to be sent as a one-dimensional array of `element`. */
export class ColumnArray {
  constructor(
    readonly element: Element,
    readonly values: readonly (string | null)[] | readonly (number | null)[],
  ) {}

  /** pg's hook for a parameter object: the binary array, which pg sends in binary format. */
  toPostgres(): Buffer {
    return binaryArray(this);
  }
}

/** `$n::text[]`, sent in binary to PostgreSQL. */
export function textArray(values: readonly (string | null)[]): RawBuilder<string[]> {
  return sql`${new ColumnArray('text', values)}::text[]`;
}

/** `$n::bigint[]`, sent in binary to PostgreSQL; the values must be safe integers. */
export function bigintArray(values: readonly (number | null)[]): RawBuilder<number[]> {
  return sql`${new ColumnArray('int8', values)}::bigint[]`;
}

const HEADER_BYTES = 20;

/** PostgreSQL's binary array format (`array_recv`): one dimension, lower bound 1. */
export function binaryArray(column: ColumnArray): Buffer {
  const { values } = column;
  const n = values.length;
  const text = column.element === 'text';
  const lengths = new Int32Array(n);
  let size = HEADER_BYTES;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      lengths[i] = -1;
      nulls = 1;
      size += 4;
      continue;
    }
    if (text) {
      if (typeof value !== 'string') throw new TypeError(`textArray: element ${i} is a ${typeof value}, not a string`);
      lengths[i] = Buffer.byteLength(value, 'utf8');
    } else {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`bigintArray: element ${i} (${String(value)}) is not a safe integer`);
      lengths[i] = 8;
    }
    size += 4 + lengths[i]!;
  }
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(nulls, 4);
  out.writeInt32BE(ELEMENT_OID[column.element], 8);
  out.writeInt32BE(n, 12);
  out.writeInt32BE(1, 16);
  let at = HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const length = lengths[i]!;
    out.writeInt32BE(length, at);
    at += 4;
    if (length < 0) continue;
    if (text) {
      out.write(values[i] as string, at, length, 'utf8');
    } else {
      // Two's complement in two halves: exact for every safe integer, negative ones too.
      const value = values[i] as number;
      out.writeInt32BE(Math.floor(value / 2 ** 32), at);
      out.writeUInt32BE(value >>> 0, at + 4);
    }
    at += length;
  }
  return out;
}

/** The query's values with each ColumnArray as its plain array (PGlite encodes arrays itself). */
export function withPlainArrays(values: readonly unknown[]): unknown[] {
  let replaced: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!(value instanceof ColumnArray)) continue;
    replaced ??= values.slice();
    replaced[i] = value.values;
  }
  return replaced ?? (values as unknown[]);
}
