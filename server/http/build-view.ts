// A build as the wire shows it (PROTOCOL §Builds, `Build`).
import type { Build } from '../../protocol/schemas.js';
import type { BuildRecord } from '../log/log-store.js';

export function toBuild(record: BuildRecord): Build {
  return {
    buildId: record.buildId,
    meta: record.meta,
    createdAt: record.createdAt.toISOString(),
    ack: record.ack,
    final: record.final,
    status: record.final !== null && record.ack === record.final ? 'complete' : 'running',
    lastEventAt: record.lastEventAt?.toISOString() ?? null,
    epoch: record.epoch,
    digest: record.digest,
  };
}
