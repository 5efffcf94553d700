// `npm run build`: compiles the three packages into their dist/ folders.
//   runlog (server/)            dist/main.js (the bin), dist/testing.js, the dashboard's assets,
//                               openapi.yaml and the SQL migrations, type declarations
//   @runlog/runner (runner-client/)  dist/index.js, dist/cli.js, the self-contained
//                               dist/runlog-runner.mjs (every dependency inside), declarations
//   @runlog/web (web-client/)   dist/index.js, dist/react.js, dist/log.js (browser ESM), declarations
// `protocol/` is compiled into each package that uses it. Plain Node ESM, so it runs before
// anything is built.
//
// Usage: node scripts/build.mjs [server|runner|web ...] [--js] [--quiet]
//   --js     JavaScript and assets only, no type declarations (what `npm start` needs)
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const at = (...parts) => path.join(ROOT, ...parts);
const TSC = at('node_modules', 'typescript', 'bin', 'tsc');

/** Bundled ESM that still meets a CommonJS dependency (undici) needs a `require`. */
const REQUIRE_SHIM = "import { createRequire as __runlogCreateRequire } from 'node:module'; const require = __runlogCreateRequire(import.meta.url);";

const nodeBundle = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', charset: 'utf8' };

/**
 * The server's dependencies that go into its bundle: ES modules of many small files (kysely
 * ~260, zod ~95, hono ~30 loaded at start). Loaded from node_modules, each file was a module
 * of its own to resolve, read, compile and keep (its source, its record): ~10 MiB of an idle
 * server's RSS on PostgreSQL. The rest stay external: CommonJS packages (pg, pino, prom-client),
 * PGlite (its WASM files sit beside its module) and yaml (imported on the first /docs).
 */
const SERVER_BUNDLED = new Set(['kysely', 'zod', 'hono', '@hono/node-server', '@noble/hashes']);

/** `packages: 'external'` except `bundled`: bare specifiers of other packages stay imports. */
function externalPackagesExcept(bundled) {
  const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  return {
    name: 'external-packages-except',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('node:') || bundled.has(packageOf(args.path)) ? undefined : { path: args.path, external: true }));
    },
  };
}

const PACKAGES = {
  async server() {
    const dist = at('server', 'dist');
    await build({
      ...nodeBundle,
      entryPoints: { main: at('server', 'main.ts'), testing: at('server', 'testing.ts') },
      outdir: dist,
      splitting: true,
      plugins: [externalPackagesExcept(SERVER_BUNDLED)],
      // V8 keeps each module's source text for lazy compilation, two bytes a character if one
      // character needs it: without comments (whitespace-minified) and with other text escaped
      // (ascii) the main chunk is one byte a character, ~1 MiB instead of ~3 MiB of heap.
      // Names stay, so stack traces still name functions. docs-page.ts, whose String.raw text
      // cannot be escaped, is its own chunk, loaded on the first /docs.
      charset: 'ascii',
      minifyWhitespace: true,
      define: { __RUNLOG_BUNDLED__: 'true' },
    });
    await cp(at('openapi.yaml'), path.join(dist, 'openapi.yaml'));
    await mkdir(path.join(dist, 'sql'), { recursive: true });
    for (const name of await readdir(at('sql'))) {
      if (name.endsWith('.sql')) await cp(at('sql', name), path.join(dist, 'sql', name));
    }
    await build({
      entryPoints: [
        { in: at('web-client', 'dashboard', 'main.ts'), out: 'dashboard' },
        { in: at('web-client', 'dashboard', 'styles.css'), out: 'dashboard' },
      ],
      outdir: path.join(dist, 'dashboard'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'warning',
    });
    await cp(at('web-client', 'dashboard', 'favicon.svg'), path.join(dist, 'dashboard', 'favicon.svg'));
  },

  async runner() {
    const dist = at('runner-client', 'dist');
    await build({
      ...nodeBundle,
      entryPoints: { index: at('runner-client', 'index.ts'), cli: at('runner-client', 'cli-main.ts') },
      outdir: dist,
      splitting: true,
      // The package's dependencies; protocol/ and what it needs (zod, hashes) are bundled in.
      external: ['undici', 'p-queue'],
    });
    await build({
      ...nodeBundle,
      entryPoints: [at('runner-client', 'cli-main.ts')],
      outfile: path.join(dist, 'runlog-runner.mjs'),
      banner: { js: `#!/usr/bin/env node\n${REQUIRE_SHIM}` },
      minify: true,
      legalComments: 'none',
    });
  },

  async web() {
    await build({
      entryPoints: { index: at('web-client', 'index.ts'), react: at('web-client', 'react.ts'), log: at('web-client', 'log.ts') },
      outdir: at('web-client', 'dist'),
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      external: ['react'],
      charset: 'utf8',
      logLevel: 'warning',
    });
  },
};

const FOLDERS = { server: 'server', runner: 'runner-client', web: 'web-client' };

const args = process.argv.slice(2);
const jsOnly = args.includes('--js');
const quiet = args.includes('--quiet');
const names = args.filter((a) => !a.startsWith('--'));
for (const name of names) {
  if (!Object.hasOwn(PACKAGES, name)) {
    console.error(`build: unknown package ${JSON.stringify(name)} (server, runner or web)`);
    process.exit(2);
  }
}

for (const name of names.length > 0 ? names : Object.keys(PACKAGES)) {
  const folder = FOLDERS[name];
  const started = performance.now();
  await rm(at(folder, 'dist'), { recursive: true, force: true });
  await PACKAGES[name]();
  if (!jsOnly) execFileSync(process.execPath, [TSC, '-p', at(folder, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (!quiet) console.log(`built ${folder}/dist in ${Math.round(performance.now() - started)} ms`);
}
