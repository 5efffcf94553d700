// The dashboard in Chromium for an AI SDK agent build: a tool waiting for a person's approval
// is shown at the top with its input and age, a denied call reads apart from a failed one,
// sources are safe links and files show name and type. Screenshots at 375 and 1440 px.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkToEvent, type Chunk } from '../support/ai-sdk-reference.js';
import { SCENARIOS, scenarioChunks } from '../support/ai-sdk-scenarios.js';
import { PGLITE } from '../support/backends.js';
import { BROWSER_UNAVAILABLE, WIDTHS, launchBrowser, openPage, screenshot } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { HttpRunner } from '../support/web-runner.js';

describe.skipIf(BROWSER_UNAVAILABLE !== undefined)('dashboard: approvals, denials, sources and files', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the tool waiting for approval prominently, with its input and age, until the answer comes', async () => {
    const { buildId, runner, viewer } = await server.createBuild(undefined, { name: 'agent: ship the release' });
    const extra: Chunk[] = [
      { type: 'source-url', sourceId: 'evil', url: 'javascript:alert(document.domain)', title: 'click me' },
      { type: 'file', url: 'https://files.example.com/out/release-notes.pdf', mediaType: 'application/pdf' },
    ];
    const chunks = [
      ...(await scenarioChunks(SCENARIOS['tool error']!)),
      ...(await scenarioChunks(SCENARIOS['denied by a rule']!)),
      ...(await scenarioChunks(SCENARIOS.sources!)),
      ...(await scenarioChunks(SCENARIOS.files!)),
      ...extra,
      ...(await scenarioChunks(SCENARIOS['approval requested']!)),
    ];
    const run = new HttpRunner(server.url, buildId, runner);
    await run.emit(chunks.map(chunkToEvent));
    const approvalId = chunks.findLast((c) => c.type === 'tool-approval-request')!['approvalId'] as string;

    const { page, consoleErrors, close } = await openPage(browser, WIDTHS.desktop);
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      await page.goto(`${server.url}/builds/${buildId}?token=${viewer}`);
      const block = page.locator('[data-testid="approvals"]');
      await block.waitFor({ state: 'visible' });
      expect(await block.locator('.approval-line').textContent()).toBe('waiting for approval: deploy {"env":"prod"}');
      expect(await block.locator(`li[data-approval-id="${approvalId}"]`).count()).toBe(1);
      await page.waitForFunction(() => /^\d+ s$/.test(document.querySelector('[data-testid="approval-age"]')?.textContent ?? ''));
      // It sits above everything else the page shows about the build.
      const [blockBox, toolsBox] = await Promise.all([block.boundingBox(), page.locator('.tools').boundingBox()]);
      expect(blockBox!.y).toBeLessThan(toolsBox!.y);
      expect(await page.title()).toMatch(/^waiting for approval · /);

      // The waiting call, the call denied by a rule, and the call that failed each read differently.
      const waiting = page.locator('li.tool[data-tool-call-id="call-deploy"]');
      expect(await waiting.getAttribute('data-state')).toBe('approval-requested');
      expect(await waiting.locator('.badge').textContent()).toBe('waiting for approval');
      const denied = page.locator('li.tool[data-tool-call-id="call-rule"]');
      expect(await denied.getAttribute('data-state')).toBe('output-denied');
      expect(await denied.locator('.badge').textContent()).toBe('denied');
      expect(await denied.locator('.tool-note').textContent()).toBe('Denied by a rule: production is frozen');
      expect(await denied.locator('.is-error').count()).toBe(0);
      const failed = page.locator('li.tool[data-tool-call-id="call-t"]');
      expect(await failed.getAttribute('data-state')).toBe('error');
      expect(await failed.locator('.io.is-error pre').textContent()).toBe('Error: disk full');

      // Sources: links that open apart from the page; a javascript: URL stays text.
      const docs = page.locator('[data-testid="sources"] a', { hasText: 'AI SDK docs' });
      expect(await docs.getAttribute('href')).toBe('https://ai-sdk.dev/docs');
      expect(await docs.getAttribute('rel')).toBe('noopener noreferrer');
      expect(await docs.getAttribute('target')).toBe('_blank');
      expect(await page.locator('[data-testid="sources"] li[data-source-id="src-2"]').textContent()).toBe('Designdesign.pdf · application/pdf');
      expect(await page.locator('[data-testid="sources"] li[data-source-id="evil"] a').count()).toBe(0);
      expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
      // Files: name and type; a data: URL file is named but not linked.
      const files = await page.locator('[data-testid="files"] li').evaluateAll((items) =>
        items.map((li) => [li.querySelector('.file-name')?.textContent, li.querySelector('.media-type')?.textContent, li.querySelector('a')?.getAttribute('href') ?? null]),
      );
      expect(files).toEqual([
        ['unnamed file', 'image/png', null],
        ['reasoning file', 'text/plain', null],
        ['release-notes.pdf', 'application/pdf', 'https://files.example.com/out/release-notes.pdf'],
      ]);

      await screenshot(page, 'approval-1440');
      await page.setViewportSize({ width: WIDTHS.phone, height: 800 });
      await page.waitForTimeout(100);
      // Nothing runs off a phone's screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTHS.phone);
      await screenshot(page, 'approval-375');

      // The person approves; the agent records the answer and continues: the block goes away.
      await run.emit([{ type: 'tool-approval-response', data: { approvalId, approved: true, reason: 'go ahead' } }, { type: 'start', data: { messageId: 'msg-waiting' } }, { type: 'tool-output-available', data: { toolCallId: 'call-deploy', output: { deployed: 'prod' } } }]);
      await block.waitFor({ state: 'hidden' });
      expect(await waiting.getAttribute('data-state')).toBe('output-available');
      expect(await waiting.locator('.tool-note').textContent()).toBe('Approved: go ahead');
      expect(dialogs).toEqual([]);
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
  });
});
