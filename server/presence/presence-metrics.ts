// Presence on /metrics (PROTOCOL §Operations, README §Operating). Bounded cardinality: no
// per-build or per-host label. The gauges are read from the database at scrape time, so every
// instance shows the whole deployment: aggregate them with max(), never sum().
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { RUNNER_SILENT_AFTER_INTERVALS } from '../../protocol/limits.js';
import type { PresenceTracker } from './presence-tracker.js';

/** "Seen" means heard from within this long. */
export const PRESENCE_SEEN_WITHIN_MS = 60_000;
/**
 * A runner not heard from for this long counts as gone for good, no longer as silent: an
 * abandoned build stops the alert after an hour instead of keeping it up forever.
 */
export const PRESENCE_HORIZON_MS = 3_600_000;

export class PresenceMetrics {
  /** Runner reports taken, by what became of them. */
  readonly reports: Counter<'result'>;
  /** Heartbeat requests by outcome (ok or problem code). */
  readonly heartbeats: Counter<'outcome'>;

  constructor(registry: Registry, tracker: PresenceTracker, logger: Logger) {
    this.reports = new Counter({
      name: 'runlog_runner_reports_total',
      help: 'Runner reports (heartbeats and append headers) this instance took, by result: written, deferred (held for the end of the write window), throttled, superseded or gone.',
      labelNames: ['result'] as const,
      registers: [registry],
    });
    this.heartbeats = new Counter({
      name: 'runlog_heartbeat_requests_total',
      help: 'Heartbeat requests by outcome (ok or problem code).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    // One query per scrape feeds all four gauges; the first gauge collected runs it.
    let pending: Promise<void> | undefined;
    const refresh = (): Promise<void> =>
      (pending ??= (async () => {
        try {
          const summary = await tracker.summary(new Date(), PRESENCE_SEEN_WITHIN_MS, PRESENCE_HORIZON_MS);
          seen.set(summary.seen);
          backlogEvents.set(summary.backlogEvents);
          backlogBytes.set(summary.backlogBytes);
          silent.set(summary.silent);
        } catch (error) {
          // The database is away: keep the last values; /readyz says what is wrong.
          logger.warn({ err: error }, 'presence metrics: database query failed');
        } finally {
          setImmediate(() => (pending = undefined));
        }
      })());
    const seen = new Gauge({
      name: 'runlog_runners_seen',
      help: 'Runners of running builds heard from in the last minute (the whole deployment).',
      registers: [registry],
      collect: refresh,
    });
    const backlogEvents = new Gauge({
      name: 'runlog_runner_backlog_events',
      help: 'Events those runners reported spooled but not yet acknowledged, summed (the whole deployment).',
      registers: [registry],
      collect: refresh,
    });
    const backlogBytes = new Gauge({
      name: 'runlog_runner_backlog_bytes',
      help: 'Bytes of those events on the runners\u2019 disks, summed (the whole deployment).',
      registers: [registry],
      collect: refresh,
    });
    const silent = new Gauge({
      name: 'runlog_runners_silent',
      help: `Running builds whose runner has been silent for more than ${RUNNER_SILENT_AFTER_INTERVALS} of its heartbeat intervals, heard from within the last hour (the whole deployment).`,
      registers: [registry],
      collect: refresh,
    });
  }
}
