// The live build list (PROTOCOL §Build list, live): the current page as `data: Build` frames,
// then a frame whenever a build is created, advances (coalesced to ~4 per second per build),
// completes, or is deleted (`event: deleted`). Pending changes are a set of build ids, so a
// slow reader costs one entry per build, never one per commit.
import type { AppDeps } from './app-env.js';
import type { BuildRecord } from '../log/log-store.js';
import { Waker } from '../log/waker.js';
import { toBuild } from './build-view.js';
import { SSE_PING_FRAME, formatSseFrame } from '../../protocol/sse-frames.js';
import { sseResponse } from './sse.js';

/** At most one frame per build per this interval: ~4 per second. */
const COALESCE_MS = 250;

export function watchBuilds(deps: AppDeps, page: readonly BuildRecord[]): Response {
  const { engine, config, metrics } = deps;
  let initial: string | undefined = page.map((b) => formatSseFrame({ data: JSON.stringify(toBuild(b)) })).join('');
  const dirty = new Set<string>();
  const deleted = new Set<string>();
  let lastFlush = 0;
  const waker = new Waker();
  const unsubscribe = engine.hub.subscribeAll((notice) => {
    if (notice.kind === 'deleted') {
      dirty.delete(notice.buildId);
      deleted.add(notice.buildId);
    } else if (notice.kind === 'resync') {
      return;
    } else {
      deleted.delete(notice.buildId);
      dirty.add(notice.buildId);
    }
    waker.wake();
  });
  metrics.streamsOpen.inc();

  return sseResponse(
    async (signal) => {
      if (initial !== undefined) {
        const frames = initial;
        initial = undefined;
        if (frames) return frames;
      }
      if (dirty.size === 0 && deleted.size === 0) await waker.sleep(config.pingIntervalMs, signal);
      if (signal.aborted) return null;
      if (dirty.size === 0 && deleted.size === 0) return SSE_PING_FRAME;
      const sinceFlush = Date.now() - lastFlush;
      if (sinceFlush < COALESCE_MS) await new Promise((r) => setTimeout(r, COALESCE_MS - sinceFlush));
      lastFlush = Date.now();
      let chunk = '';
      for (const buildId of deleted) chunk += formatSseFrame({ event: 'deleted', data: JSON.stringify({ buildId }) });
      deleted.clear();
      const ids = [...dirty];
      dirty.clear();
      for (const buildId of ids) {
        const build = await engine.store.getBuild(buildId);
        chunk += build ? formatSseFrame({ data: JSON.stringify(toBuild(build)) }) : formatSseFrame({ event: 'deleted', data: JSON.stringify({ buildId }) });
      }
      return chunk;
    },
    {
      shutdown: deps.shutdown,
      onClose: () => {
        unsubscribe();
        waker.wake();
        metrics.streamsOpen.dec();
      },
    },
  );
}
