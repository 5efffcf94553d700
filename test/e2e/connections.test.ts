// The dashboard in real Chromium, the way a team runs it: (1) over HTTPS with HTTP/2, eight
// build pages of one origin go live at once (over HTTP/1.1 a browser allows six connections per
// origin, so the seventh page's stream would wait); (2) behind a connection that stalls silently,
// a page shows an event appended after the stall within two ping intervals plus reconnect delays.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGLITE, POSTGRES } from '../support/backends.js';
import { BROWSER_UNAVAILABLE, CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/browser.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { sampleEvents, startTestServer, type TestServer } from '../support/test-server.js';
import { makeTestCertificate, type TestCertificate } from '../support/tls-cert.js';
import { chromium } from 'playwright-core';
import { Agent, fetch as undiciFetch } from 'undici';

const PAGES = 8;
const BACKEND = POSTGRES.unavailable === undefined ? POSTGRES : PGLITE;

async function eventCount(page: Page): Promise<number> {
  return Number(await page.locator('[data-testid="event-count"]').getAttribute('data-count'));
}

describe.skipIf(BROWSER_UNAVAILABLE !== undefined)('dashboard connections in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    // The test certificate is self-signed: this browser is told to accept it.
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH!, args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'], headless: true });
  });
  afterAll(async () => browser?.close());

  describe('over HTTPS with HTTP/2', () => {
    let cert: TestCertificate;
    let server: TestServer;
    beforeAll(async () => {
      cert = await makeTestCertificate();
      server = await startTestServer(BACKEND, { tls: { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) } });
    });
    afterAll(async () => {
      await server?.stop();
      await cert?.remove();
    });

    /** The API over HTTPS, trusting the test certificate. */
    async function call(path: string, token: string, body: unknown): Promise<any> {
      const dispatcher = new Agent({ connect: { ca: readFileSync(cert.certFile) } });
      try {
        const res = await undiciFetch(server.url + path, { method: 'POST', dispatcher, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return await res.json();
      } finally {
        await dispatcher.close();
      }
    }

    it('opens eight build pages of one origin at once and every one goes live and follows its build', async () => {
      const builds = await Promise.all(
        Array.from({ length: PAGES }, async (_, i) => {
          const created = await call('/v1/builds', server.adminToken, { buildId: `tab-${i + 1}` });
          return { buildId: created.build.buildId as string, runner: created.tokens.runner as string, viewer: created.tokens.viewer as string };
        }),
      );
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      try {
        const pages = await Promise.all(builds.map(() => context.newPage()));
        await Promise.all(pages.map((page, i) => page.goto(`${server.url}/builds/${builds[i]!.buildId}?token=${builds[i]!.viewer}`)));
        await Promise.all(pages.map((page) => page.waitForSelector('.conn[data-conn="live"]', { timeout: 20_000 })));
        for (const page of pages) {
          expect(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe('h2');
        }
        // Every page's stream is open at once: an event appended to each build reaches its page.
        await Promise.all(builds.map((b) => call(`/v1/builds/${b.buildId}/events`, b.runner, { from: 1, events: sampleEvents(1, 3) })));
        for (const page of pages) await page.waitForFunction(() => document.querySelector('[data-testid="event-count"]')?.getAttribute('data-count') === '3', undefined, { timeout: 20_000 });
        expect(await Promise.all(pages.map(eventCount))).toEqual(Array(PAGES).fill(3));
      } finally {
        await context.close();
      }
    });
  });

  describe('behind a connection that stalls silently', () => {
    const PING_MS = 500;
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(BACKEND, { pingIntervalMs: PING_MS });
    });
    afterAll(async () => server?.stop());

    it('shows an event appended after the stall within two ping intervals plus the reconnect delays', async () => {
      const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: 5 });
      const build = await server.createBuild('stalled-tab');
      await server.api(`/v1/builds/${build.buildId}/events`, { token: build.runner, body: { from: 1, events: sampleEvents(1, 2) } });
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${proxy.url}/builds/${build.buildId}?token=${build.viewer}`);
        await page.waitForSelector('.conn[data-conn="live"]');
        await page.waitForFunction(() => document.querySelector('[data-testid="event-count"]')?.getAttribute('data-count') === '2');
        proxy.stallOpen();
        const stalledAt = Date.now();
        await server.api(`/v1/builds/${build.buildId}/events`, { token: build.runner, body: { from: 3, events: sampleEvents(3, 1) } });
        // Dead after 2 pings; a JSON call on a stalled keep-alive socket times out after 2 more;
        // the dashboard's reconnect delays (1 s base, doubling) for up to three tries.
        const boundMs = 2 * PING_MS + 2 * PING_MS + (1000 + 2000 + 4000);
        await page.waitForFunction(() => document.querySelector('[data-testid="event-count"]')?.getAttribute('data-count') === '3', undefined, { timeout: boundMs });
        console.log(`page showed the event appended after the stall ${Date.now() - stalledAt} ms later (ping ${PING_MS} ms, bound ${boundMs} ms)`);
        expect(proxy.counts().stall).toBeGreaterThanOrEqual(1);
        await page.waitForSelector('.conn[data-conn="live"]');
      } finally {
        await context.close();
        await proxy.close();
      }
    });
  });
});
