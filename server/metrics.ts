// Prometheus metrics (GET /metrics). One registry per server so that several servers in one
// process (tests) do not share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly appendRequests = new Counter({
    name: 'runlog_append_requests_total',
    help: 'Append requests by outcome (ok or problem code).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly appendedEvents = new Counter({ name: 'runlog_append_events_total', help: 'Events in append batches that reached a commit (duplicates included).', registers: [this.registry] });
  readonly commitGroupAppends = new Histogram({
    name: 'runlog_commit_group_appends',
    help: 'Append batches per commit transaction.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'runlog_commit_seconds',
    help: 'Duration of one group commit transaction.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly streamsOpen = new Gauge({ name: 'runlog_sse_streams_open', help: 'Open SSE streams.', registers: [this.registry] });
  readonly longPollsWaiting = new Gauge({ name: 'runlog_long_polls_waiting', help: 'Long-poll reads waiting for events.', registers: [this.registry] });
  readonly commitQueueLength = new Gauge({ name: 'runlog_commit_queue_length', help: 'Appends waiting for a commit.', registers: [this.registry] });

  constructor(options: { processMetrics: boolean } = { processMetrics: true }) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  recordGroup(appends: number, events: number, durationMs: number): void {
    this.commitGroupAppends.observe(appends);
    this.commitSeconds.observe(durationMs / 1000);
    this.appendedEvents.inc(events);
  }
}
