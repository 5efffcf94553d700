// What one `emit` costs the runner, counted rather than timed: serialisations, promises, type
// checks, write calls and copies per event (the bench's emit row measures the time).
import { createHook } from 'node:async_hooks';
import { mkdtemp, open as openFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chainDigests } from '../protocol/hash-chain.js';
import { openRunner, type FetchLike, type Runner } from '../runner-client/index.js';
import { RECORD_SLAB_BYTES } from '../runner-client/record-codec.js';
import { Spool } from '../runner-client/spool.js';

/** A network that never answers: nothing leaves, so only emit's own work is counted. */
const silentFetch: FetchLike = (_input, init) =>
  new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true }));

const N = 2000;

describe('the cost of an emit', () => {
  let spoolDir: string;
  let runner: Runner | undefined;

  beforeEach(async () => {
    spoolDir = await mkdtemp(join(tmpdir(), 'runlog-emit-costs-'));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await runner?.close();
    runner = undefined;
    await rm(spoolDir, { recursive: true, force: true });
  });

  /** A spool of one build in this test's directory, one 64 MiB segment, with this durability and cache. */
  const openSpool = (buildId: string, durability: 'group' | 'none', cacheBytes: number) =>
    Spool.open({ spoolDir, buildId, durability, groupCommitMs: 0, segmentBytes: 64 * 1024 * 1024, cacheBytes, maxSpoolBytes: 1024 * 1024 * 1024 });

  const openSilent = async () => (runner = await openRunner({ url: 'http://runlog.test', buildId: 'b1', token: 't', spoolDir, fetch: silentFetch, heartbeatIntervalMs: 0 }));

  it('serialises each event once: N emits of one type → N JSON.stringify calls, a few more for the time stamps', async () => {
    const r = await openSilent();
    await r.emit('log', { line: 'warm-up' });
    const stringify = vi.spyOn(JSON, 'stringify');
    const test = vi.spyOn(RegExp.prototype, 'test');
    const emits = Array.from({ length: N }, (_, i) => r.emit('log', { stream: 'stdout', line: `line ${i}` }));
    // The data of each event, plus one per millisecond the loop spanned (the time's JSON).
    expect(stringify.mock.calls.length).toBeGreaterThanOrEqual(N);
    expect(stringify.mock.calls.length).toBeLessThan(N + 200);
    // The type is checked against the pattern once per change of type, not per event.
    expect(test).toHaveBeenCalledTimes(0);
    stringify.mockRestore();
    test.mockRestore();
    expect(await Promise.all(emits)).toEqual(Array.from({ length: N }, (_, i) => i + 2));
  });

  it('still refuses a bad type right after a good one', async () => {
    const r = await openSilent();
    expect(await r.emit('log', {})).toBe(1);
    for (const bad of [undefined, '', '9bad', 'log ', 42, null]) {
      await expect(r.emit(bad as string, {})).rejects.toMatchObject({ code: 'invalid_event', name: 'InvalidEventError' });
    }
    await expect(r.emit('log', 'é'.repeat(150 * 1024))).rejects.toMatchObject({ code: 'invalid_event' });
    expect(await r.emit('log', {})).toBe(2);
  });

  it('creates one promise per emit: the one it returns', async () => {
    const r = await openSilent();
    await r.emit('log', { line: 'warm-up' });
    let promises = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === 'PROMISE') promises++;
      },
    }).enable();
    const emits = Array.from({ length: N }, (_, i) => r.emit('log', { line: `line ${i}` }));
    hook.disable();
    // (The spool writer's loop starts once, with a few promises of its own.)
    expect(promises).toBeGreaterThanOrEqual(N);
    expect(promises).toBeLessThan(N + 20);
    await Promise.all(emits);
  });

  it('writes a burst of group-durability appends with a few write calls and no copy into one buffer', async () => {
    const spool = await openSpool('b2', 'group', 4 * 1024 * 1024);
    try {
      await spool.append(1, false, '{"type":"log","data":{},"time":null}'); // the segment file exists
      // Count writes of the segment file (every FileHandle shares one prototype).
      const probe = await openFile(join(spoolDir, 'probe'), 'w');
      const proto = Object.getPrototypeOf(probe) as { write(...args: unknown[]): Promise<unknown>; writev(...args: unknown[]): Promise<unknown> };
      await probe.close();
      const write = vi.spyOn(proto, 'write');
      const writev = vi.spyOn(proto, 'writev');
      const concat = vi.spyOn(Buffer, 'concat');
      const payload = (i: number) => `{"type":"log","data":{"stream":"stdout","line":"line ${i} ${'x'.repeat(100)}"},"time":null}`;
      const count = 20_000;
      await Promise.all(Array.from({ length: count }, (_, i) => spool.append(i + 2, false, payload(i + 2))));
      const bytes = count * (17 + payload(20_000).length);
      // One write step per group while the last fsync ran; each sends its records as one view
      // per slab they were encoded into.
      expect(write.mock.calls.length + writev.mock.calls.length).toBeLessThanOrEqual(10);
      const buffersWritten = write.mock.calls.length + writev.mock.calls.reduce((sum, call) => sum + (call[0] as Buffer[]).length, 0);
      expect(buffersWritten).toBeLessThanOrEqual(Math.ceil(bytes / RECORD_SLAB_BYTES) + 10);
      expect(concat).toHaveBeenCalledTimes(0);
      const read = await spool.read(1, count + 1, count + 1, 1e9);
      expect(read.map((r) => r.seq)).toEqual(Array.from({ length: count + 1 }, (_, i) => i + 1));
      expect(read.at(-1)!.payload.toString()).toBe(payload(count + 1));
    } finally {
      await spool.close();
    }
  });

  it('chains acked records the uploader read from disk without reading them again: 0 file reads in advance', async () => {
    // No cache: everything the uploader sends comes from disk.
    const spool = await openSpool('b3', 'none', 0);
    try {
      const events = Array.from({ length: 3000 }, (_, i) => ({ type: 'log', data: { stream: 'stdout', line: `line ${i + 1}` }, time: null }));
      await Promise.all(events.map((e, i) => spool.append(i + 1, false, JSON.stringify(e))));
      // The uploader's three batches, then the server's ack of all three.
      for (const from of [1, 1001, 2001]) expect(await spool.read(from, from + 999, 1000, 1e9)).toHaveLength(1000);
      const probe = await openFile(join(spoolDir, 'probe'), 'w');
      const read = vi.spyOn(Object.getPrototypeOf(probe) as { read(...args: unknown[]): Promise<unknown> }, 'read');
      await probe.close();
      const { digest } = await spool.advance(3000);
      expect(read).toHaveBeenCalledTimes(0);
      expect(digest).toBe(chainDigests('', events.map((e, i) => ({ seq: i + 1, ...e }))));
    } finally {
      await spool.close();
    }
  });

  it('reads and chains a batch from memory in a few promises, not a few per record', async () => {
    const spool = await openSpool('b4', 'none', 64 * 1024 * 1024);
    try {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => spool.append(i + 1, false, `{"type":"log","data":{"line":"line ${i + 1}"},"time":null}`)));
      let promises = 0;
      const hook = createHook({
        init(_id, type) {
          if (type === 'PROMISE') promises++;
        },
      }).enable();
      const records = await spool.read(1, 1000, 1000, 1e9);
      await spool.advance(1000);
      hook.disable();
      expect(records).toHaveLength(1000);
      expect(promises).toBeLessThan(100);
    } finally {
      await spool.close();
    }
  });
});
