// A build's runner in words a person understands (PROTOCOL §Runner presence): live, how far
// behind, how long it has been quiet and since when, or finished. Pure: the caller passes the
// time, so a page re-renders it every second and the silence grows without a new report.
import { RUNNER_SILENT_AFTER_INTERVALS } from '../protocol/limits.js';
import type { RunnerPresence } from '../protocol/wire-types.js';

/**
 * - `waiting` — no report yet (the runner has not made contact);
 * - `live` — heard from recently, nothing held back;
 * - `behind` — heard from recently, holding events the server does not have yet;
 * - `silent` — no word for more than RUNNER_SILENT_AFTER_INTERVALS of its intervals: it lost
 *   the network, or it is gone;
 * - `finished` — the build is complete.
 */
export type RunnerPresenceKind = 'waiting' | 'live' | 'behind' | 'silent' | 'finished';

export interface RunnerDescription {
  readonly kind: RunnerPresenceKind;
  /** "runner live", "runner 340 events behind", "no word from the runner for 2 min 10 s (last seen 12:03:17)", "runner finished". */
  readonly text: string;
  /** Milliseconds since the runner's last word, when there was one. */
  readonly quietMs: number | undefined;
}

/** The runner is silent when it has said nothing for longer than this (its own interval times three). */
export function silentAfterMs(runner: Pick<RunnerPresence, 'intervalMs'>): number {
  return RUNNER_SILENT_AFTER_INTERVALS * runner.intervalMs;
}

/**
 * Describes a build's runner at `now`. `complete` is the build's status (a finished build's
 * runner is finished, whatever it last said).
 */
export function describeRunner(build: { readonly complete: boolean; readonly runner: RunnerPresence | null }, now: number = Date.now()): RunnerDescription {
  const { runner } = build;
  const seenAt = runner === null ? NaN : Date.parse(runner.lastSeenAt);
  // A browser clock a little behind the server's must not show a negative silence.
  const quietMs = Number.isFinite(seenAt) ? Math.max(0, now - seenAt) : undefined;
  if (build.complete) return { kind: 'finished', text: 'runner finished', quietMs };
  if (runner === null || quietMs === undefined) return { kind: 'waiting', text: 'no word from the runner yet', quietMs: undefined };
  if (quietMs > silentAfterMs(runner)) {
    return { kind: 'silent', text: `no word from the runner for ${formatQuiet(quietMs)} (last seen ${formatTimeOfDay(seenAt)})`, quietMs };
  }
  const behind = runner.backlog.events;
  if (behind > 0) return { kind: 'behind', text: `runner ${behind.toLocaleString('en-US')} event${behind === 1 ? '' : 's'} behind`, quietMs };
  return { kind: 'live', text: 'runner live', quietMs };
}

/** `15 s`, `2 min 10 s`, `1 h 5 min`, `2 d 3 h`: whole units, as a person says them. */
export function formatQuiet(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `12:03:17` in the reader's time zone. */
function formatTimeOfDay(t: number): string {
  return new Date(t).toLocaleTimeString('en-GB', { hour12: false });
}

/** Whether `next` should replace `current`: reports only ever move forward in time. */
export function isNewerPresence(current: RunnerPresence | null, next: RunnerPresence | null): boolean {
  if (next === null) return false;
  if (current === null) return true;
  return Date.parse(next.lastSeenAt) > Date.parse(current.lastSeenAt);
}
