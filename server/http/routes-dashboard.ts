// The dashboard (PROTOCOL §Operations `GET /`): the web-client's pages, built into the
// server's dist/dashboard/ by the package build (scripts/build.mjs) and read once per process.
// Pages carry a strict Content-Security-Policy (no inline script or style, connections to
// this origin only); assets are revalidated by ETag.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context, Hono } from 'hono';
import { Headers as H } from '../../protocol/headers.js';
import { ProblemError } from '../errors.js';
import { Resources } from '../resources.js';
import type { AppDeps, AppEnv } from './app-env.js';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Asset paths the page references; each is served from the in-memory bundle. */
export const DashboardAssets = {
  script: '/assets/dashboard.js',
  style: '/assets/dashboard.css',
  icon: '/assets/favicon.svg',
} as const;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runlog</title>
<link rel="icon" href="${DashboardAssets.icon}" type="image/svg+xml">
<link rel="stylesheet" href="${DashboardAssets.style}">
<script type="module" src="${DashboardAssets.script}"></script>
</head>
<body>
<noscript><p>The runlog dashboard needs JavaScript.</p></noscript>
<div id="app"></div>
</body>
</html>
`;

interface Asset {
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly etag: string;
}

/** One set of files per process: every server started in it serves the same. */
let assets: Promise<Map<string, Asset>> | undefined;

function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= readDashboard().catch((error: unknown) => {
    assets = undefined; // let the next request try again (after `npm run build`)
    throw error;
  });
  return assets;
}

async function readDashboard(): Promise<Map<string, Asset>> {
  const files = new Map<string, Asset>();
  const types: Record<string, string> = {
    [DashboardAssets.script]: 'text/javascript; charset=utf-8',
    [DashboardAssets.style]: 'text/css; charset=utf-8',
    [DashboardAssets.icon]: 'image/svg+xml',
  };
  for (const [name, contentType] of Object.entries(types)) {
    let body: Uint8Array;
    try {
      body = await readFile(path.join(Resources.dashboardDir, path.basename(name)));
    } catch (error) {
      throw new ProblemError('unavailable', 'The dashboard is not built: run `npm run build`.', { cause: error });
    }
    files.set(name, asset(body, contentType));
  }
  files.set('/', asset(new TextEncoder().encode(PAGE), 'text/html; charset=utf-8'));
  return files;
}

function asset(body: Uint8Array, contentType: string): Asset {
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** 200 with the body, or 304 when the browser's copy is current. */
function serve(c: Context<AppEnv>, file: Asset, headers: Record<string, string> = {}): Response {
  const common: Record<string, string> = {
    [H.etag]: file.etag,
    [H.cacheControl]: 'no-cache', // revalidate every time: cheap with the ETag, never stale after an upgrade
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  };
  const match = c.req.header('if-none-match');
  if (match !== undefined && match.split(',').some((tag) => tag.trim() === file.etag)) return c.body(null, 304, common);
  return c.body(file.body as Uint8Array<ArrayBuffer>, 200, { [H.contentType]: file.contentType, ...common });
}

export function registerDashboardRoutes(app: Hono<AppEnv>, _deps: AppDeps): void {
  const page = async (c: Context<AppEnv>) =>
    serve(c, (await loadAssets()).get('/')!, {
      'Content-Security-Policy': DASHBOARD_CSP,
      // The first URL may carry ?token=: never send it on as a referrer.
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    });
  app.get('/', page);
  app.get('/builds/:buildId', page);
  app.get('/assets/:name', async (c) => {
    const file = (await loadAssets()).get(`/assets/${c.req.param('name')}`);
    return file ? serve(c, file) : c.notFound();
  });
}
