// PROTOCOL §Log lines on every backend: numbering that agrees with the reducer, reads by line
// number, search over the shown text, the raw download, and builds from before the index.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const ESC = '\x1b';
const out = (line: string, extra: Record<string, unknown> = {}) => ({ type: 'log', data: { stream: 'stdout', line, ...extra } });
const err = (line: string) => ({ type: 'log', data: { stream: 'stderr', line } });

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`log lines on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend);
    });
    afterAll(async () => server?.stop());

    const append = async (buildId: string, token: string, from: number, events: unknown[], final = false) => {
      const res = await server.api(`/v1/builds/${buildId}/events`, { token, body: { from, events, final } });
      expect(res.status).toBe(200);
      return res.body;
    };
    const lines = (buildId: string, token: string, query = '') => server.api(`/v1/builds/${buildId}/log/lines${query}`, { token });
    const raw = async (buildId: string, token: string, query = '') => {
      const res = await fetch(`${server.url}/v1/builds/${buildId}/log${query}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
    };

    it('numbers only well-formed log lines, as the reducer counts them, also when a gap fills late', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      // Seqs 4–6 arrive before 1–3: stored above the ack, numbered only once the gap fills.
      await append(buildId, runner, 4, [out('c'), { type: 'log', data: { stream: 'stdout', line: 5 } }, err('d')]);
      expect((await lines(buildId, viewer)).body).toMatchObject({ lines: [], total: 0, ack: 0, next: 0 });
      await append(buildId, runner, 1, [{ type: 'start' }, out('a'), out('b', { toolCallId: 'call-1' })]);
      await append(buildId, runner, 7, [{ type: 'log', data: { stream: 'other', line: 'x' } }, out('e'), { type: 'finish' }], true);
      const page = (await lines(buildId, viewer)).body;
      expect(page.lines.map((l: any) => [l.n, l.seq, l.data.line])).toEqual([[1, 2, 'a'], [2, 3, 'b'], [3, 4, 'c'], [4, 6, 'd'], [5, 8, 'e']]);
      expect(page.lines[1].data).toEqual({ stream: 'stdout', line: 'b', toolCallId: 'call-1' });
      expect(page).toMatchObject({ total: 5, ack: 9, final: 9, next: 5 });
      const state = (await server.api(`/v1/builds/${buildId}/state`, { token: viewer })).body.state;
      expect(state.logs.count).toBe(5);
      expect(state.logs.firstStderr).toBe(4);
    });

    it('pages by after, limit and next, and cuts a page by size after the line that passes it', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, Array.from({ length: 30 }, (_, i) => out(`line ${i + 1}`)));
      const first = (await lines(buildId, viewer, '?after=10&limit=7')).body;
      expect(first.lines.map((l: any) => l.n)).toEqual([11, 12, 13, 14, 15, 16, 17]);
      expect(first.next).toBe(17);
      expect((await lines(buildId, viewer, '?after=30')).body).toMatchObject({ lines: [], next: 30, total: 30 });
      // 24 lines of 200 KB: the 4 MiB page ends with the line that passes it.
      const big = await server.createBuild();
      for (let i = 0; i < 24; i += 4) await append(big.buildId, big.runner, i + 1, Array.from({ length: 4 }, (_, k) => out(`${i + k + 1} `.padEnd(200_000, 'x'))));
      const page = (await lines(big.buildId, big.viewer, '?limit=100')).body;
      expect(page.lines.length).toBe(21); // 20 lines make 4 000 000 bytes < 4 MiB; the 21st passes it
      expect(page.total).toBe(24);
      for (const query of ['?after=-1', '?limit=0', '?limit=10001', '?after=x', '?after=1&after=2']) {
        expect((await lines(buildId, viewer, query)).body.code, query).toBe('invalid_parameter');
      }
    });

    it('searches the whole log by what the lines show, ignoring case, with a count and pages of matches', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const events = Array.from({ length: 2000 }, (_, i) => out(`step ${i + 1}`));
      events[6] = out(`${ESC}[31mUNIQUE${ESC}[0m-marker-seven`);
      events[1500] = out(`${ESC}[1mERR${ESC}[22mOR in ${ESC}]8;;https://x.test${ESC}\\link${ESC}]8;;${ESC}\\`);
      events[1600] = out('progress 33%\rprogress 66%\rprogress 100%');
      await append(buildId, runner, 1, events.slice(0, 1000));
      await append(buildId, runner, 1001, events.slice(1000));
      const search = async (q: string, query = '') => (await server.api(`/v1/builds/${buildId}/log/search?q=${encodeURIComponent(q)}${query}`, { token: viewer })).body;
      expect(await search('unique-MARKER')).toEqual({ q: 'unique-MARKER', count: 1, matches: [7], total: 2000, ack: 2000 });
      expect((await search('error in link')).matches).toEqual([1501]);
      expect((await search('100%')).matches).toEqual([1601]);
      expect((await search('33%')).count).toBe(0); // overwritten: not shown, not found
      expect((await search('[31m')).count).toBe(0); // escape sequences are not text
      const steps = await search('step 1', '&limit=5');
      expect(steps.count).toBe(1 + 10 + 100 + 1000 - 2); // step 1, 10–19, 100–199, 1000–1999, minus lines 1501 and 1601, replaced
      expect(steps.matches).toEqual([1, 10, 11, 12, 13]);
      expect((await search('step 1', '&after=1990&limit=5')).matches).toEqual([1991, 1992, 1993, 1994, 1995]);
      expect(await search('step 1', '&after=2000')).toMatchObject({ count: 1109, matches: [] });
      for (const query of ['', `q=${'x'.repeat(257)}`, 'q=a&q=b', 'q=a&limit=0']) {
        expect((await server.api(`/v1/builds/${buildId}/log/search?${query}`, { token: viewer })).body.code, query).toBe('invalid_parameter');
      }
    });

    it('downloads every line as stored, byte for byte, or without escape sequences with ansi=strip', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const texts = [
        `${ESC}[32mok${ESC}[0m done`,
        'progress 1%\rprogress 50%\rprogress 100%',
        '\r\r\r',
        'caf\u00e9 \ufffd invalid bytes became U+FFFD',
        `cut ${ESC}[38;2;1`,
        '',
        `${ESC}[1m`.repeat(10_000) + 'deep',
        'x'.repeat(150_000),
      ];
      await append(buildId, runner, 1, [{ type: 'start' }, ...texts.map((t, i) => (i === 2 ? err(t) : out(t))), { type: 'status', data: { phase: 'x' } }]);
      const full = await raw(buildId, viewer);
      expect(full.status).toBe(200);
      expect(full.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(full.headers.get('x-content-type-options')).toBe('nosniff');
      expect(full.bytes.equals(Buffer.from(texts.map((t) => `${t}\n`).join(''), 'utf8'))).toBe(true);
      const stripped = await raw(buildId, viewer, '?ansi=strip');
      const strippedText = stripped.bytes.toString('utf8');
      expect(strippedText).not.toContain(ESC);
      expect(strippedText.split('\n').slice(0, 5)).toEqual(['ok done', 'progress 1%\rprogress 50%\rprogress 100%', '\r\r\r', texts[3], 'cut ']);
      // A read token in ?token= works for links; the route is checked against the contract.
      const viaQuery = await server.api(`/v1/builds/${buildId}/log?ansi=keep&token=${viewer}`, { token: null });
      expect(viaQuery.status).toBe(200);
      expect((await server.api(`/v1/builds/${buildId}/log?ansi=no`, { token: viewer })).body.code).toBe('invalid_parameter');
      expect((await server.api(`/v1/builds/${buildId}/log`, { token: null })).status).toBe(401);
      const other = await server.createBuild();
      expect((await server.api(`/v1/builds/${buildId}/log`, { token: other.viewer })).status).toBe(403);
      expect((await server.api('/v1/builds/nope/log')).status).toBe(404);
      expect((await server.api(`/v1/builds/${buildId}/log`, { method: 'POST', body: {} })).status).toBe(405);
    });

    it('downloads a running build up to its ack, and a large log in many small writes', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const count = 12_000;
      for (let from = 1; from <= count; from += 1000) await append(buildId, runner, from, Array.from({ length: 1000 }, (_, i) => out(`${from + i} `.padEnd(200, '.'))));
      await append(buildId, runner, count + 5, [out('beyond a gap')]); // stored, not committed
      const res = await fetch(`${server.url}/v1/builds/${buildId}/log`, { headers: { authorization: `Bearer ${viewer}` } });
      let chunks = 0;
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        chunks++;
        text += decoder.decode(chunk, { stream: true });
      }
      const got = text.split('\n');
      expect(got.pop()).toBe('');
      expect(got.length).toBe(count);
      expect(got[0]).toBe('1 '.padEnd(200, '.'));
      expect(got.at(-1)).toBe(`${count} `.padEnd(200, '.'));
      expect(chunks).toBeGreaterThan(1); // 2.4 MB came in pages of at most 1 MiB, not as one buffer
    });

    it('indexes a build written before the index existed on its first read, and numbers new lines after it', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, [out('one'), { type: 'start-step' }, err('two'), out('three')]);
      // As the migration leaves an older build: nothing indexed.
      const db = server.database.db;
      await sql`DELETE FROM log_lines WHERE build_id = ${buildId}`.execute(db);
      await sql`UPDATE builds SET log_lines = 0, log_lines_seq = 0 WHERE build_id = ${buildId}`.execute(db);
      await append(buildId, runner, 5, [out('four')]); // the commit leaves a stale index alone
      expect((await lines(buildId, viewer)).body.lines.map((l: any) => [l.n, l.data.line])).toEqual([[1, 'one'], [2, 'two'], [3, 'three'], [4, 'four']]);
      await append(buildId, runner, 6, [out('five')]);
      const page = (await lines(buildId, viewer, '?after=3')).body;
      expect(page.lines.map((l: any) => [l.n, l.seq])).toEqual([[4, 5], [5, 6]]);
      expect((await server.api(`/v1/builds/${buildId}/log/search?q=two`, { token: viewer })).body.matches).toEqual([2]);
    });

    it('forgets the lines of a deleted build; the id made again starts from line 1', async () => {
      const { buildId, runner } = await server.createBuild('lines-recreated');
      await append(buildId, runner, 1, [out('old 1'), out('old 2')]);
      expect((await server.api(`/v1/builds/${buildId}`, { method: 'DELETE' })).status).toBe(204);
      const again = await server.createBuild('lines-recreated');
      await append(buildId, again.runner, 1, [out('new 1')]);
      expect((await lines(buildId, again.viewer)).body.lines.map((l: any) => l.data.line)).toEqual(['new 1']);
    });
  });
}
