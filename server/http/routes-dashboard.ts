// The dashboard (PROTOCOL §Operations `GET /`): the web-client's pages. `npm start` has no
// build step, so the first request bundles web-client/dashboard with esbuild in memory
// (`write: false`); the result is kept for the life of the process. Pages carry a strict
// Content-Security-Policy (no inline script or style, connections to this origin only);
// assets are revalidated by ETag.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Context, Hono } from 'hono';
import { Headers as H } from '../../protocol/headers.js';
import type { AppDeps, AppEnv } from './app-env.js';

const DASHBOARD_DIR = fileURLToPath(new URL('../../web-client/dashboard/', import.meta.url));

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

/** One bundle per process: every server started in it serves the same files. */
let assets: Promise<Map<string, Asset>> | undefined;

function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= bundleDashboard().catch((error: unknown) => {
    assets = undefined; // let the next request try again (e.g. after a fixed syntax error)
    throw error;
  });
  return assets;
}

async function bundleDashboard(): Promise<Map<string, Asset>> {
  const result = await build({
    entryPoints: [
      { in: path.join(DASHBOARD_DIR, 'main.ts'), out: 'dashboard' },
      { in: path.join(DASHBOARD_DIR, 'styles.css'), out: 'dashboard' },
    ],
    outdir: '/assets',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  const files = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = `/assets/${path.basename(file.path)}`;
    const contentType = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
    files.set(name, asset(file.contents, contentType));
  }
  files.set(DashboardAssets.icon, asset(await readFile(path.join(DASHBOARD_DIR, 'favicon.svg')), 'image/svg+xml'));
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
