// The live build list (PROTOCOL §Build list, live): the current page as `data: Build` frames,
// then a frame whenever a build is created, advances (coalesced to ~4 per second per build),
// completes, or is deleted (`event: deleted`), and `event: runner` when a build's runner
// presence is stored (PROTOCOL §Runner presence). Pending changes are a set of build ids (and
// the newest presence per build), so a slow reader costs one entry per build, never one per commit.
import type { RunnerPresence } from '../../protocol/wire-types.js';
import type { AppContext, AppDeps } from './app-env.js';
import type { BuildRecord } from '../log/log-store.js';
import { Waker } from '../log/waker.js';
import { runnerFrame } from '../presence/presence-feed.js';
import { toBuild } from './build-view.js';
import { ssePingFrame, formatSseFrame } from '../../protocol/sse-frames.js';
import { sseResponse } from './sse.js';

/** At most one frame per build per this interval: ~4 per second. */
const COALESCE_MS = 250;

export function watchBuilds(c: AppContext, deps: AppDeps, page: readonly BuildRecord[], pageRunners: ReadonlyMap<string, RunnerPresence>): Response {
  const { engine, config, metrics, presence } = deps;
  let initial: string | undefined = page.map((b) => formatSseFrame({ data: JSON.stringify(toBuild(b, pageRunners.get(b.buildId) ?? null)) })).join('');
  const dirty = new Set<string>();
  const deleted = new Set<string>();
  const runners = new Map<string, RunnerPresence>();
  let lastFlush = 0;
  const waker = new Waker();
  const unsubscribe = engine.hub.subscribeAll((notice) => {
    if (notice.kind === 'deleted') {
      dirty.delete(notice.buildId);
      runners.delete(notice.buildId);
      deleted.add(notice.buildId);
    } else if (notice.kind === 'resync') {
      return;
    } else if (notice.kind === 'presence') {
      // Only a newer report replaces the one waiting (notices of two instances can cross).
      const waiting = runners.get(notice.buildId);
      if (waiting !== undefined && waiting.lastSeenAt >= notice.runner.lastSeenAt) return;
      runners.set(notice.buildId, notice.runner);
    } else {
      deleted.delete(notice.buildId);
      dirty.add(notice.buildId);
    }
    waker.wake();
  });
  metrics.streamsOpen.inc();
  metrics.streamsOpened.inc();

  return sseResponse(
    c.env.outgoing,
    async (signal) => {
      if (initial !== undefined) {
        const frames = initial;
        initial = undefined;
        if (frames) return frames;
      }
      const idle = () => dirty.size === 0 && deleted.size === 0 && runners.size === 0;
      if (idle()) await waker.sleep(config.pingIntervalMs, signal);
      if (signal.aborted) return null;
      if (idle()) return ssePingFrame(config.pingIntervalMs);
      const sinceFlush = Date.now() - lastFlush;
      if (sinceFlush < COALESCE_MS) await new Promise((r) => setTimeout(r, COALESCE_MS - sinceFlush));
      lastFlush = Date.now();
      let chunk = '';
      for (const buildId of deleted) chunk += formatSseFrame({ event: 'deleted', data: JSON.stringify({ buildId }) });
      deleted.clear();
      const ids = [...dirty];
      const dirtyIds = new Set(ids);
      dirty.clear();
      const reported = [...runners];
      runners.clear();
      const stored = ids.length > 0 ? await presence.ofMany(ids) : new Map<string, RunnerPresence>();
      for (const buildId of ids) {
        const build = await engine.store.getBuild(buildId);
        chunk += build
          ? formatSseFrame({ data: JSON.stringify(toBuild(build, stored.get(buildId) ?? null)) })
          : formatSseFrame({ event: 'deleted', data: JSON.stringify({ buildId }) });
      }
      // A build whose frame went out above carries its stored presence, read after the notice.
      for (const [buildId, runner] of reported) if (!dirtyIds.has(buildId)) chunk += runnerFrame(buildId, runner);
      return chunk;
    },
    {
      shutdown: deps.shutdown,
      pingIntervalMs: config.pingIntervalMs,
      onClose: () => {
        unsubscribe();
        waker.wake();
        metrics.streamsOpen.dec();
      },
    },
  );
}
