// The HTTP application: middleware, every route of PROTOCOL.md, and the single error handler.
import { Hono } from 'hono';
import { ProblemError } from './errors.js';
import type { AppDeps, AppEnv } from './http/app-env.js';
import { authenticate } from './http/authenticate.js';
import { apiCors } from './http/cors.js';
import { onError, problemResponse } from './http/problem-response.js';
import { registerBuildRoutes } from './http/routes-builds.js';
import { registerEventRoutes } from './http/routes-events.js';
import { registerFoldRoutes } from './http/routes-folds.js';
import { registerLogRoutes } from './http/routes-log.js';
import { registerHeartbeatRoutes } from './http/routes-heartbeat.js';
import { registerDashboardRoutes } from './http/routes-dashboard.js';
import { registerOpsRoutes } from './http/routes-ops.js';
import { registerStreamRoutes } from './http/routes-stream.js';
import { requestLog } from './http/request-log.js';

/** Every API path and its methods: unmatched methods on these paths answer 405 with `Allow`. */
const API_METHODS: Record<string, string[]> = {
  '/v1/tokens': ['POST'],
  '/v1/builds': ['GET', 'POST'],
  '/v1/builds/:buildId': ['GET', 'DELETE'],
  '/v1/builds/:buildId/events': ['GET', 'POST'],
  '/v1/builds/:buildId/stream': ['GET'],
  '/v1/builds/:buildId/state': ['GET'],
  '/v1/builds/:buildId/messages': ['GET'],
  '/v1/builds/:buildId/log': ['GET'],
  '/v1/builds/:buildId/log/lines': ['GET'],
  '/v1/builds/:buildId/log/search': ['GET'],
  '/v1/builds/:buildId/heartbeat': ['POST'],
};

export function createApp(deps: AppDeps, extraRoutes?: (app: Hono<AppEnv>) => void): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(onError(deps.logger));
  app.notFound((c) => {
    c.set('problemCode', 'not_found');
    return problemResponse(new ProblemError('not_found', 'No such route.'));
  });

  app.use(
    '*',
    requestLog(deps.logger, (route, status, code) => deps.metrics.httpResponses.inc({ route, status: String(status), code: code ?? '' })),
  );

  app.use('/v1/*', apiCors());
  app.use('/v1/*', authenticate(deps.signer));
  registerBuildRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerFoldRoutes(app, deps);
  registerLogRoutes(app, deps);
  registerHeartbeatRoutes(app, deps);
  registerStreamRoutes(app, deps);
  registerOpsRoutes(app, deps);
  registerDashboardRoutes(app, deps);
  extraRoutes?.(app);

  for (const [path, methods] of Object.entries(API_METHODS)) {
    app.all(path, () => {
      throw new ProblemError('method_not_allowed', `Use ${methods.join(' or ')} here.`, { headers: { Allow: methods.join(', ') } });
    });
  }
  return app;
}
