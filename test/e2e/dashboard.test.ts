// The dashboard in real Chromium: an agent build streams onto the build page exactly as the
// log says, the list updates live, the page is safe with hostile event data, reachable by
// keyboard, uses at most two connections, and is screenshotted at 375 and 1440 px.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGLITE } from '../support/backends.js';
import { BROWSER_UNAVAILABLE, WIDTHS, launchBrowser, openPage, screenshot } from '../support/browser.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { expectedView, readPageView } from '../support/web-dom.js';
import { AGENT_TEXT, AGENT_TOOLS, HttpRunner, agentBuildBatches, logLines, readAllToken, readLog } from '../support/web-runner.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(BROWSER_UNAVAILABLE !== undefined)('dashboard in Chromium', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    // Browsers go through a proxy that counts their connections; runners append directly.
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: 1 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.stop();
  });

  it('shows an agent build as it streams: each tool call in its state, the text, and succeeded', async () => {
    const { buildId, runner, viewer } = await server.createBuild(undefined, { name: 'agent: fix the failing import' });
    const { page, consoleErrors, close } = await openPage(browser, WIDTHS.desktop);
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      const response = await page.goto(`${proxy.url}/builds/${buildId}?token=${viewer}`);
      expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
      await page.waitForSelector('.conn[data-conn="live"]');
      // The token left the address bar for sessionStorage.
      expect(new URL(page.url()).search).toBe('');
      expect(await page.evaluate(() => sessionStorage.getItem('runlog.token'))).toBe(viewer);

      const run = new HttpRunner(server.url, buildId, runner);
      const batches = agentBuildBatches();
      for (const [i, batch] of batches.entries()) {
        await run.emit(batch, { final: i === batches.length - 1 });
        // Each tool call shows the state its last event put it in, while the build streams.
        const last = [...batch].reverse().find((e) => e.type.startsWith('tool-'));
        if (last) {
          const id = (last.data as { toolCallId: string }).toolCallId;
          const state = { 'tool-input-delta': 'input-streaming', 'tool-input-available': 'input-available' }[last.type] ?? (last.type === 'tool-output-error' ? 'error' : 'output-available');
          await page.waitForSelector(`li.tool[data-tool-call-id="${id}"][data-state="${state}"]`, { timeout: 10_000 });
        }
        await sleep(40);
      }
      await page.waitForSelector('[data-testid="build-status"][data-status="succeeded"]');
      await page.waitForSelector('.conn[data-conn="complete"]');

      const log = await readLog(server.url, buildId, viewer);
      const view = await readPageView(page);
      expect(view).toEqual(expectedView(log, 'succeeded'));
      expect(view.eventCount).toBe(log.length);
      expect(view.tools.map((t) => [t.id, t.name, t.state])).toEqual(
        AGENT_TOOLS.map((t) => [t.toolCallId, t.toolName, t.errorText === undefined ? 'output-available' : 'error']),
      );
      // Markup in event data stays text: no element was made from it, no script ran.
      expect(view.texts.t1).toBe(AGENT_TEXT);
      expect(await page.locator('main img, main script, main b').count()).toBe(0);
      expect(await page.locator('li.tool[data-tool-call-id="call-3"] .io.is-error pre').textContent()).toBe('search index unavailable <b>503</b>');
      expect(dialogs).toEqual([]);
      expect(await page.locator('text=succeeded').first().isVisible()).toBe(true);

      // Input and output open as pretty JSON.
      await page.click('li.tool[data-tool-call-id="call-2"] details:first-of-type summary');
      await page.click('li.tool[data-tool-call-id="call-2"] details.io >> nth=1 >> summary');
      expect(await page.locator('li.tool[data-tool-call-id="call-2"] details.io >> nth=0 >> pre').textContent()).toBe(JSON.stringify(AGENT_TOOLS[1]!.input, null, 2));
      expect(await page.locator('li.tool[data-tool-call-id="call-2"] details.io >> nth=1 >> pre').textContent()).toBe(JSON.stringify(AGENT_TOOLS[1]!.output, null, 2));

      await screenshot(page, 'build-1440');
      await page.setViewportSize({ width: WIDTHS.phone, height: 800 });
      await expectNoHorizontalScroll(page);
      await screenshot(page, 'build-375');
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('uses at most two connections for a build page while the build streams', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    const { page, close } = await openPage(browser);
    const before = proxy.counts().connections;
    let maxOpen = 0;
    const sampler = setInterval(() => (maxOpen = Math.max(maxOpen, proxy.openConnections())), 2);
    try {
      await page.goto(`${proxy.url}/builds/${buildId}?token=${viewer}`);
      await page.waitForSelector('.conn[data-conn="live"]');
      const run = new HttpRunner(server.url, buildId, runner);
      for (let i = 0; i < 10; i++) {
        await run.emit(logLines(i * 20 + 1, 20));
        await sleep(100);
      }
      await page.waitForSelector('[data-testid="event-count"][data-count="200"]');
      const opened = proxy.counts().connections - before;
      if (process.env.RUNLOG_TEST_LOG) console.log(`build page connections: ${opened} opened, ${maxOpen} open at most`);
      expect(maxOpen).toBeLessThanOrEqual(2);
      expect(opened).toBeLessThanOrEqual(2);
    } finally {
      clearInterval(sampler);
      await close();
    }
  });

  it('lists builds newest first, live, and opens a build by click or keyboard', async () => {
    const done = await server.createBuild(undefined, { name: 'finished build' });
    await new HttpRunner(server.url, done.buildId, done.runner).emit([{ type: 'start' }, ...logLines(1, 3), { type: 'finish' }], { final: true });
    const running = await server.createBuild(undefined, { name: 'running build' });
    const runningRunner = new HttpRunner(server.url, running.buildId, running.runner);
    await runningRunner.emit([{ type: 'start' }, ...logLines(1, 2)]);
    const token = await readAllToken(server.url, server.adminToken);

    const { page, consoleErrors, close } = await openPage(browser);
    try {
      await page.goto(`${proxy.url}/?token=${token}`);
      await page.waitForSelector(`tr[data-build-id="${running.buildId}"]`);
      const order = () => page.$$eval('tbody tr[data-build-id]', (rows) => rows.map((r) => (r as HTMLElement).dataset.buildId!));
      const ids = await order();
      expect(ids.indexOf(running.buildId)).toBeLessThan(ids.indexOf(done.buildId));
      expect(await page.textContent(`tr[data-build-id="${done.buildId}"] .status`)).toBe('complete');

      // Live: a new build appears on top; the running one's count and status move.
      const fresh = await server.createBuild(undefined, { name: 'just created' });
      await page.waitForSelector(`tr[data-build-id="${fresh.buildId}"]`);
      expect((await order())[0]).toBe(fresh.buildId);
      await runningRunner.emit([...logLines(3, 4), { type: 'finish' }], { final: true });
      const row = `tr[data-build-id="${running.buildId}"]`;
      await page.waitForFunction((sel) => document.querySelector(`${sel} .status`)?.textContent === 'complete', row);
      expect(await page.textContent(`${row} td.num`)).toBe('8');
      expect(consoleErrors).toEqual([]);

      await screenshot(page, 'list-1440');
      await page.setViewportSize({ width: WIDTHS.phone, height: 800 });
      await expectNoHorizontalScroll(page);
      await screenshot(page, 'list-375');

      // A click anywhere on the row opens the build.
      await page.click(`${row} td:nth-child(5)`);
      await page.waitForURL(`**/builds/${running.buildId}`);
      await page.waitForSelector('[data-testid="build-status"][data-status="succeeded"]');
      await page.goBack();

      // The keyboard reaches every build link; Enter opens it.
      await page.waitForSelector(`tr[data-build-id="${fresh.buildId}"] a`);
      let focused = '';
      for (let i = 0; i < 20 && focused !== fresh.buildId; i++) {
        await page.keyboard.press('Tab');
        focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
      }
      expect(focused).toBe(fresh.buildId);
      await page.keyboard.press('Enter');
      await page.waitForURL(`**/builds/${fresh.buildId}`);
      await page.waitForSelector('.conn[data-conn="live"]');
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('asks for a token when it has none or the server refuses it, and keeps the one entered', async () => {
    const { viewer } = await server.createBuild();
    const token = await readAllToken(server.url, server.adminToken);
    const { page, consoleErrors, close } = await openPage(browser, WIDTHS.phone);
    try {
      const urls: string[] = [];
      page.on('request', (request) => urls.push(request.url()));
      await page.goto(`${proxy.url}/`);
      await page.fill('#token-input', viewer); // a one-build token may not list builds: 403
      await page.keyboard.press('Enter');
      await page.waitForSelector('.conn[data-conn="error"]');
      expect(await page.textContent('.token-panel')).toContain('may not read this');
      // The admin token is turned away by the page itself: it never goes into a URL.
      await page.fill('#token-input', server.adminToken);
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('.token-panel')?.textContent?.includes('not a read token'));
      expect(urls.filter((url) => url.includes(encodeURIComponent(server.adminToken)) || url.includes(server.adminToken))).toEqual([]);
      await page.fill('#token-input', token);
      await page.keyboard.press('Enter');
      await page.waitForSelector('.conn[data-conn="live"]');
      await page.waitForSelector('tbody tr[data-build-id]');
      expect(await page.evaluate(() => sessionStorage.getItem('runlog.token'))).toBe(token);
      expect(consoleErrors.filter((e) => !e.includes('403'))).toEqual([]);
    } finally {
      await close();
    }
  });
});

async function expectNoHorizontalScroll(page: import('playwright-core').Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}
