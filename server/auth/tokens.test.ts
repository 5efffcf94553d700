// Signed tokens and the admin secret never share a shape, so a client can keep the admin token
// out of URLs by shape alone (openapi.yaml clarification (r)).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSignedTokenShape } from '../../protocol/token-shape.js';
import { ConfigError, configFromEnv } from '../config.js';
import { TokenSigner } from './tokens.js';

const SECRET = 'a-secret-0123456789abcdef-0123456789abcdef';

describe('token shapes', () => {
  it('gives every signed token the signed shape, and a generated admin token never', () => {
    const signer = new TokenSigner(SECRET, 'an-admin-token-0123456789');
    const expires = new Date(Date.now() + 60_000);
    for (const scope of [{ kind: 'read-all' }, { kind: 'read', buildId: 'b.1' }, { kind: 'append', buildId: 'B_2-x' }] as const) {
      expect(isSignedTokenShape(signer.sign(scope, expires, 'gen-1'))).toBe(true);
    }
    // What server/auth/secrets.ts generates: base64url has no '.', so never the signed shape.
    for (let i = 0; i < 50; i++) expect(isSignedTokenShape(randomBytes(32).toString('base64url'))).toBe(false);
  });

  it('refuses an admin token of the signed shape, in the signer and in the environment', () => {
    const lookalike = 'rl1.eyJzIjoicmVhZDoqIn0.abcdefghijklmnop';
    expect(() => new TokenSigner(SECRET, lookalike)).toThrow(/signed token/);
    expect(() => configFromEnv({ RUNLOG_ADMIN_TOKEN: lookalike })).toThrow(ConfigError);
    expect(() => configFromEnv({ RUNLOG_ADMIN_TOKEN: 'rl1-but-not-the-shape-0123' })).not.toThrow();
  });

  it('tells the admin token from any other, whatever its length', () => {
    const signer = new TokenSigner(SECRET, 'an-admin-token-0123456789');
    expect(signer.isAdmin('an-admin-token-0123456789')).toBe(true);
    for (const other of ['', 'an-admin-token-012345678', 'an-admin-token-01234567890', 'x'.repeat(1000)]) expect(signer.isAdmin(other)).toBe(false);
  });
});

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
