// A build's log over JSON (PROTOCOL §Append, §Read the log: JSON).
import type { Hono } from 'hono';
import { Headers as H } from '../../protocol/headers.js';
import { ReadDefaults } from '../../protocol/limits.js';
import { assertGeneration, authorize, generationOf } from '../auth/permissions.js';
import { ProblemError, buildNotFound } from '../errors.js';
import { BuildCursor } from '../log/build-cursor.js';
import type { AppDeps, AppEnv } from './app-env.js';
import { parseAppendBody } from './append-input.js';
import { JsonAnswers, answerBody } from './json-answers.js';
import { runnerHeader } from './heartbeat-input.js';
import { afterParam, buildIdParam, integerParam, readJsonBody, secondsParam } from './request-input.js';

/** A JSON page stops after about this much event data, however large `limit` (PROTOCOL §Read: `next` continues). */
const JSON_PAGE_MAX_BYTES = 8 * 1024 * 1024;

export function registerEventRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  const { engine, config, metrics } = deps;
  const answers = new JsonAnswers(engine);

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
    // A shutdown answers waiting long-polls at once instead of holding the server open; a
    // client gone ends the wait too. Both close the cursor, which ends its wait: the request's
    // AbortSignal and a signal linked to it cost two AbortControllers and four EventTarget
    // listeners per poll.
    const stopWaiting = () => cursor.close();
    const removeShutdown = deps.shutdown.onShutdown(stopWaiting);
    if (c.env.outgoing.destroyed) stopWaiting();
    else c.env.outgoing.once('close', stopWaiting);
    metrics.longPollsWaiting.inc();
    try {
      assertGeneration(principal, cursor.generation);
      const bounds = { limit, maxBytes: JSON_PAGE_MAX_BYTES };
      const step = await cursor.next(waitSeconds * 1000, (from, upTo) => answers.read(buildId, cursor.generation, from, upTo, cursor.final, bounds));
      if (step.kind === 'deleted') throw buildNotFound(buildId);
      const body = step.kind === 'events' ? step.page.body : answerBody([], { ack: cursor.ack, final: cursor.final, next: after });
      return c.body(body, 200, { [H.contentType]: 'application/json' });
    } finally {
      removeShutdown();
      c.env.outgoing.off('close', stopWaiting);
      metrics.longPollsWaiting.dec();
      cursor.close();
    }
  });
}
