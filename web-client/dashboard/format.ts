// Formatting for the dashboard: durations, ages, counts and event data as pretty JSON.

/** `0.4 s`, `12 s`, `2 min 05 s`, `1 h 02 min`; negative or unknown → `—`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** Coarse age for lists: `12 s`, `5 min`, `3 h`, `2 d` (with `suffix`, e.g. ` ago`). */
export function formatAge(iso: string | null | undefined, now: number, suffix = ''): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '—';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 60) return `${s} s${suffix}`;
  if (s < 3600) return `${Math.floor(s / 60)} min${suffix}`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h${suffix}`;
  return `${Math.floor(s / 86400)} d${suffix}`;
}

/** Milliseconds between two ISO times, or from `from` to `now` when `to` is absent. */
export function elapsedMs(from: string | null, to: string | null, now: number): number | undefined {
  const start = from ? Date.parse(from) : NaN;
  if (!Number.isFinite(start)) return undefined;
  const end = to ? Date.parse(to) : now;
  return Number.isFinite(end) ? end - start : undefined;
}

const numberFormat = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return numberFormat.format(n);
}

/** Characters of pretty JSON shown for one value; the rest is cut with a note. */
export const MAX_JSON_CHARS = 20_000;

/** Pretty JSON for display (strings shown as they are), cut at `max` characters. */
export function prettyJson(value: unknown, max = MAX_JSON_CHARS): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value, null, 2) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max)}\n… (${formatCount(text.length - max)} more characters)` : text;
}

/** Local time of day for a timestamp, `—` when absent. */
export function formatClock(iso: string | null): string {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? new Date(t).toLocaleTimeString('en-GB') : '—';
}

/** One short line from the build's meta: its name or title, else its first string values. */
export function describeMeta(meta: Record<string, unknown>): string {
  for (const key of ['name', 'title', 'description']) if (typeof meta[key] === 'string') return meta[key];
  return Object.entries(meta)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
    .slice(0, 2)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(' · ');
}
