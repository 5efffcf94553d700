// The small files beside a spool's segments: `meta.json` (written atomically) and `lock`
// (the pid of the one process allowed to write the spool).
import { constants } from 'node:fs';
import { open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError } from './errors.js';

/** What a spool remembers besides its events. Independent of the server URL. */
export interface SpoolMeta {
  readonly version: 1;
  readonly buildId: string;
  /** The fencing epoch every batch carries (PROTOCOL §Append rule 5). */
  readonly epoch: number;
  /** Every event ≤ this is acked; records ≤ it may still sit in segments but are never sent. */
  readonly trimmedTo: number;
  /** The hash chain at `trimmedTo` (PROTOCOL §Integrity). */
  readonly digest: string;
  /** The build's final seq once it was trimmed past (its record may be gone). */
  readonly final: number | null;
}

const META_FILE = 'meta.json';
const LOCK_FILE = 'lock';

export async function readMeta(dir: string): Promise<SpoolMeta | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, META_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let meta: SpoolMeta;
  try {
    meta = JSON.parse(text) as SpoolMeta;
  } catch (cause) {
    // Never torn: it is only ever replaced by rename.
    throw new SpoolError('spool_corrupt', `${join(dir, META_FILE)} is not JSON`, { cause });
  }
  if (meta.version !== 1 || !Number.isSafeInteger(meta.epoch) || !Number.isSafeInteger(meta.trimmedTo) || typeof meta.digest !== 'string') {
    throw new SpoolError('spool_corrupt', `${join(dir, META_FILE)} is not a version 1 spool meta`);
  }
  return { ...meta, final: meta.final ?? null };
}

/** Write to a temporary file, fsync it, rename over the old one, fsync the directory. */
export async function writeMeta(dir: string, meta: SpoolMeta, durable: boolean): Promise<void> {
  const tmp = join(dir, `${META_FILE}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(meta));
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, META_FILE));
  if (durable) await syncDirectory(dir);
}

/** Makes file creations, renames and deletions in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Spools this process holds, so a pid equal to ours in a lock file can tell "us" from "a dead process we replaced". */
const heldHere = new Set<string>();

/**
 * Takes the spool's lock: a file holding our pid, created exclusively. A lock whose process is
 * gone (a crash, `kill -9`) is stale and taken over; a live one is a SpoolError `spool_locked`.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  for (let tries = 0; tries < 2; tries++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      heldHere.add(dir);
      return async () => {
        heldHere.delete(dir);
        await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    const ownerAlive = Number.isInteger(owner) && (owner === process.pid ? heldHere.has(dir) : processAlive(owner));
    if (ownerAlive) throw new SpoolError('spool_locked', `The spool ${dir} is in use by process ${owner}`);
    await unlink(path).catch(() => {});
  }
  throw new SpoolError('spool_locked', `The spool ${dir} is being taken by another process`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
