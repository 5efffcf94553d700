// Message metadata merging (PROTOCOL §UI messages): each `messageMetadata` a chunk carries is
// deep-merged into the message's, as AI SDK 7.x's `mergeObjects` does — including its edges (a
// primitive met where an object was makes the `in` operator throw, and the chunk is refused).

const isMergeable = (value: unknown): value is Record<string, unknown> =>
  value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof RegExp);

/** A new value: `overrides` deep-merged into `base`; either alone when the other is undefined. */
export function mergeObjects(base: unknown, overrides: unknown): unknown {
  if (base === undefined && overrides === undefined) return undefined;
  if (base === undefined) return overrides;
  if (overrides === undefined) return base;
  const result: Record<string, unknown> = { ...(base as object) };
  for (const key in overrides as object) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    if (!Object.prototype.hasOwnProperty.call(overrides, key)) continue;
    const value = (overrides as Record<string, unknown>)[key];
    if (value === undefined) continue;
    // `in` on a primitive base throws a TypeError, as in the SDK: the caller counts the chunk as malformed.
    const baseValue = key in (base as object) ? (base as Record<string, unknown>)[key] : undefined;
    result[key] = isMergeable(value) && isMergeable(baseValue) ? mergeObjects(baseValue, value) : value;
  }
  return result;
}
