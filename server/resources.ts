// Files the server reads at run time. The package build (scripts/build.mjs) bundles the server
// into dist/ and copies these next to the bundle; run from source (the tests), they are read
// where they live in the repository, and the dashboard from the last build.
import { fileURLToPath } from 'node:url';

/** Defined (true) by the build in the bundled server; absent when running from source. */
declare const __RUNLOG_BUNDLED__: boolean | undefined;
const bundled = typeof __RUNLOG_BUNDLED__ !== 'undefined';

const at = (fromDist: string, fromSource: string): string => fileURLToPath(new URL(bundled ? fromDist : fromSource, import.meta.url));

export const Resources = {
  /** The OpenAPI document served at /openapi.yaml and drawn at /docs. */
  openapi: at('./openapi.yaml', '../openapi.yaml'),
  /** The migrations, `*.sql` in name order. */
  sqlDir: at('./sql/', '../sql/'),
  /** The built dashboard: dashboard.js, dashboard.css, favicon.svg. */
  dashboardDir: at('./dashboard/', './dist/dashboard/'),
} as const;
