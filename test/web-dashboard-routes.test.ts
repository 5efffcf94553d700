// The dashboard's HTTP side (PROTOCOL §Operations `GET /`): pages with a strict CSP and no
// inline script, assets bundled in memory with proper content types and ETag revalidation,
// and a bundle that never parses strings as HTML.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGLITE } from './support/backends.js';
import { startTestServer, type TestServer } from './support/test-server.js';

describe('dashboard routes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
  });
  afterAll(async () => server?.stop());

  for (const path of ['/', '/builds/some-build']) {
    it(`serves ${path} as HTML with a strict Content-Security-Policy and no inline script`, async () => {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await res.text();
      // Every script has a src, no element carries an inline handler or style.
      expect([...html.matchAll(/<script\b[^>]*>/g)].every((m) => /\bsrc=/.test(m[0]))).toBe(true);
      expect(html).not.toMatch(/\son[a-z]+=|\sstyle=|<style/i);
    });
  }

  it('serves the bundled script, stylesheet and icon with their content types and ETags', async () => {
    const expected: Record<string, string> = {
      '/assets/dashboard.js': 'text/javascript; charset=utf-8',
      '/assets/dashboard.css': 'text/css; charset=utf-8',
      '/assets/favicon.svg': 'image/svg+xml',
    };
    for (const [path, type] of Object.entries(expected)) {
      const res = await fetch(server.url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const etag = res.headers.get('etag');
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
      const again = await fetch(server.url + path, { headers: { 'if-none-match': etag! } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
      const stale = await fetch(server.url + path, { headers: { 'if-none-match': '"old"' } });
      expect(stale.status).toBe(200);
      await stale.arrayBuffer();
    }
  });

  it('answers 404 problem+json for an unknown asset', async () => {
    const res = await fetch(`${server.url}/assets/nope.js`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    await res.text();
  });

  it('bundles no HTML-parsing sink: event data can only ever become text', async () => {
    const js = await (await fetch(`${server.url}/assets/dashboard.js`)).text();
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function']) {
      expect(js.includes(sink), sink).toBe(false);
    }
    // The browser bundle carries the shared reducer, not the server's zod schemas.
    expect(js).toContain('tool-output-available');
    expect(js).not.toContain('ZodError');
  });
});
