// A build's log over JSON (PROTOCOL §Append, §Read the log: JSON).
import type { Hono } from 'hono';
import { Headers as H } from '../../protocol/headers.js';
import { ReadDefaults } from '../../protocol/limits.js';
import { assertGeneration, authorize, generationOf } from '../auth/permissions.js';
import { ProblemError, buildNotFound } from '../errors.js';
import { BuildCursor } from '../log/build-cursor.js';
import type { AppDeps, AppEnv } from './app-env.js';
import { parseAppendBody } from './append-input.js';
import { runnerHeader } from './heartbeat-input.js';
import { afterParam, buildIdParam, integerParam, readJsonBody, secondsParam } from './request-input.js';

/** A JSON page stops after about this much event data, however large `limit` (PROTOCOL §Read: `next` continues). */
const JSON_PAGE_MAX_BYTES = 8 * 1024 * 1024;

function commaSeparated(parts: readonly string[]): string[] {
  return parts.flatMap((part, i) => (i === 0 ? [part] : [',', part]));
}

/**
 * The texts encoded into one buffer the size of the answer. A page joined into one string, that
 * string's flattened copy and its encoding were three fresh copies of megabytes each.
 */
function concatenated(texts: readonly string[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const text of texts) length += Buffer.byteLength(text);
  const bytes = Buffer.allocUnsafe(length);
  let at = 0;
  for (const text of texts) at += bytes.write(text, at);
  // allocUnsafe's memory is an ArrayBuffer (its pool or its own), never a SharedArrayBuffer.
  return bytes as Uint8Array<ArrayBuffer>;
}

export function registerEventRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  const { engine, config, metrics } = deps;

  app.post('/v1/builds/:buildId/events', async (c) => {
    const principal = c.get('principal');
    authorize(principal, 'append', c.req.param('buildId'));
    try {
      // The body before the path's grammar: PROTOCOL §Errors puts every 413 before any 400.
      const batch = parseAppendBody(await readJsonBody(c, config.limits.maxBodyBytes), config.limits);
      const runner = runnerHeader(c);
      const buildId = buildIdParam(c);
      const receivedAt = new Date();
      const response = await engine.append(buildId, batch, generationOf(principal));
      metrics.appendRequests.inc({ outcome: 'ok' });
      // PROTOCOL §Runner presence: an accepted append is word from the runner. Not awaited: the
      // write is throttled and must never hold up the answer of a commit.
      if (runner !== undefined) {
        deps.presence
          .report(buildId, generationOf(principal), runner, receivedAt)
          .catch((error: unknown) => deps.logger.warn({ err: error }, 'runner presence write failed'));
      }
      return c.json(response);
    } catch (error) {
      if (error instanceof ProblemError) metrics.appendRequests.inc({ outcome: error.code });
      throw error;
    }
  });

  app.get('/v1/builds/:buildId/events', async (c) => {
    const principal = c.get('principal');
    authorize(principal, 'read', c.req.param('buildId'));
    const buildId = buildIdParam(c);
    const after = afterParam(c);
    const limit = integerParam(c, 'limit', 1, config.limits.maxReadLimit, ReadDefaults.limit);
    const waitSeconds = secondsParam(c, 'wait', config.limits.maxWaitSeconds);
    const cursor = await BuildCursor.open(engine, buildId, after);
    // A shutdown answers waiting long-polls at once instead of holding the server open.
    const stop = deps.shutdown.linkedTo(c.req.raw.signal);
    metrics.longPollsWaiting.inc();
    try {
      assertGeneration(principal, cursor.generation);
      const step = await cursor.nextJson({ limit, maxBytes: JSON_PAGE_MAX_BYTES }, waitSeconds * 1000, stop.signal);
      if (step.kind === 'deleted') throw buildNotFound(buildId);
      const page = step.kind === 'events' ? step.page : { parts: [], last: after };
      const body = concatenated(['{"events":[', ...commaSeparated(page.parts), `],"ack":${cursor.ack},"final":${cursor.final ?? 'null'},"next":${page.last}}`]);
      return c.body(body, 200, { [H.contentType]: 'application/json' });
    } finally {
      stop.dispose();
      metrics.longPollsWaiting.dec();
      cursor.close();
    }
  });
}
