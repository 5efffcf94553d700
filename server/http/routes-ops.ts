// Operations endpoints (PROTOCOL §Operations); none needs a token.
import type { Hono } from 'hono';
import { ContentTypes, Headers as H } from '../../protocol/headers.js';
import { specDocument } from '../spec-document.js';
import { unavailable } from '../errors.js';
import type { AppDeps, AppEnv } from './app-env.js';

/** `/readyz` gives the database this long before calling it unreachable. */
const READY_TIMEOUT_MS = 2000;

export function registerOpsRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        deps.database.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout exceeded when trying to connect')), READY_TIMEOUT_MS))),
      ]);
    } catch (error) {
      throw unavailable(error);
    } finally {
      clearTimeout(timer);
    }
    if (deps.shutdown.signal.aborted) throw unavailable(new Error('shutting down'));
    return c.json({ status: 'ready', database: deps.database.kind });
  });

  app.get('/metrics', async (c) => {
    deps.metrics.commitQueueLength.set(deps.engine.commitQueueLength);
    deps.metrics.commitQueueBytes.set(deps.engine.commitQueueBytes);
    const beyond = await deps.engine.store.storedBeyondAck(10).catch(() => undefined);
    if (beyond) {
      deps.metrics.storedBeyondAck.reset();
      for (const build of beyond.builds) deps.metrics.storedBeyondAck.set({ build: build.buildId }, build.events);
      deps.metrics.storedBeyondAckTotal.set(beyond.total);
    }
    return c.body(await deps.metrics.registry.metrics(), 200, { [H.contentType]: deps.metrics.registry.contentType });
  });

  app.get('/openapi.yaml', async (c) => c.body(await specDocument.yamlText(), 200, { [H.contentType]: `${ContentTypes.yaml}; charset=utf-8` }));
  app.get('/docs', async (c) => c.html(await specDocument.docsPage()));
}
