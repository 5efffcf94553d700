// `POST /v1/builds/{buildId}/heartbeat` (PROTOCOL §Runner presence): a runner with nothing to
// append says it is alive. Not an event: it takes no seq and never touches the log, the ack or
// the hash chain. It is refused like an append — same token, same stale epoch, same closed build.
import type { Hono } from 'hono';
import { authorize, assertGeneration } from '../auth/permissions.js';
import { ProblemError } from '../errors.js';
import type { AppDeps, AppEnv } from './app-env.js';
import { isComplete } from './build-view.js';
import { parseHeartbeatBody } from './heartbeat-input.js';
import { buildIdParam, readJsonBody } from './request-input.js';

export function registerHeartbeatRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  const { engine, config, presence, presenceMetrics } = deps;

  app.post('/v1/builds/:buildId/heartbeat', async (c) => {
    const principal = c.get('principal');
    authorize(principal, 'append', c.req.param('buildId'));
    try {
      const receivedAt = new Date();
      // PROTOCOL §Errors: 413 before any 400, the body before the path's grammar (as an append).
      const heartbeat = parseHeartbeatBody(await readJsonBody(c, config.limits.maxBodyBytes));
      const buildId = buildIdParam(c);
      if (deps.shutdown.signal.aborted) throw new ProblemError('unavailable', 'The server is shutting down; retry on the next one.', { retryAfterSeconds: 1 });
      const build = await engine.getBuild(buildId);
      assertGeneration(principal, build.generation);
      if (heartbeat.epoch < build.epoch) {
        throw new ProblemError('stale_epoch', `Epoch ${heartbeat.epoch} is older than the build's ${build.epoch}: another runner took the build over.`, {
          extra: { epoch: build.epoch },
        });
      }
      if (isComplete(build)) {
        throw new ProblemError('build_closed', `Build ${JSON.stringify(buildId)} is complete: its runner has nothing left to report.`, {
          extra: { ack: build.ack, final: build.final },
        });
      }
      await presence.report(buildId, build.generation, heartbeat.runner, receivedAt);
      presenceMetrics.heartbeats.inc({ outcome: 'ok' });
      return c.body(null, 204);
    } catch (error) {
      if (error instanceof ProblemError) presenceMetrics.heartbeats.inc({ outcome: error.code });
      throw error;
    }
  });
}
