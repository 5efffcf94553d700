// The runner's on-disk spool: torn tails, segments, trimming, the chain and the lock.
import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chainDigests } from '../protocol/hash-chain.js';
import { RunnerDefaults } from '../runner-client/options.js';
import { encodeRecord } from '../runner-client/record-codec.js';
import { Spool, type SpoolOptions } from '../runner-client/spool.js';

const payload = (i: number, pad = 0) => Buffer.from(JSON.stringify({ type: 'log', data: { stream: 'stdout', line: `line ${i}${'.'.repeat(pad)}` }, time: null }));
const lines = (records: Array<{ payload: Buffer }>) => records.map((r) => (JSON.parse(r.payload.toString()) as { data: { line: string } }).data.line);

describe('runner spool', () => {
  let spoolDir: string;
  const BUILD = 'spool-b';
  const dir = () => join(spoolDir, BUILD);
  const options = (extra: Partial<SpoolOptions> = {}): SpoolOptions => ({
    spoolDir,
    buildId: BUILD,
    durability: 'fsync-each',
    groupCommitMs: 20,
    segmentBytes: 4 * 1024 * 1024,
    cacheBytes: 0, // read from disk, as after a restart
    maxSpoolBytes: 1024 * 1024 * 1024,
    ...extra,
  });
  const fill = async (spool: Spool, from: number, to: number, pad = 0) => {
    await Promise.all(Array.from({ length: to - from + 1 }, (_, i) => spool.append(from + i, false, payload(from + i, pad))));
  };
  const segmentFiles = async () => (await readdir(dir())).filter((n) => n.startsWith('seg-')).sort();

  beforeEach(async () => {
    spoolDir = await mkdtemp(join(tmpdir(), 'runlog-spool-'));
  });
  afterEach(async () => {
    await rm(spoolDir, { recursive: true, force: true });
  });

  it('discards a torn last record on reopen, and the next append takes its seq', async () => {
    const spool = await Spool.open(options());
    await fill(spool, 1, 5);
    await spool.close();
    const [segment] = await segmentFiles();
    const torn = encodeRecord(6, false, payload(6));
    await appendFile(join(dir(), segment!), torn.subarray(0, torn.length - 7));

    const reopened = await Spool.open(options());
    expect(reopened.state()).toMatchObject({ lastSeq: 5, durableSeq: 5, trimmedTo: 0 });
    expect(lines(await reopened.read(1, 5, 100, 1e9))).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    await reopened.append(6, false, payload(60));
    expect(lines(await reopened.read(1, 6, 100, 1e9)).at(-1)).toBe('line 60');
    await reopened.close();
  });

  it('discards a last record whose CRC does not match', async () => {
    const spool = await Spool.open(options());
    await fill(spool, 1, 3);
    await spool.close();
    const [segment] = await segmentFiles();
    const path = join(dir(), segment!);
    const bytes = await readFile(path);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff; // inside record 3's payload
    await writeFile(path, bytes);
    const reopened = await Spool.open(options());
    expect(reopened.state().lastSeq).toBe(2);
    await reopened.close();
  });

  it('refuses a spool damaged anywhere but its last record', async () => {
    const spool = await Spool.open(options({ segmentBytes: 4096 }));
    await fill(spool, 1, 100, 40);
    await spool.close();
    const segments = await segmentFiles();
    expect(segments.length).toBeGreaterThan(2);
    const path = join(dir(), segments[0]!);
    const bytes = await readFile(path);
    bytes[20] = bytes[20]! ^ 0xff;
    await writeFile(path, bytes);
    await expect(Spool.open(options({ segmentBytes: 4096 }))).rejects.toMatchObject({ name: 'SpoolError', code: 'spool_corrupt' });
  });

  it('rolls segments, reads across them from disk, and deletes the ones an ack frees', async () => {
    const spool = await Spool.open(options({ segmentBytes: 4096 }));
    await fill(spool, 1, 200, 40);
    const segments = await segmentFiles();
    expect(segments.length).toBeGreaterThan(4);
    const all = await spool.read(1, 200, 1000, 1e9);
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // Batches are cut by events and by bytes, but never empty.
    expect((await spool.read(17, 200, 10, 1e9)).map((r) => r.seq)).toEqual([17, 18, 19, 20, 21, 22, 23, 24, 25, 26]);
    expect(await spool.read(17, 200, 10, 1)).toHaveLength(1);

    const events = all.map((r) => ({ seq: r.seq, ...(JSON.parse(r.payload.toString()) as { type: string; data: unknown; time: null }) }));
    const { ack, digest } = await spool.advance(150);
    expect(ack).toBe(150);
    expect(digest).toBe(chainDigests('', events.slice(0, 150)));
    const left = await segmentFiles();
    expect(left.length).toBeLessThan(segments.length);
    expect(Number(left[0]!.slice(4, 20))).toBeLessThanOrEqual(151);
    await spool.close();

    // The meta kept the trim point and the chain; the records above it are all still there.
    const reopened = await Spool.open(options({ segmentBytes: 4096 }));
    expect(reopened.state()).toMatchObject({ trimmedTo: 150, digest, lastSeq: 200 });
    expect((await reopened.read(151, 200, 1000, 1e9)).map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 151));
    expect((await reopened.advance(200)).digest).toBe(chainDigests('', events));
    await reopened.close();
    // Everything acked: only the meta remains.
    expect(await readdir(dir())).toEqual(['meta.json']);
  });

  it('keeps the epoch across reopen and restarts the chain from the server on takeover', async () => {
    const spool = await Spool.open(options());
    await fill(spool, 1, 10);
    await spool.takeOver(4, 'server-digest-at-4', 3);
    expect(spool.state()).toMatchObject({ epoch: 3, trimmedTo: 4, digest: 'server-digest-at-4', lastSeq: 10 });
    await spool.close();
    const reopened = await Spool.open(options());
    expect(reopened.state()).toMatchObject({ epoch: 3, trimmedTo: 4, lastSeq: 10 });
    expect((await reopened.read(5, 10, 100, 1e9)).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    await reopened.close();
  });

  it('lets one process at a time write a spool, and takes over the lock of a dead one', async () => {
    const spool = await Spool.open(options());
    await expect(Spool.open(options())).rejects.toMatchObject({ code: 'spool_locked' });
    await spool.close();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(join(dir(), 'lock'), String(dead));
    const again = await Spool.open(options());
    expect(await readFile(join(dir(), 'lock'), 'utf8')).toBe(String(process.pid));
    await again.close();
  });

  it('resolves a group-durability append at the next group fsync, one per window', async () => {
    const spool = await Spool.open(options({ durability: 'group', groupCommitMs: 20 }));
    await fill(spool, 1, 5);
    // Count fsyncs of the segment files (every FileHandle shares one prototype).
    const probe = await open(join(spoolDir, 'probe'), 'w');
    const sync = vi.spyOn(Object.getPrototypeOf(probe) as { sync(): Promise<void> }, 'sync');
    await probe.close();
    try {
      const started = performance.now();
      for (let i = 6; i <= 25; i++) await spool.append(i, false, payload(i));
      // Each awaited append is made durable by the first fsync after it, never a later one…
      expect(sync).toHaveBeenCalledTimes(20);
      // …and those fsyncs are a window apart (a lower bound: a busy machine only adds to it).
      expect(performance.now() - started).toBeGreaterThan(19 * 20 * 0.75);
    } finally {
      sync.mockRestore();
      await spool.close();
    }
  });

  it('with the default window, starts a group fsync at once: no timer stands between an append and its durability', async () => {
    const spool = await Spool.open(options({ durability: 'group', groupCommitMs: RunnerDefaults.groupCommitMs }));
    await spool.append(1, false, payload(1)); // the segment file and its directory entry exist
    const probe = await open(join(spoolDir, 'probe'), 'w');
    const sync = vi.spyOn(Object.getPrototypeOf(probe) as { sync(): Promise<void> }, 'sync');
    await probe.close();
    // Frozen timers: an append that waited for a window would never resolve.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    try {
      for (let i = 2; i <= 6; i++) await spool.append(i, false, payload(i));
      expect(sync).toHaveBeenCalledTimes(5);
      // Appends made while an fsync runs share the next one.
      sync.mockClear();
      await fill(spool, 7, 506);
      expect(sync.mock.calls.length).toBeGreaterThan(0);
      expect(sync.mock.calls.length).toBeLessThan(50);
    } finally {
      vi.useRealTimers();
      sync.mockRestore();
      await spool.close();
    }
  });

  it('makes concurrent group-durability appends durable together, with far fewer fsyncs than appends', async () => {
    const spool = await Spool.open(options({ durability: 'group', groupCommitMs: 20 }));
    const probe = await open(join(spoolDir, 'probe'), 'w');
    const sync = vi.spyOn(Object.getPrototypeOf(probe) as { sync(): Promise<void> }, 'sync');
    await probe.close();
    try {
      await fill(spool, 1, 500);
      expect(sync.mock.calls.length).toBeGreaterThan(0);
      expect(sync.mock.calls.length).toBeLessThan(10);
    } finally {
      sync.mockRestore();
      await spool.close();
    }
  });
});
