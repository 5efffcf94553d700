import { openAsBlob } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './database.js';
import { defaultPgliteCacheDir, fromTemplate, pgliteTemplateFile } from './pglite-template.js';

let scratch: string;
let cacheDir: string;
const opened: Database[] = [];

beforeEach(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'runlog-template-'));
  cacheDir = path.join(scratch, 'cache');
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close()));
  await rm(scratch, { recursive: true, force: true });
});

async function open(dataDir: string): Promise<Database> {
  const database = await openDatabase({ databaseUrl: undefined, databaseSchema: 'public', dataDir, pgliteCacheDir: cacheDir });
  opened.push(database);
  return database;
}

async function tables(database: Database): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`.execute(database.db);
  return rows.map((r) => r.name);
}

/** This machine's template (built once for every test run), copied into the test's own cache. */
async function seedCache(): Promise<string> {
  const shared = await pgliteTemplateFile(defaultPgliteCacheDir());
  expect(shared).toBeDefined();
  await mkdir(cacheDir, { mode: 0o700 });
  const file = path.join(cacheDir, path.basename(shared!));
  await copyFile(shared!, file);
  return file;
}

describe('PGlite template', () => {
  it('is what new databases start from, in memory and in a new data directory', async () => {
    const file = await seedCache();
    // A template with a table of its own: a database that has it was unpacked, not initdb'd.
    const marked = await PGlite.create('memory://', { loadDataDir: await openAsBlob(file) });
    await marked.exec('CREATE TABLE from_template (x int)');
    await writeFile(file, Buffer.from(await (await marked.dumpDataDir('none')).arrayBuffer()));
    await marked.close();

    expect(await tables(await open('memory://'))).toContain('from_template');
    const fresh = await open(path.join(scratch, 'data'));
    expect(await tables(fresh)).toEqual(expect.arrayContaining(['builds', 'events', 'from_template']));
  });

  it('is built on first use, once per PGlite version, in a directory only this user can write', async () => {
    const file = await pgliteTemplateFile(cacheDir);
    expect(path.basename(file!)).toMatch(/^pglite-\d+\.\d+\.\d+.*\.tar$/);
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
    const built = await stat(file!);
    expect(await pgliteTemplateFile(cacheDir)).toBe(file);
    expect((await stat(file!)).mtimeMs).toBe(built.mtimeMs);
  });

  it('is not used from a directory others can write to', async () => {
    await seedCache();
    await chmod(cacheDir, 0o777);
    expect(await pgliteTemplateFile(cacheDir)).toBeUndefined();
  });

  it('is dropped when it does not load, and initdb runs instead', async () => {
    const file = await seedCache();
    const used: string[] = [];
    const made = await fromTemplate(
      cacheDir,
      async (template) => {
        used.push(template);
        throw new Error('does not load');
      },
      async () => 'by initdb',
    );
    expect([used, made]).toEqual([[file], 'by initdb']);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('that does not load gives way to initdb for a new data directory too', async () => {
    const file = await seedCache();
    await writeFile(file, 'not a tar');
    expect(await tables(await open(path.join(scratch, 'data')))).toEqual(expect.arrayContaining(['builds', 'events']));
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
