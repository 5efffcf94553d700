// A build's folds of its log (PROTOCOL §State, §UI messages): the BuildState and the AI SDK
// UIMessages at the ack, each revalidated by an ETag of the generation and the ack. The
// generation makes the tag unique per creation of the buildId: a build deleted and re-created
// with as many events has the same ack, and a tag of the ack alone would let a reader holding
// the old one (admin, read:*, whose tokens survive) get a wrong 304. Events 1..ack never change
// within a generation, so the pair names one fold.
import type { Hono } from 'hono';
import { Headers as H } from '../../protocol/headers.js';
import { assertGeneration, authorize } from '../auth/permissions.js';
import type { BuildRecord } from '../log/log-store.js';
import type { AppDeps, AppEnv } from './app-env.js';
import { buildIdParam } from './request-input.js';

export function registerFoldRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  const { engine } = deps;
  const serveFold = (path: string, fold: (build: BuildRecord) => Promise<object>) =>
    app.get(path, async (c) => {
      const principal = c.get('principal');
      authorize(principal, 'read', c.req.param('buildId'));
      const build = await engine.getBuild(buildIdParam(c));
      assertGeneration(principal, build.generation);
      const etag = `"${build.generation}:${build.ack}"`;
      if (c.req.header('if-none-match') === etag) return c.body(null, 304, { [H.etag]: etag });
      return c.json(await fold(build), 200, { [H.etag]: etag });
    });

  serveFold('/v1/builds/:buildId/state', async (build) => ({ seq: build.ack, state: await engine.stateAt(build) }));
  serveFold('/v1/builds/:buildId/messages', async (build) => {
    const { messages, stream, malformed } = await engine.messagesAt(build);
    return { seq: build.ack, messages, stream, malformed };
  });
}
