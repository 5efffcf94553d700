import { describe, expect, it } from 'vitest';
import { TokenSigner } from './tokens.js';

const signer = () => new TokenSigner('s'.repeat(40), 'admin-token-0123456789');

describe('TokenSigner', () => {
  it('refuses a token once it expired, even after it was accepted while valid', () => {
    const s = signer();
    const token = s.sign({ kind: 'read', buildId: 'b' }, new Date(Date.UTC(2030, 0, 1)));
    expect(s.verify(token, new Date(Date.UTC(2029, 0, 1)))).toMatchObject({ kind: 'token' });
    expect(s.verify(token, new Date(Date.UTC(2030, 0, 2)))).toBeUndefined();
  });

  it('refuses a forged token next to an accepted one', () => {
    const s = signer();
    const token = s.sign({ kind: 'append', buildId: 'b' }, new Date(Date.now() + 3600_000));
    expect(s.verify(token)).toBeDefined();
    const [prefix, body, mac] = token.split('.');
    const other = Buffer.from(JSON.stringify({ s: 'admin', e: 9_999_999_999 })).toString('base64url');
    expect(s.verify(`${prefix}.${other}.${mac}`)).toBeUndefined();
    expect(s.verify(`${prefix}.${body}.${mac!.slice(1)}x`)).toBeUndefined();
    expect(s.verify('admin-token-0123456789')).toEqual({ kind: 'admin' });
  });
});
