// Durations as operators write them in the environment (RUNLOG_RETENTION=30d): a whole number
// and one unit. Kept to five units so a typo (`30D`, `1w`, `5min`) is refused, not guessed.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds, or an error sentence saying what is wrong with `text`. */
export function parseDuration(text: string): { ok: true; ms: number } | { ok: false; problem: string } {
  const match = /^(\d+)([a-zA-Z]*)$/.exec(text.trim());
  if (match === null) return { ok: false, problem: 'must be a duration: a whole number and a unit, like 30d, 12h, 10m, 90s or 500ms' };
  const [, digits, unit] = match as unknown as [string, string, string];
  if (unit === '') return { ok: false, problem: 'has no unit: write ms, s, m, h or d after the number (30d, 12h, 90s)' };
  if (!Object.hasOwn(UNIT_MS, unit)) return { ok: false, problem: `has an unknown unit "${unit}": use ms, s, m, h or d` };
  const ms = Number(digits) * UNIT_MS[unit as keyof typeof UNIT_MS];
  if (!Number.isSafeInteger(ms) || ms <= 0) return { ok: false, problem: 'must be more than zero and at most 2^53 ms' };
  return { ok: true, ms };
}

/** `30d`, `12h`, `90s`: the largest unit that divides `ms`, for messages and logs. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of Object.entries(UNIT_MS).reverse()) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
