// A build's AI SDK UIMessages (PROTOCOL §UI messages): the second fold of the log, served and
// revalidated like /state.
import type { Hono } from 'hono';
import { Headers as H } from '../../protocol/headers.js';
import { assertGeneration, authorize } from '../auth/permissions.js';
import type { AppDeps, AppEnv } from './app-env.js';
import { buildIdParam } from './request-input.js';

export function registerMessageRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  const { engine } = deps;

  app.get('/v1/builds/:buildId/messages', async (c) => {
    const principal = c.get('principal');
    authorize(principal, 'read', c.req.param('buildId'));
    const buildId = buildIdParam(c);
    const build = await engine.getBuild(buildId);
    assertGeneration(principal, build.generation);
    // The same tag as /state, for the same reason: events 1..ack of one generation name one fold.
    const etag = `"${build.generation}:${build.ack}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { [H.etag]: etag });
    const { messages, stream, malformed } = await engine.messagesAt(build);
    return c.json({ seq: build.ack, messages, stream, malformed }, 200, { [H.etag]: etag });
  });
}
