import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { portableSha256Hex } from '../protocol/hash-chain.js';

// Counts the one-shot hashes the runner's chain makes (node-sha256 takes crypto.hash at import).
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, hash: vi.fn(original.hash) };
});

const { nodeSha256Hex } = await import('./node-sha256.js');
const { chainRecord } = await import('./record-chain.js');

describe('node sha256', () => {
  it('hashes as the portable sha256 does', () => {
    for (const text of ['', 'a', '\n{"seq":1}', 'é✓😀'.repeat(100)]) expect(nodeSha256Hex(text)).toBe(portableSha256Hex(text));
  });

  it.runIf(typeof (crypto as { hash?: unknown }).hash === 'function')('chains N records with N native one-shot hashes', () => {
    const hash = vi.mocked((crypto as unknown as { hash: (...args: unknown[]) => string }).hash);
    hash.mockClear();
    let digest = '';
    for (let i = 1; i <= 300; i++) digest = chainRecord(digest, i, Buffer.from(`{"type":"log","data":{"line":"l${i}"},"time":null}`));
    expect(hash).toHaveBeenCalledTimes(300);
  });
});
