// The three packages as a user gets them: `npm pack`ed, installed into a scratch project in a
// temporary directory outside the repository (nothing resolves from the repo's node_modules),
// then used there — the `runlog` bin serving, `runlog-runner exec` sending a build through it,
// the self-contained runner file under bare node, a consumer of every entry point (the log
// viewer's `@runlog/web/log` too) type-checked under strict with both module resolutions, a React page bundled with esbuild rendering a live build in
// Chromium, and a vitest file using runlog/testing. Installs come from the npm cache `npm ci`
// filled (the registry only for metadata it lacks).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_UNAVAILABLE, launchBrowser, openPage } from '../support/browser.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSUMER = fileURLToPath(new URL('./consumer/', import.meta.url));
const README_EXAMPLE = fileURLToPath(new URL('../readme-example.test.ts', import.meta.url));
const MiB = 1024 * 1024;

/** The versions the repository itself installs, so the scratch install is served from the cache. */
async function lockedVersions(names: readonly string[]): Promise<Record<string, string>> {
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  return Object.fromEntries(
    names.map((name) => {
      const version = lock.packages[`node_modules/${name}`]?.version;
      if (version === undefined) throw new Error(`${name} is not in package-lock.json`);
      return [name, version];
    }),
  );
}

async function npmInstall(dir: string, dependencies: Record<string, string>, devDependencies: Record<string, string> = {}): Promise<void> {
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module', dependencies, devDependencies }, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, maxBuffer: 16 * MiB });
}

/** Bytes of every file under `dir` (what the install put on disk). */
async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

function startBin(bin: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [bin], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runlog did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', () => {
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ child, url, output: () => out });
      }
    });
    child.once('exit', (code) => reject(new Error(`runlog exited with ${code}:\n${out}`)));
  });
}

async function runNode(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env }, maxBuffer: 16 * MiB });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('the packages, installed from their tarballs', () => {
  let work: string;
  let scratch: string;
  let tarballs: { server: string; runner: string; web: string };
  let server: Started;
  let adminToken: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'runlog-packages-'));
    const packs = path.join(work, 'packs');
    await mkdir(packs);
    // The packages as `npm run build` (the first step of `npm test`) left them. Not through
    // prepack: it rebuilds each dist/ in place, and other test files run the compiled server
    // meanwhile (one failed to start with dist/sql/ gone).
    const { stdout } = await run('npm', ['pack', '--workspaces', '--ignore-scripts', '--json', '--pack-destination', packs, '--loglevel=error'], { cwd: ROOT, maxBuffer: 16 * MiB });
    const files = (JSON.parse(stdout) as Array<{ name: string; filename: string }>).map((p) => [p.name, path.join(packs, p.filename)] as const);
    const byName = new Map(files);
    tarballs = { server: byName.get('runlog')!, runner: byName.get('@runlog/runner')!, web: byName.get('@runlog/web')! };

    scratch = path.join(work, 'app');
    await mkdir(scratch);
    await cp(CONSUMER, scratch, { recursive: true });
    // The README's vitest example, as a user would paste it into their project.
    await cp(README_EXAMPLE, path.join(scratch, 'example.spec.ts'));
    const versions = await lockedVersions(['react', 'react-dom', '@types/react', '@types/react-dom', '@types/node', 'typescript', 'esbuild', 'vitest']);
    const { typescript, esbuild, vitest, ...app } = versions;
    await npmInstall(
      scratch,
      { runlog: `file:${tarballs.server}`, '@runlog/runner': `file:${tarballs.runner}`, '@runlog/web': `file:${tarballs.web}`, react: app.react!, 'react-dom': app['react-dom']! },
      { '@types/react': app['@types/react']!, '@types/react-dom': app['@types/react-dom']!, '@types/node': app['@types/node']!, typescript: typescript!, esbuild: esbuild!, vitest: vitest! },
    );

    server = await startBin(path.join(scratch, 'node_modules', '.bin', 'runlog'), { PORT: '0', RUNLOG_DATA_DIR: path.join(work, 'data'), RUNLOG_LOG_LEVEL: 'warn' });
    adminToken = (await readFile(path.join(work, 'data', 'admin-token'), 'utf8')).trim();
  }, 300_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('installs real copies, not links into the repository', async () => {
    for (const name of ['runlog', '@runlog/runner', '@runlog/web']) {
      const installed = await realpath(path.join(scratch, 'node_modules', name));
      expect(installed.startsWith(await realpath(scratch))).toBe(true);
    }
  });

  it('installs @runlog/runner alone in at most 5 MB, with no server package and nothing built natively', async () => {
    const alone = path.join(work, 'runner-alone');
    await mkdir(alone);
    await npmInstall(alone, { '@runlog/runner': `file:${tarballs.runner}` });
    const modules = path.join(alone, 'node_modules');
    const bytes = await treeBytes(modules);
    console.log(`@runlog/runner installed with its dependencies: ${(bytes / MiB).toFixed(2)} MiB`);
    expect(bytes).toBeLessThanOrEqual(5 * 1000 * 1000);
    const manifests = (await readdir(modules, { recursive: true })).filter((f) => f.endsWith('package.json') && !f.includes(`${path.sep}dist${path.sep}`));
    for (const manifest of manifests) {
      const pkg = JSON.parse(await readFile(path.join(modules, manifest), 'utf8')) as { name?: string; gypfile?: boolean; scripts?: Record<string, string> };
      expect(['runlog', '@electric-sql/pglite', 'hono', 'pg', 'kysely']).not.toContain(pkg.name);
      expect(pkg.gypfile ?? false, manifest).toBe(false);
      expect(pkg.scripts?.install ?? pkg.scripts?.postinstall, manifest).toBeUndefined();
    }
  });

  it('runlog --help answers from the bin; an unknown flag is one line and exit 2', async () => {
    const bin = path.join(scratch, 'node_modules', 'runlog', 'bin', 'runlog.js');
    const help = await runNode([bin, '--help'], { cwd: scratch });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: runlog');
    const bad = await runNode([bin, '--port=1'], { cwd: scratch });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['runlog: unknown option --port=1 (see runlog --help)']);
  });

  it('sends a build through runlog-runner exec to the runlog bin, and the log holds every line in order', async () => {
    const bin = path.join(scratch, 'node_modules', '.bin', 'runlog-runner');
    const env = { RUNLOG_URL: server.url, RUNLOG_SPOOL: path.join(work, 'spool') };
    const created = await runNode([bin, 'create', '--build', 'from-tarball'], { cwd: scratch, env: { ...env, RUNLOG_ADMIN_TOKEN: adminToken } });
    expect(created.code, created.stderr).toBe(0);
    const { tokens } = JSON.parse(created.stdout) as { tokens: { runner: string; viewer: string } };
    const script = "for (let i = 1; i <= 50; i++) console.log('line ' + i); console.error('warning: done')";
    const exec = await runNode([bin, 'exec', '--no-echo', '--', process.execPath, '-e', script], { cwd: scratch, env: { ...env, RUNLOG_BUILD: 'from-tarball', RUNLOG_TOKEN: tokens.runner } });
    expect(exec.code, exec.stderr).toBe(0);

    const page = (await (await fetch(`${server.url}/v1/builds/from-tarball/events?limit=1000`, { headers: { authorization: `Bearer ${tokens.viewer}` } })).json()) as {
      events: Array<{ type: string; data: { line?: string; stream?: string } }>;
      ack: number;
      final: number;
    };
    expect(page.ack).toBe(page.final);
    const logs = page.events.filter((e) => e.type === 'log');
    expect(logs.filter((e) => e.data.stream === 'stdout').map((e) => e.data.line)).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i + 1}`));
    expect(logs.filter((e) => e.data.stream === 'stderr').map((e) => e.data.line)).toEqual(['warning: done']);
    expect(page.events.at(-1)?.type).toBe('finish');
  });

  it('runs the self-contained runlog-runner.mjs with nothing but node', async () => {
    const lonely = path.join(work, 'one-file');
    await mkdir(lonely);
    await cp(path.join(scratch, 'node_modules', '@runlog', 'runner', 'dist', 'runlog-runner.mjs'), path.join(lonely, 'runlog-runner.mjs'));
    const help = await runNode(['runlog-runner.mjs', '--help'], { cwd: lonely });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: runlog-runner');

    const env = { RUNLOG_URL: server.url, RUNLOG_SPOOL: path.join(lonely, 'spool') };
    const created = await runNode(['runlog-runner.mjs', 'create', '--build', 'one-file'], { cwd: lonely, env: { ...env, RUNLOG_ADMIN_TOKEN: adminToken } });
    expect(created.code, created.stderr).toBe(0);
    const { tokens } = JSON.parse(created.stdout) as { tokens: { runner: string } };
    const emitted = await runNode(['runlog-runner.mjs', 'emit', 'note', '{"from":"one file"}'], { cwd: lonely, env: { ...env, RUNLOG_BUILD: 'one-file', RUNLOG_TOKEN: tokens.runner } });
    expect(emitted.code, emitted.stderr).toBe(0);
    expect(emitted.stdout.trim()).toBe('1');
    const build = (await (await fetch(`${server.url}/v1/builds/one-file`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { ack: number };
    expect(build.ack).toBe(1);
  });

  for (const resolution of ['NodeNext', 'bundler'] as const) {
    it(`type-checks a consumer of all five entry points under strict with moduleResolution ${resolution}`, async () => {
      const tsconfig = `tsconfig.${resolution}.json`;
      await writeFile(
        path.join(scratch, tsconfig),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            target: 'ES2022',
            module: resolution === 'NodeNext' ? 'NodeNext' : 'ESNext',
            moduleResolution: resolution,
            lib: ['ES2023', 'DOM', 'DOM.Iterable'],
            types: ['node'],
            jsx: 'react-jsx',
          },
          files: ['consumer.ts', 'page.tsx', 'example.spec.ts'],
        }),
      );
      const tsc = await runNode([path.join(scratch, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], { cwd: scratch });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.code).toBe(0);
    });
  }

  it("runs the README's vitest example, which uses startRunlog, against the installed packages", async () => {
    // Generous timeouts: on a loaded machine PGlite alone can take longer than vitest's 10 s default.
    const vitest = await runNode([path.join(scratch, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'example.spec.ts', '--hookTimeout=120000', '--testTimeout=120000'], { cwd: scratch, env: { CI: 'true', NO_COLOR: '1' } });
    expect(vitest.code, vitest.stdout + vitest.stderr).toBe(0);
    expect(vitest.stdout, vitest.stdout + vitest.stderr).toMatch(/Tests\s+1 passed/);
  });

  describe.skipIf(BROWSER_UNAVAILABLE !== undefined)('a page of your own app, in Chromium', () => {
    let browser: Browser;
    let site: Server;
    let siteUrl: string;
    beforeAll(async () => {
      await run(path.join(scratch, 'node_modules', '.bin', 'esbuild'), ['page.tsx', '--bundle', '--format=esm', '--jsx=automatic', '--define:process.env.NODE_ENV="production"', '--outfile=site/page.js', '--log-level=error'], { cwd: scratch });
      await cp(path.join(scratch, 'index.html'), path.join(scratch, 'site', 'index.html'));
      site = createServer((req, res) => {
        const name = new URL(req.url ?? '/', 'http://x').pathname === '/page.js' ? 'page.js' : 'index.html';
        void readFile(path.join(scratch, 'site', name)).then((body) => {
          res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(body);
        });
      });
      await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
      siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => site?.close(resolve));
    });

    it('renders a live build with useBuild from another origin, and unmounting closes the stream', async () => {
      const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
      const created = (await (await fetch(`${server.url}/v1/builds`, { method: 'POST', headers, body: JSON.stringify({ buildId: 'in-my-app' }) })).json()) as {
        tokens: { runner: string; viewer: string };
      };
      const append = (from: number, count: number) =>
        fetch(`${server.url}/v1/builds/in-my-app/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${created.tokens.runner}`, 'content-type': 'application/json' },
          body: JSON.stringify({ from, events: Array.from({ length: count }, (_, i) => (from + i === 1 ? { type: 'start' } : { type: 'log', data: { stream: 'stdout', line: `l${from + i}` } })) }),
        });
      await append(1, 5);
      const { page, consoleErrors, close } = await openPage(browser);
      try {
        const query = new URLSearchParams({ server: server.url, token: created.tokens.viewer, build: 'in-my-app' });
        await page.goto(`${siteUrl}/?${query}`);
        await page.waitForSelector('#build[data-status="live"][data-events="5"]');
        await append(6, 20);
        await page.waitForSelector('#build[data-events="25"][data-messages="1"]');
        expect(await page.textContent('#build')).toBe('25 events, running');
        expect(await openStreams(server.url)).toBe(1);

        await page.click('#unmount');
        await page.waitForSelector('body[data-unmounted="true"]');
        await expect.poll(() => openStreams(server.url), { timeout: 10_000 }).toBe(0);
        expect(consoleErrors).toEqual([]);
      } finally {
        await close();
      }
    });
  });
});

/** `runlog_sse_streams_open` from the server's /metrics. */
async function openStreams(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^runlog_sse_streams_open (\d+)/m.exec(text)?.[1]);
}
