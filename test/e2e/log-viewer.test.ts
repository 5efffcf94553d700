// The whole build log in real Chromium (PROTOCOL §Log lines): a 200 000-line build opens at its
// end with a bounded number of rows in the DOM, search reaches lines never rendered, #L links,
// ANSI colours and links, progress lines, steps that fold, the raw download, follow mode on a
// live build, a failed build opened at its error (screenshots), and hostile lines. Timings are
// printed, never asserted.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitDefaults } from '../../protocol/limits.js';
import { PGLITE, POSTGRES } from '../support/backends.js';
import { BROWSER_UNAVAILABLE, WIDTHS, launchBrowser, openPage, screenshot } from '../support/browser.js';
import { MARKED_LINES, MARKER_7, MARKER_LATE, appendFast, bigBuildEvents, bigLogLine } from '../support/log-build.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { HttpRunner } from '../support/web-runner.js';

const BIG_LINES = 200_000;
const BIG_STEPS = 4;
/** Rows the panel may hold in the DOM: a viewport of ~36 rows plus 20 each side, with slack. */
const MAX_DOM_ROWS = 120;
const ESC = '\x1b';
/** Only SGR and OSC 8 occur in the test's lines: enough to strip them independently of the server. */
const stripForTest = (s: string) => s.replace(/\x1b\[[0-9;:]*m/g, '').replace(/\x1b\]8;[^\x1b\x07]*(\x1b\\|\x07)/g, '');

const figures: string[] = [];
const note = (line: string) => {
  figures.push(line);
  console.log(`[log viewer] ${line}`);
};

describe.skipIf(BROWSER_UNAVAILABLE !== undefined)('the whole build log in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let big: { buildId: string; runner: string; viewer: string };

  beforeAll(async () => {
    // PostgreSQL when there is one (always in CI): it stores the 200 000 lines faster than the
    // in-process PGlite. Larger limits than the defaults so that a 1 MB line can be stored (Bad input).
    const backend = POSTGRES.unavailable === undefined ? POSTGRES : PGLITE;
    server = await startTestServer(backend, { limits: { ...LimitDefaults, maxEventDataBytes: 2 * 1024 * 1024, maxBodyBytes: 4 * 1024 * 1024 } });
    browser = await launchBrowser();
    big = await server.createBuild('big-log', { name: '200 000 lines' });
    const started = performance.now();
    await appendFast(server.url, big.buildId, big.runner, bigBuildEvents(BIG_LINES, BIG_STEPS), { final: true, parallel: 4 });
    note(`200 000-line build appended over HTTP (${backend.name}) in ${Math.round(performance.now() - started)} ms`);
    // The server folds /state on its first request (state-snapshots.ts); measured here, apart
    // from the viewer, and warm for the page as it would be for a build that was just watched.
    const folded = performance.now();
    const state = await fetch(`${server.url}/v1/builds/${big.buildId}/state`, { headers: { authorization: `Bearer ${big.viewer}` } });
    expect(state.status).toBe(200);
    await state.arrayBuffer();
    note(`first /state of the 200 000-line build (server folds 200 010 events): ${Math.round(performance.now() - folded)} ms`);
  }, 180_000);
  afterAll(async () => {
    if (figures.length > 0) console.log(`[log viewer] figures:\n  ${figures.join('\n  ')}`);
    await browser?.close();
    await server?.stop();
  });

  const open = async (page: Page, buildId: string, token: string, hash = '') => {
    await page.goto(`${server.url}/builds/${buildId}?token=${token}${hash}`);
    await page.waitForSelector('.log-panel[data-ready="true"]', { timeout: 30_000 });
    return Number(await page.getAttribute('.log-panel', 'data-ready-ms'));
  };
  const rowCount = (page: Page) => page.locator('.log-scroll .lrow').count();
  /** Line numbers whose rows are inside the scroller's visible box. */
  const visibleLines = (page: Page) =>
    page.evaluate(() => {
      const box = document.querySelector('.log-scroll')!.getBoundingClientRect();
      return Array.from(document.querySelectorAll<HTMLElement>('.log-scroll .lrow.line'))
        .filter((r) => {
          const b = r.getBoundingClientRect();
          return b.top >= box.top - 1 && b.bottom <= box.bottom + 1;
        })
        .map((r) => Number(r.dataset.n))
        .sort((a, b) => a - b);
    });
  const rowText = (page: Page, n: number) => page.textContent(`.log-scroll .lrow.line[data-n="${n}"] .lc`);

  it('opens a finished 200 000-line build at its last lines, with few rows in the DOM', async () => {
    const { page, consoleErrors, close } = await openPage(browser, WIDTHS.desktop);
    try {
      const first = await open(page, big.buildId, big.viewer);
      note(`open at end: ${first} ms from navigation to the last lines shown`);
      const again = await open(page, big.buildId, big.viewer);
      note(`open at end, again: ${again} ms`);
      expect(await page.getAttribute('.log-panel', 'data-lines')).toBe(String(BIG_LINES));
      const shown = await visibleLines(page);
      expect(shown.at(-1)).toBe(BIG_LINES);
      expect(await rowText(page, BIG_LINES)).toBe(stripForTest(bigLogLine(BIG_LINES)));
      const rows = await rowCount(page);
      note(`rows in the DOM at the end: ${rows}`);
      expect(rows).toBeLessThanOrEqual(MAX_DOM_ROWS);
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('keeps the DOM row count bounded while scrolling from the top to the bottom, lines loading as they come into view', async () => {
    const { page, consoleErrors, close } = await openPage(browser, WIDTHS.desktop);
    try {
      await open(page, big.buildId, big.viewer);
      await page.focus('.log-scroll');
      await page.keyboard.press('Home');
      await page.waitForSelector('.log-scroll .lrow.line[data-n="1"]:not(.loading)');
      expect(await rowText(page, 1)).toBe(stripForTest(bigLogLine(1)));
      let maxRows = 0;
      const height = await page.evaluate(() => document.querySelector('.log-scroll')!.scrollHeight);
      for (let step = 1; step <= 25; step++) {
        await page.evaluate((top) => {
          document.querySelector('.log-scroll')!.scrollTop = top;
        }, (height * step) / 25);
        await page.waitForTimeout(25);
        maxRows = Math.max(maxRows, await rowCount(page));
      }
      // At the bottom the last lines load and show their text.
      await page.waitForSelector(`.log-scroll .lrow.line[data-n="${BIG_LINES}"]:not(.loading)`);
      const mid = 100_000;
      await page.evaluate((top) => {
        document.querySelector('.log-scroll')!.scrollTop = top;
      }, (height * (mid + 3)) / (BIG_LINES + BIG_STEPS));
      await page.waitForSelector(`.log-scroll .lrow.line[data-n="${mid}"]:not(.loading)`);
      expect(await rowText(page, mid)).toBe(stripForTest(bigLogLine(mid)));
      note(`rows in the DOM while scrolling top to bottom: at most ${maxRows}`);
      expect(maxRows).toBeLessThanOrEqual(MAX_DOM_ROWS);
      const cached = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/log/lines')).length);
      note(`line pages read while scrolling: ${cached}`);
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('finds a marker in line 7 and one in line 199 993 across the whole log and scrolls to each', async () => {
    const { page, consoleErrors, close } = await openPage(browser, WIDTHS.desktop);
    try {
      await open(page, big.buildId, big.viewer);
      // `/` takes the reader to the search field.
      await page.focus('.log-scroll');
      await page.keyboard.press('/');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('log-search');
      for (const [marker, line] of [
        [MARKER_7, MARKED_LINES.marker7],
        [MARKER_LATE, MARKED_LINES.late],
      ] as const) {
        await page.fill('#log-search', marker);
        const started = await page.evaluate(() => performance.now());
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.querySelector('[data-testid="search-status"]')?.textContent === '1 of 1');
        const answered = await page.evaluate(() => performance.now());
        await page.waitForSelector(`.log-scroll .lrow.line.current[data-n="${line}"]:not(.loading)`);
        const shown = await page.evaluate(() => performance.now());
        note(`search for the marker in line ${line}: ${Math.round(answered - started)} ms to the count, ${Math.round(shown - started)} ms to the line shown`);
        expect(await visibleLines(page)).toContain(line);
        expect(await page.textContent(`.log-scroll .lrow.line[data-n="${line}"] mark`)).toBe(marker);
      }
      // Ctrl+F inside the log goes to the search field too.
      await page.focus('.log-scroll');
      await page.keyboard.press('Control+f');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('log-search');
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('opens #L1234 on reload with line 1234 highlighted, selects a range with shift-click, and copies it', async () => {
    const { page, context, consoleErrors, close } = await openPage(browser, WIDTHS.desktop);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    try {
      await open(page, big.buildId, big.viewer, '#L1234');
      await page.reload();
      await page.waitForSelector('.log-panel[data-ready="true"]');
      expect(new URL(page.url()).hash).toBe('#L1234');
      await page.waitForSelector('.log-scroll .lrow.line.selected[data-n="1234"]:not(.loading)');
      expect(await visibleLines(page)).toContain(1234);
      expect(await page.locator('.log-scroll .lrow.line.selected').count()).toBe(1);

      await page.click('.log-scroll .lrow.line[data-n="1230"] a.ln');
      await page.click('.log-scroll .lrow.line[data-n="1233"] a.ln', { modifiers: ['Shift'] });
      expect(new URL(page.url()).hash).toBe('#L1230-L1233');
      expect(await page.locator('.log-scroll .lrow.line.selected').count()).toBe(4);
      // From the keyboard: focus the button, press Enter.
      await page.focus('[data-testid="copy-lines"]');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /4 lines copied/.test(document.querySelector('.log-feedback')?.textContent ?? ''));
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied).toBe([1230, 1231, 1232, 1233].map((n) => stripForTest(bigLogLine(n)).replace(/^[^]*\r/, '')).join('\n'));
      await page.focus('[data-testid="copy-link"]');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /link copied/.test(document.querySelector('.log-feedback')?.textContent ?? ''));
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${server.url}/builds/${big.buildId}#L1230-L1233`);
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('colours red text, shows a progress line at its last state, links URLs and refuses a javascript: OSC 8 link', async () => {
    const { page, consoleErrors, close } = await openPage(browser, WIDTHS.desktop);
    try {
      await open(page, big.buildId, big.viewer, `#L${MARKED_LINES.red}`);
      await page.waitForSelector(`.log-scroll .lrow.line[data-n="${MARKED_LINES.jsLink}"]:not(.loading)`);
      const colours = await page.evaluate((n) => {
        const row = document.querySelector(`.log-scroll .lrow.line[data-n="${n}"] .lc`)!;
        const spans = Array.from(row.querySelectorAll('span'));
        const of = (text: string) => getComputedStyle(spans.find((s) => s.textContent === text)!).color;
        return { red: of('RED-TEXT'), plain: of(' PLAIN-TEXT') };
      }, MARKED_LINES.red);
      expect(colours.red).not.toBe(colours.plain);
      expect(colours.red).toBe('rgb(248, 113, 113)');
      expect(await rowText(page, MARKED_LINES.progress)).toBe('downloading 100% done');
      const links = await page.$$eval(`.log-scroll .lrow.line[data-n="${MARKED_LINES.jsLink}"] a:not(.ln)`, (as) => as.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('rel')]));
      expect(links).toEqual([['GOOD-LINK', 'https://example.com/osc8', 'noopener noreferrer']]);
      expect(await page.locator('.log-scroll a[href^="javascript"]').count()).toBe(0);
      expect(await rowText(page, MARKED_LINES.jsLink)).toBe('EVIL-LINK and GOOD-LINK');
      expect(await page.getAttribute(`.log-scroll .lrow.line[data-n="${MARKED_LINES.link}"] .lc a`, 'href')).toBe(`https://example.com/builds/${MARKED_LINES.link}`);
      // 256-colour and 24-bit colours are set through CSSOM (no style= attribute in the markup the CSP would block).
      const truecolor = await page.evaluate(() => {
        const span = Array.from(document.querySelectorAll<HTMLElement>('.log-scroll .lc span')).find((s) => s.textContent === 'truecolor');
        return span ? getComputedStyle(span).color : null;
      });
      expect(truecolor).toBe('rgb(120, 200, 255)');
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('folds a step: collapsing it hides its lines, expanding it shows them again', async () => {
    const { page, consoleErrors, close } = await openPage(browser, WIDTHS.desktop);
    try {
      await open(page, big.buildId, big.viewer, '#L50003');
      const toggle = page.locator('.log-scroll button.sec-toggle[data-section^="step:2:"]');
      await toggle.waitFor();
      expect(await toggle.getAttribute('aria-expanded')).toBe('true');
      await toggle.click();
      expect(await page.locator('.log-scroll button.sec-toggle[data-section^="step:2:"]').getAttribute('aria-expanded')).toBe('false');
      expect(await page.locator('.log-scroll .lrow.line[data-n="50001"]').count()).toBe(0);
      expect(await page.locator('.log-scroll .lrow.line[data-n="50003"]').count()).toBe(0);
      // Right after the folded step comes the next one.
      const order = await page.$$eval('.log-scroll .lrow', (rows) =>
        rows
          .map((r) => ({ y: new DOMMatrix(getComputedStyle(r).transform).m42, key: (r as HTMLElement).dataset.n ?? (r as HTMLElement).dataset.section ?? '' }))
          .sort((a, b) => a.y - b.y)
          .map((r) => r.key),
      );
      const at = order.findIndex((k) => k.startsWith('step:2:'));
      expect(order.slice(at, at + 3)).toEqual([expect.stringMatching(/^step:2:/), expect.stringMatching(/^step:3:/), '100001']);
      await page.click('.log-scroll button.sec-toggle[data-section^="step:2:"]');
      await page.waitForSelector('.log-scroll .lrow.line[data-n="50001"]');
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('downloads the log byte for byte as emitted, and without escape sequences with ansi=strip', async () => {
    const expected = Array.from({ length: BIG_LINES }, (_, i) => `${bigLogLine(i + 1)}\n`).join('');
    const get = async (query: string) => Buffer.from(await (await fetch(`${server.url}/v1/builds/${big.buildId}/log${query}`, { headers: { authorization: `Bearer ${big.viewer}` } })).arrayBuffer());
    const started = performance.now();
    const raw = await get('');
    note(`raw download of 200 000 lines (${(raw.length / 1e6).toFixed(1)} MB): ${Math.round(performance.now() - started)} ms`);
    expect(raw.equals(Buffer.from(expected, 'utf8'))).toBe(true);
    const stripped = await get('?ansi=strip');
    expect(stripped.toString('utf8')).toBe(stripForTest(expected));
    expect(stripped.includes(ESC)).toBe(false);
    // The page links both.
    const { page, close } = await openPage(browser, WIDTHS.desktop);
    try {
      await open(page, big.buildId, big.viewer);
      const raw = await page.getAttribute('[data-testid="raw-link"]', 'href');
      expect(raw).toMatch(new RegExp(`/v1/builds/${big.buildId}/log\\?token=`));
      expect(await page.getAttribute('[data-testid="download-link"]', 'download')).toBe(`${big.buildId}.log`);
      const response = await page.request.get(raw!);
      expect(response.status()).toBe(200);
      expect(response.headers()['content-type']).toBe('text/plain; charset=utf-8');
    } finally {
      await close();
    }
  });

  it('follows a live build at 2 000 lines a second, pauses on scroll-up and counts new lines, resumes on the button and on End', async () => {
    const live = await server.createBuild(undefined, { name: 'live' });
    const run = new HttpRunner(server.url, live.buildId, live.runner);
    await run.emit([{ type: 'start' }, ...Array.from({ length: 100 }, (_, i) => ({ type: 'log', data: { stream: 'stdout', line: `warm ${i + 1}` } }))]);
    const { page, consoleErrors, close } = await openPage(browser, WIDTHS.desktop);
    let stop = false;
    let sent = 100;
    const stream = (async () => {
      // 100 lines every 50 ms: 2 000 lines a second.
      while (!stop) {
        await run.emit(Array.from({ length: 100 }, (_, i) => ({ type: 'log', data: { stream: 'stdout', line: `${ESC}[32mlive${ESC}[0m ${sent + i + 1}` } })));
        sent += 100;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await open(page, live.buildId, live.viewer);
      await page.waitForSelector('.conn[data-conn="live"]');
      // Count frames and long tasks while it streams.
      await page.evaluate(() => {
        const w = window as unknown as { __frames: number[]; __long: number[] };
        w.__frames = [];
        w.__long = [];
        new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__long.push(e.duration))).observe({ type: 'longtask', buffered: false });
        const tick = (t: number) => {
          w.__frames.push(t);
          if (w.__frames.length < 100_000) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      await page.waitForTimeout(2000);
      const following = await page.evaluate(() => {
        const panel = document.querySelector<HTMLElement>('.log-panel')!;
        const scroll = document.querySelector<HTMLElement>('.log-scroll')!;
        return { lines: Number(panel.dataset.lines), atEnd: scroll.scrollTop + scroll.clientHeight >= scroll.scrollHeight - 2 };
      });
      expect(following.atEnd).toBe(true);
      expect(following.lines).toBeGreaterThan(1000);
      const last = Math.max(...(await visibleLines(page)));
      expect(following.lines - last).toBeLessThan(400); // the view is at the live edge (a frame or two behind)
      const jank = await page.evaluate(() => {
        const w = window as unknown as { __frames: number[]; __long: number[] };
        const gaps = w.__frames.slice(1).map((t, i) => t - w.__frames[i]!);
        return { frames: w.__frames.length, maxGap: Math.max(...gaps), longTasks: w.__long.length, longest: Math.max(0, ...w.__long) };
      });
      note(`streaming 2 000 lines/s for 2 s: ${jank.frames} frames, longest frame gap ${Math.round(jank.maxGap)} ms, ${jank.longTasks} long tasks (longest ${Math.round(jank.longest)} ms)`);
      note(`rows in the DOM while following: ${await rowCount(page)}`);

      // Scrolling up pauses following; new lines are counted.
      await page.mouse.move(400, 600);
      await page.focus('.log-scroll');
      await page.mouse.wheel(0, -2000);
      await page.waitForSelector('[data-testid="new-lines"]:not([hidden])');
      const top = await page.evaluate(() => document.querySelector('.log-scroll')!.scrollTop);
      await page.waitForFunction(() => /↓ [0-9,]{3,} new lines/.test(document.querySelector('[data-testid="new-lines"]')?.textContent ?? ''));
      expect(await page.evaluate(() => document.querySelector('.log-scroll')!.scrollTop)).toBe(top); // it stayed where the reader put it
      await page.click('[data-testid="new-lines"]');
      await page.waitForSelector('[data-testid="new-lines"][hidden]', { state: 'attached' });
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => { const s = document.querySelector('.log-scroll')!; return s.scrollTop + s.clientHeight >= s.scrollHeight - 2; })).toBe(true);
      // …and End does the same.
      await page.mouse.move(400, 600);
      await page.mouse.wheel(0, -1500);
      await page.waitForSelector('[data-testid="new-lines"]:not([hidden])');
      await page.focus('.log-scroll');
      await page.keyboard.press('End');
      await page.waitForSelector('[data-testid="new-lines"][hidden]', { state: 'attached' });
      expect(consoleErrors).toEqual([]);
    } finally {
      stop = true;
      await stream;
      await close();
    }
  });

  it('opens a failed build at its first error, with Jump to error; screenshots at 375 and 1440 px', async () => {
    const failed = await server.createBuild(undefined, { name: 'npm test (failing)' });
    const events: Array<{ type: string; data?: unknown }> = [{ type: 'start' }, { type: 'start-step' }];
    const out = (line: string, extra: Record<string, unknown> = {}) => events.push({ type: 'log', data: { stream: 'stdout', line, ...extra } });
    out(`${ESC}[1m> runlog@0.2.0 test${ESC}[22m`);
    for (let i = 1; i <= 400; i++) out(i % 3 === 0 ? `npm ${ESC}[33mWARN${ESC}[0m deprecated pkg-${i}@1.0.0` : `added pkg-${i} in ${i % 50}ms`);
    out('progress [=====     ] 50%\rprogress [==========] 100%');
    events.push({ type: 'finish-step' }, { type: 'start-step' });
    events.push({ type: 'tool-input-available', data: { toolCallId: 'call-7', toolName: 'run_tests', input: { command: 'vitest run' } } });
    for (let i = 1; i <= 300; i++) out(`${ESC}[32m ✓${ESC}[0m test/unit-${i}.test.ts ${ESC}[2m(${i} tests)${ESC}[22m`, { toolCallId: 'call-7' });
    events.push({ type: 'log', data: { stream: 'stderr', line: `${ESC}[31m FAIL${ESC}[0m test/append.test.ts > resends from ack+1 after the server drops the response`, toolCallId: 'call-7' } });
    events.push({ type: 'log', data: { stream: 'stderr', line: `${ESC}[31mAssertionError: expected 41 to be 42${ESC}[0m — see https://example.com/runs/9`, toolCallId: 'call-7' } });
    for (let i = 1; i <= 200; i++) out(`    at Object.<anonymous> (test/append.test.ts:${100 + i}:${i % 40})`, { toolCallId: 'call-7' });
    events.push({ type: 'tool-output-error', data: { toolCallId: 'call-7', errorText: '1 test failed' } });
    events.push({ type: 'error', data: { errorText: 'npm test exited with code 1' } }, { type: 'finish-step' }, { type: 'finish', data: { status: 'failed' } });
    await new HttpRunner(server.url, failed.buildId, failed.runner).emit(events as never, { final: true });
    const firstError = 402 + 300 + 1; // the FAIL line: 1 + 400 + 1 lines of step 1, 300 of the tool, then it

    for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
      const { page, consoleErrors, close } = await openPage(browser, width);
      try {
        await open(page, failed.buildId, failed.viewer);
        await page.waitForSelector(`.log-scroll .lrow.line.target[data-n="${firstError}"]:not(.loading)`);
        expect(await visibleLines(page)).toContain(firstError);
        expect(await page.isVisible('[data-testid="jump-error"]')).toBe(true);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        await page.locator('.log-panel').scrollIntoViewIfNeeded();
        await screenshot(page, `log-failed-${width}`);
        // Jump to error brings it back after scrolling away.
        await page.focus('.log-scroll');
        await page.keyboard.press('Home');
        await page.click('[data-testid="jump-error"]');
        await page.waitForSelector(`.log-scroll .lrow.line.target[data-n="${firstError}"]`);
        expect(await visibleLines(page)).toContain(firstError);
        expect(consoleErrors).toEqual([]);
      } finally {
        await close();
      }
    }
  });

  it('survives hostile lines: 1 MB, U+FFFD, cut escape sequences, 10 000 nested SGR codes, only \\r — and downloads them as stored', async () => {
    const hostile = await server.createBuild(undefined, { name: 'hostile' });
    const texts = [
      'before',
      `${ESC}[31m${'x'.repeat(1024 * 1024)}`,
      'invalid bytes: \ufffd\ufffd\ufffd end',
      `cut here ${ESC}[38;2;10`,
      `;20;30mnot a colour`,
      `${`${ESC}[1m${ESC}[4m`.repeat(10_000)}deep${`${ESC}[0m`.repeat(100)}`,
      '\r\r\r\r\r\r',
      `${ESC}]8;;https://x${ESC}`,
      'after',
    ];
    const run = new HttpRunner(server.url, hostile.buildId, hostile.runner);
    await run.emit([{ type: 'start' }], {});
    for (const line of texts) await run.emit([{ type: 'log', data: { stream: 'stdout', line } }]);
    await run.emit([{ type: 'finish' }], { final: true });
    const { page, consoleErrors, close } = await openPage(browser, WIDTHS.desktop);
    try {
      const started = Date.now();
      await open(page, hostile.buildId, hostile.viewer, '#L1');
      await page.waitForSelector(`.log-scroll .lrow.line[data-n="${texts.length}"]:not(.loading)`);
      note(`hostile lines page ready in ${Date.now() - started} ms`);
      expect(await rowText(page, 1)).toBe('before');
      expect((await rowText(page, 2))!.startsWith('x'.repeat(100))).toBe(true);
      expect(await page.textContent('.log-scroll .lrow.line[data-n="2"] .ansi-cut')).toMatch(/more characters/);
      expect(await rowText(page, 3)).toBe('invalid bytes: \ufffd\ufffd\ufffd end');
      expect(await rowText(page, 4)).toBe('cut here ');
      expect(await rowText(page, 6)).toBe('deep');
      expect(await rowText(page, 7)).toBe('');
      expect(await rowText(page, 9)).toBe('after');
      const text = await page.evaluate(() => document.querySelector('.log-scroll')!.textContent ?? '');
      expect(text).not.toContain(ESC);
      // Still responsive: search answers.
      await page.fill('#log-search', 'deep');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('[data-testid="search-status"]')?.textContent === '1 of 1');
      expect(consoleErrors).toEqual([]);
    } finally {
      await close();
    }
    const raw = Buffer.from(await (await fetch(`${server.url}/v1/builds/${hostile.buildId}/log`, { headers: { authorization: `Bearer ${hostile.viewer}` } })).arrayBuffer());
    expect(raw.equals(Buffer.from(texts.map((t) => `${t}\n`).join(''), 'utf8'))).toBe(true);
  });
});
