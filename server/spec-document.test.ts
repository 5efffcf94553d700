// The OpenAPI document is read on the first request that needs it, not at start, and a read
// that failed is tried again on the next request.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderDocsPage } from './docs-page.js';
import { Resources } from './resources.js';
import { lazySpecDocument } from './spec-document.js';

describe('lazySpecDocument', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'runlog-spec-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads nothing until asked, then serves the file as it was when first asked', async () => {
    const file = path.join(dir, 'created-later.yaml');
    const spec = lazySpecDocument(file); // the file does not exist yet: creating the document must not read it
    await writeFile(file, 'openapi: 3.1.0\ninfo: { title: First, version: "1" }\n');
    expect(await spec.yamlText()).toBe('openapi: 3.1.0\ninfo: { title: First, version: "1" }\n');
    await writeFile(file, 'openapi: 3.1.0\ninfo: { title: Second, version: "2" }\n');
    expect(await spec.yamlText()).toContain('First');
    expect(await spec.docsPage()).toContain('<title>First 1 — API reference</title>');
  });

  it('tries a failed read again on the next request', async () => {
    const file = path.join(dir, 'missing-at-first.yaml');
    const spec = lazySpecDocument(file);
    await expect(spec.yamlText()).rejects.toThrow(/ENOENT/);
    await expect(spec.docsPage()).rejects.toThrow(/ENOENT/);
    await writeFile(file, 'openapi: 3.1.0\ninfo: { title: Later, version: "3" }\n');
    expect(await spec.yamlText()).toContain('Later');
    expect(await spec.docsPage()).toContain('<title>Later 3 — API reference</title>');
  });

  it('draws /docs from openapi.yaml exactly as the page renderer does', async () => {
    const spec = lazySpecDocument();
    const text = await readFile(Resources.openapi, 'utf8');
    expect(await spec.yamlText()).toBe(text);
    expect(await spec.docsPage()).toBe(renderDocsPage(parse(text)));
  });
});
