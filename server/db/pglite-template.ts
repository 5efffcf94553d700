// A freshly initialised PGlite data directory, kept as a tar in a private cache directory.
// PGlite's initdb costs about 4 s and 6 CPU-seconds; unpacking the same files costs 0.7 s and
// 0.9 CPU-seconds. Every in-memory database (`runlog/testing`'s `startRunlog`, the test suites)
// and every new data directory starts from the template, so only the first database a PGlite
// version ever opens on a machine pays for initdb. The template holds initdb's output only,
// never a runlog table: migrations run on each database as before.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where templates live by default: a directory of this user's own under the OS's temporary directory. */
export function defaultPgliteCacheDir(): string {
  return path.join(tmpdir(), `runlog-${process.getuid?.() ?? 'user'}`);
}

/**
 * The template's path, built first if this PGlite version has none in `cacheDir`; undefined
 * when it can't be had (a cache directory another user could write to, a read-only disk, a
 * failed build): the caller runs initdb, as without a cache.
 */
export async function pgliteTemplateFile(cacheDir: string): Promise<string | undefined> {
  try {
    const file = await templateFile(cacheDir);
    if (file === undefined) return undefined;
    const found = await stat(file).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!found) await buildTemplate(file);
    return file;
  } catch {
    return undefined;
  }
}

/**
 * `withTemplate` given the template's path, when there is one and it loads; otherwise (no
 * template, or it failed to load: it is dropped, so the next database builds it again)
 * `withoutTemplate`, which runs initdb.
 */
export async function fromTemplate<T>(cacheDir: string | null, withTemplate: (file: string) => Promise<T>, withoutTemplate: () => Promise<T>): Promise<T> {
  const file = cacheDir === null ? undefined : await pgliteTemplateFile(cacheDir);
  if (file === undefined) return withoutTemplate();
  try {
    return await withTemplate(file);
  } catch {
    await rm(file, { force: true });
    return withoutTemplate();
  }
}

/**
 * Runs PGlite in a short-lived child process on `directory` (`memory://`, or a directory
 * without a database), loading `template` when given, and writes the result's tar to `dumpTo`
 * when given. A child because initdb runs in a second, temporary PGlite instance whose
 * ~350 MiB of WASM memory would stay in the server's heap until a major GC (830–900 MiB RSS for
 * the first minute on a fresh data directory); a process returns everything when it exits.
 */
export async function runPgliteChild(directory: string, template: string | undefined, dumpTo: string | undefined): Promise<void> {
  const code = `
    const [url, dir, template, dumpTo] = process.argv.slice(1);
    const fs = await import('node:fs');
    const { PGlite } = await import(url);
    const db = await PGlite.create(dir, template ? { loadDataDir: await fs.openAsBlob(template) } : {});
    if (dumpTo) fs.writeFileSync(dumpTo, Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer()));
    await db.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, pgliteModuleUrl(), directory, template ?? '', dumpTo ?? ''], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`PGlite on ${directory} failed (${code}): ${stderr.slice(-500)}`))));
  });
}

/** Initdb in memory, its tar written next to `file` and renamed into place: a reader never sees half a template. */
async function buildTemplate(file: string): Promise<void> {
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  try {
    await runPgliteChild('memory://', undefined, partial);
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
}

/** The template's path for the installed PGlite, or undefined when `cacheDir` is not private to this user. */
async function templateFile(cacheDir: string): Promise<string | undefined> {
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  // A template is unpacked as a database's files: nobody else may be able to put one there.
  const dir = await stat(cacheDir);
  const uid = process.getuid?.();
  if (uid !== undefined && (dir.uid !== uid || (dir.mode & 0o022) !== 0)) return undefined;
  return path.join(cacheDir, `pglite-${await pgliteVersion()}.tar`);
}

function pgliteModuleUrl(): string {
  return import.meta.resolve('@electric-sql/pglite');
}

let installedVersion: Promise<string> | undefined;

/** The installed PGlite's version: a template is initdb's output of one PGlite build. */
function pgliteVersion(): Promise<string> {
  installedVersion ??= (async () => {
    let dir = path.dirname(fileURLToPath(pgliteModuleUrl()));
    for (;;) {
      const manifest = await readFile(path.join(dir, 'package.json'), 'utf8').catch(() => undefined);
      if (manifest !== undefined) {
        const { name, version } = JSON.parse(manifest) as { name?: string; version?: string };
        if (name === '@electric-sql/pglite' && version !== undefined) return version;
      }
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error('the installed @electric-sql/pglite has no package.json');
      dir = parent;
    }
  })();
  return installedVersion;
}
