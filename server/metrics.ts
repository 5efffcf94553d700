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
  readonly commitQueueBytes = new Gauge({ name: 'runlog_commit_queue_bytes', help: 'Bytes of event data waiting for a commit.', registers: [this.registry] });
  readonly streamsOpened = new Counter({ name: 'runlog_sse_streams_opened_total', help: 'SSE streams opened (a rate far above the number of viewers means readers keep reconnecting).', registers: [this.registry] });
  readonly eventsDelivered = new Counter({ name: 'runlog_sse_events_sent_total', help: 'Event frames written to SSE streams.', registers: [this.registry] });
  readonly deliverySeconds = new Histogram({
    name: 'runlog_delivery_seconds',
    help: 'From an event\'s commit to its frame being written to a stream that was open when it committed.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly hubResyncs = new Counter({ name: 'runlog_hub_resyncs_total', help: 'Times the LISTEN connection to PostgreSQL was lost and re-established (readers re-read).', registers: [this.registry] });
  readonly httpResponses = new Counter({
    name: 'runlog_http_responses_total',
    help: 'HTTP answers by route, status and problem code (empty for non-problem answers).',
    labelNames: ['route', 'status', 'code'] as const,
    registers: [this.registry],
  });
  readonly storedBeyondAck = new Gauge({
    name: 'runlog_stored_beyond_ack_events',
    help: 'Events stored above the ack, waiting for a gap to fill: the builds with the most (up to 10), by build.',
    labelNames: ['build'] as const,
    registers: [this.registry],
  });
  readonly storedBeyondAckTotal = new Gauge({ name: 'runlog_stored_beyond_ack_events_total', help: 'Events stored above the ack, summed over all builds.', registers: [this.registry] });
  readonly retentionRuns = new Counter({
    name: 'runlog_retention_runs_total',
    help: 'Retention and purge runs, by outcome: ran, or skipped (another instance held the lock).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly retentionBuildsDeleted = new Counter({ name: 'runlog_retention_builds_deleted_total', help: 'Builds deleted because they were idle longer than RUNLOG_RETENTION.', registers: [this.registry] });
  readonly eventsPurged = new Counter({ name: 'runlog_purged_events_total', help: 'Events of deleted builds removed from storage (by retention or DELETE).', registers: [this.registry] });
  readonly purgeBatchEvents = new Histogram({
    name: 'runlog_purge_batch_events',
    help: 'Events removed per purge transaction.',
    buckets: [0, 10, 100, 500, 1000, 2000, 5000, 10_000],
    registers: [this.registry],
  });
  readonly workersConfigured = new Gauge({ name: 'runlog_workers_configured', help: 'Worker processes RUNLOG_WORKERS asks for (1 without a cluster).', registers: [this.registry] });
  readonly workersAlive = new Gauge({ name: 'runlog_workers_alive', help: 'Worker processes serving the port (RUNLOG_WORKERS), as the primary last reported.', registers: [this.registry] });

  constructor(options: { processMetrics: boolean } = { processMetrics: true }) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
    this.workersAlive.set(1);
    this.workersConfigured.set(1);
  }

  recordGroup(appends: number, events: number, durationMs: number): void {
    this.commitGroupAppends.observe(appends);
    this.commitSeconds.observe(durationMs / 1000);
    this.appendedEvents.inc(events);
  }
}
