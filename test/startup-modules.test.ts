// What the compiled bin loads when it starts on PostgreSQL: PGlite, the YAML parser and the /docs
// renderer wait for the path that uses them; kysely, zod and hono come from the server's bundle,
// not node_modules (each file of theirs was a module to load and keep: ~10 MiB of idle RSS). The lazily read OpenAPI document
// is still served byte for byte, and /docs drawn from the bundle as from the source.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderDocsPage } from '../server/docs-page.js';
import { POSTGRES } from './support/backends.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { TEST_ADMIN_TOKEN, TEST_SECRET } from './support/test-server.js';

const PROBE = pathToFileURL(fileURLToPath(new URL('./support/loaded-modules-probe.mjs', import.meta.url))).href;
const OPENAPI = fileURLToPath(new URL('../openapi.yaml', import.meta.url));

describe.skipIf(POSTGRES.unavailable !== undefined)('the compiled server starting on PostgreSQL', () => {
  let dir: string;
  let loadedFile: string;
  let server: ServerProcess | undefined;
  let drop: (() => Promise<void>) | undefined;
  const loaded = async () => (await readFile(loadedFile, 'utf8')).split('\n').filter((line) => line !== '');
  const packagesIn = (urls: readonly string[], name: string) => urls.filter((url) => url.includes(`/node_modules/${name}/`));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'runlog-modules-'));
    loadedFile = path.join(dir, 'loaded.txt');
    const database = await POSTGRES.fresh();
    drop = database.drop;
    server = await startServerProcess({
      PORT: '0',
      DATABASE_URL: database.databaseUrl!,
      RUNLOG_DB_SCHEMA: database.databaseSchema,
      RUNLOG_DATA_DIR: dir,
      RUNLOG_SECRET: TEST_SECRET,
      RUNLOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      NODE_OPTIONS: `--import=${PROBE}`,
      RUNLOG_TEST_LOADED_MODULES: loadedFile,
    });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await drop?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads neither PGlite nor the YAML parser nor the docs page, and its bundled dependencies not from node_modules', async () => {
    const urls = await loaded();
    // The probe sees the bin and the dependencies that stay external.
    expect(urls.some((url) => url.endsWith('/server/dist/main.js'))).toBe(true);
    expect(packagesIn(urls, 'pg')).not.toEqual([]);
    expect(packagesIn(urls, '@electric-sql/pglite')).toEqual([]);
    expect(packagesIn(urls, 'yaml')).toEqual([]);
    expect(urls.filter((url) => url.includes('/dist/docs-page'))).toEqual([]);
    for (const bundled of ['kysely', 'zod', 'hono', '@hono/node-server', '@noble/hashes']) expect(packagesIn(urls, bundled), bundled).toEqual([]);
  });

  it('serves /openapi.yaml byte for byte without parsing it', async () => {
    const res = await fetch(`${server!.url}/openapi.yaml`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    expect(Buffer.from(await res.arrayBuffer()).equals(await readFile(OPENAPI))).toBe(true);
    expect(packagesIn(await loaded(), 'yaml')).toEqual([]);
  });

  it('loads the YAML parser for the first /docs and draws the page as the source does', async () => {
    const res = await fetch(`${server!.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(await res.text()).toBe(renderDocsPage(parse(await readFile(OPENAPI, 'utf8'))));
    expect(packagesIn(await loaded(), 'yaml')).not.toEqual([]);
    expect(await (await fetch(`${server!.url}/docs`)).text()).toBe(renderDocsPage(parse(await readFile(OPENAPI, 'utf8'))));
  });

});
