// A build as the wire shows it (PROTOCOL §Builds, `Build`; §Runner presence for `runner`).
import type { Build, RunnerPresence } from '../../protocol/schemas.js';
import type { BuildRecord } from '../log/log-store.js';

export function toBuild(record: BuildRecord, runner: RunnerPresence | null): Build {
  return {
    buildId: record.buildId,
    meta: record.meta,
    createdAt: record.createdAt.toISOString(),
    ack: record.ack,
    final: record.final,
    status: isComplete(record) ? 'complete' : 'running',
    lastEventAt: record.lastEventAt?.toISOString() ?? null,
    epoch: record.epoch,
    digest: record.digest,
    runner,
  };
}

export function isComplete(record: Pick<BuildRecord, 'ack' | 'final'>): boolean {
  return record.final !== null && record.ack === record.final;
}
