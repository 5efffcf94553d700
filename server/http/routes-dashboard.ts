// The dashboard (PROTOCOL §Operations `GET /`): the web-client's pages, bundled on first use.
import type { Hono } from 'hono';
import type { AppDeps, AppEnv } from './app-env.js';

export function registerDashboardRoutes(app: Hono<AppEnv>, _deps: AppDeps): void {
  const page = '<!doctype html><title>runlog</title><p>The dashboard is not built yet.</p>';
  app.get('/', (c) => c.html(page));
  app.get('/builds/:buildId', (c) => c.html(page));
}
