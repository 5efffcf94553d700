// The build page across trouble, in real Chromium: a connection cut for 3 s mid-build shows
// "reconnecting", then "live", and leaves every event on the page exactly once; a page
// opened after 5 000 events starts from the /state snapshot and streams only what follows.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventInput } from '../../protocol/schemas.js';
import { PGLITE } from '../support/backends.js';
import { BROWSER_UNAVAILABLE, launchBrowser, openPage } from '../support/browser.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { expectedView, readPageView } from '../support/web-dom.js';
import { HttpRunner, agentBuildBatches, logLines, readLog, textDeltas } from '../support/web-runner.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(BROWSER_UNAVAILABLE !== undefined)('build page resume in Chromium', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: 3 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.stop();
  });

  it('shows reconnecting while its connection is cut for 3 s, then live, and ends with every event once', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    const run = new HttpRunner(server.url, buildId, runner);
    await run.emit([{ type: 'start' }, { type: 'status', data: { phase: 'build' } }]);
    const { page, close } = await openPage(browser);
    const streams: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/stream')) streams.push(request.url());
    });
    try {
      await page.goto(`${proxy.url}/builds/${buildId}?token=${viewer}`);
      await page.waitForSelector('.conn[data-conn="live"]');

      // The runner goes on all along (straight to the server); only the browser is cut off.
      const words = textDeltas('t1', Array.from({ length: 60 }, (_, i) => `word${i + 1}`).join(' '));
      let line = 1;
      const step = (i: number): EventInput[] => {
        const lines = logLines(line, 6);
        line += 6;
        return [...lines, ...words.slice(i * 2, i * 2 + 2), { type: 'data-progress', data: { data: i } }];
      };
      let stop = false;
      const emitting = (async () => {
        for (let i = 0; !stop || i < 31; i++) {
          await run.emit(step(i));
          await sleep(80);
        }
      })();

      await sleep(800);
      const cutAt = Date.now();
      proxy.pause({ severOpen: true });
      await page.waitForSelector('.conn[data-conn="reconnecting"]', { timeout: 5000 });
      await page.waitForFunction(() => /^reconnecting for [1-9]/.test(document.querySelector('.conn')?.textContent ?? ''), null, { timeout: 5000 });
      await sleep(3000 - (Date.now() - cutAt));
      proxy.resume();
      await page.waitForSelector('.conn[data-conn="live"]', { timeout: 15_000 });
      stop = true;
      await emitting;
      await run.emit([{ type: 'finish', data: { status: 'failed' } }], { final: true });
      await page.waitForSelector('[data-testid="build-status"][data-status="failed"]');
      await page.waitForSelector('.conn[data-conn="complete"]');

      const log = await readLog(server.url, buildId, viewer);
      const view = await readPageView(page);
      expect(view).toEqual(expectedView(log, 'failed'));
      // The rows on screen each show one line, once.
      const rendered = await page.$$eval('.log-scroll .lrow.line', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.n)));
      expect(rendered.length).toBeGreaterThan(0);
      expect(new Set(rendered).size).toBe(rendered.length);
      expect(view.texts.t1).toBe(words.map((w) => (w.data as { delta?: string }).delta ?? '').join(''));
      expect(streams.length).toBeGreaterThanOrEqual(2); // it did reconnect
    } finally {
      await close();
    }
  });

  it('opens mid-build after 5000 events from the snapshot and continues live without replaying from 0', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    const run = new HttpRunner(server.url, buildId, runner);
    const agent = agentBuildBatches().flat().filter((e) => e.type !== 'finish');
    await run.emit([...agent, ...logLines(1, 5000 - agent.length)]);
    expect(run.nextSeq).toBe(5001);

    const { page, consoleErrors, close } = await openPage(browser);
    const requests: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/v1/')) requests.push(url.pathname + url.search.replace(/token=[^&]+/, 'token=…'));
    });
    try {
      await page.goto(`${proxy.url}/builds/${buildId}?token=${viewer}`);
      await page.waitForSelector('.conn[data-conn="live"]');
      await page.waitForSelector('[data-testid="event-count"][data-count="5000"]');
      const source = page.locator('[data-testid="stream-source"]');
      expect(await source.getAttribute('data-snapshot-seq')).toBe('5000');
      expect(await source.getAttribute('data-stream-events')).toBe('0');

      await run.emit(logLines(5001, 20));
      await page.waitForSelector('[data-testid="event-count"][data-count="5020"]');
      await run.emit([{ type: 'finish' }], { final: true });
      await page.waitForSelector('.conn[data-conn="complete"]');
      expect(await source.getAttribute('data-stream-events')).toBe('21');

      // The events come from the snapshot and the stream only; the log panel reads pages of
      // lines by number, near the end it opened at, never the log from line 1.
      const lineReads = requests.filter((r) => r.startsWith(`/v1/builds/${buildId}/log/lines?`));
      expect(requests.filter((r) => !lineReads.includes(r))).toEqual([
        `/v1/builds/${buildId}`,
        `/v1/builds/${buildId}/state`,
        `/v1/builds/${buildId}/stream?after=5000&token=…`,
      ]);
      expect(lineReads.length).toBeGreaterThan(0);
      for (const read of lineReads) expect(Number(new URLSearchParams(read.split('?')[1]).get('after')), read).toBeGreaterThanOrEqual(4000);
      const log = await readLog(server.url, buildId, viewer);
      expect(await readPageView(page)).toEqual(expectedView(log, 'succeeded'));
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
  });
});
