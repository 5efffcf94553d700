// A build's log as Server-Sent Events (PROTOCOL §SSE): resume by Last-Event-ID or ?after,
// each event ≤ ack exactly once in seq order, `: ping` when idle, `event: end` after final;
// `event: runner` (no id) when the runner's presence is stored (PROTOCOL §Runner presence).
import type { Hono } from 'hono';
import { Headers as H } from '../../protocol/headers.js';
import { MAX_SEQ } from '../../protocol/limits.js';
import { assertGeneration, authorize } from '../auth/permissions.js';
import { BuildCursor } from '../log/build-cursor.js';
import { PresenceFeed } from '../presence/presence-feed.js';
import type { AppDeps, AppEnv } from './app-env.js';
import { afterParam, buildIdParam, parseBoundedInteger } from './request-input.js';
import { ssePingFrame, formatSseFrame } from '../../protocol/sse-frames.js';
import { sseResponse } from './sse.js';
import type { PageBounds } from '../log/event-json.js';

/**
 * What one pull may bring into memory: enough events to keep frames batched, few enough bytes
 * that a reader of 256 KiB events holds a bounded amount (the chunk in the socket and the next).
 * 2 500 events of up to ~420 bytes of data each fit the byte bound whole, so a catch-up of
 * typical events is read without the running byte sum (`readPage` in `log/kysely-page-read.ts`): 1.5× the
 * events/s of 5 000-event pages, which nearly always stopped at the byte bound.
 */
const STREAM_CHUNK: PageBounds = { limit: 2500, maxBytes: 1024 * 1024 };

export function registerStreamRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  const { engine, config, metrics } = deps;

  app.get('/v1/builds/:buildId/stream', async (c) => {
    const principal = c.get('principal');
    authorize(principal, 'read', c.req.param('buildId'));
    const buildId = buildIdParam(c);
    const lastEventId = c.req.header(H.lastEventId);
    // The header wins: it is what EventSource sends on its own reconnects (PROTOCOL §SSE).
    const after = lastEventId !== undefined ? parseBoundedInteger(lastEventId.trim(), H.lastEventId, 0, MAX_SEQ) : afterParam(c);
    const cursor = await BuildCursor.open(engine, buildId, after);
    try {
      assertGeneration(principal, cursor.generation);
    } catch (error) {
      cursor.close();
      throw error;
    }
    if (cursor.complete && after >= cursor.ack) {
      cursor.close();
      return c.body(null, 204);
    }
    let presence: PresenceFeed;
    try {
      presence = await PresenceFeed.open(engine.hub, deps.presence, buildId, () => cursor.interrupt());
    } catch (error) {
      cursor.close();
      throw error;
    }
    metrics.streamsOpen.inc();
    metrics.streamsOpened.inc();
    const openedAtMs = Date.now();
    let ended = false;
    const endFrame = () => {
      ended = true;
      return formatSseFrame({ event: 'end', data: JSON.stringify({ final: cursor.final }) });
    };
    return sseResponse(
      c.env.outgoing,
      async (signal) => {
        if (ended) return null;
        // A stored runner report cuts the wait short (or skips it); it never moves the cursor.
        const step = await cursor.nextFrames(STREAM_CHUNK, presence.waiting ? 0 : config.pingIntervalMs);
        const runner = presence.take();
        switch (step.kind) {
          case 'events': {
            const { chunks, count, committedAtMs } = step.page;
            metrics.eventsDelivered.inc(count);
            // Live delivery only: events committed here while this stream was open (catch-up
            // reads of old events would measure their age, not the delivery).
            if (committedAtMs !== undefined && committedAtMs >= openedAtMs) metrics.deliverySeconds.observe(Math.max(0, Date.now() - committedAtMs) / 1000);
            const frames = runner === '' ? chunks : [Buffer.from(runner), ...chunks];
            return cursor.complete && cursor.lastSent === cursor.final ? [...frames, Buffer.from(endFrame())] : frames;
          }
          case 'complete':
            return endFrame();
          case 'idle':
            return signal.aborted ? null : runner || ssePingFrame(config.pingIntervalMs);
          case 'deleted':
            return null;
        }
      },
      {
        shutdown: deps.shutdown,
        pingIntervalMs: config.pingIntervalMs,
        readAhead: () => cursor.lastSent < cursor.ack,
        onClose: () => {
          cursor.close();
          presence.close();
          metrics.streamsOpen.dec();
        },
      },
    );
  });
}
