// Signed tokens (PROTOCOL §Auth): `rl1.<payload>.<mac>`, HMAC-SHA256 over the payload with the
// server secret, so every instance sharing the secret verifies them without a database.
// The payload carries the scope, the expiry and, for one build's tokens, the build's
// generation, so a deleted-and-recreated buildId does not revive old tokens.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { BUILD_ID_PATTERN } from '../../protocol/limits.js';
import { SIGNED_TOKEN_PREFIX, isSignedTokenShape } from '../../protocol/token-shape.js';

export type Scope =
  | { readonly kind: 'read-all' }
  | { readonly kind: 'read'; readonly buildId: string }
  | { readonly kind: 'append'; readonly buildId: string };

export type Principal =
  | { readonly kind: 'admin' }
  | { readonly kind: 'token'; readonly scope: Scope; readonly generation: string | undefined; readonly expiresAt: Date };

const TOKEN_PREFIX = SIGNED_TOKEN_PREFIX;

export function parseScope(text: string): Scope | undefined {
  if (text === 'read:*') return { kind: 'read-all' };
  const match = /^(read|append):(.+)$/.exec(text);
  if (!match || !BUILD_ID_PATTERN.test(match[2]!)) return undefined;
  return { kind: match[1] as 'read' | 'append', buildId: match[2]! };
}

export function formatScope(scope: Scope): string {
  return scope.kind === 'read-all' ? 'read:*' : `${scope.kind}:${scope.buildId}`;
}

interface Payload {
  /** scope */
  s: string;
  /** expiry, unix seconds */
  e: number;
  /** build generation */
  g?: string;
}

/** Valid tokens remembered by `verify`: every live runner and viewer of a busy server. */
const VERIFIED_TOKENS_KEPT = 10_000;

export class TokenSigner {
  readonly #secret: Buffer;
  readonly #adminDigest: Buffer;

  constructor(secret: string, adminToken: string) {
    // Clients keep only signed-shaped tokens for URLs; an admin token of that shape would slip
    // into them (openapi.yaml clarification (r)).
    if (isSignedTokenShape(adminToken)) throw new TypeError('Expected the admin token not to have the shape of a signed token (rl1.<payload>.<mac>)');
    this.#secret = Buffer.from(secret, 'utf8');
    this.#adminDigest = sha256(adminToken);
  }

  sign(scope: Scope, expiresAt: Date, generation?: string): string {
    const payload: Payload = { s: formatScope(scope), e: Math.floor(expiresAt.getTime() / 1000) };
    if (generation !== undefined) payload.g = generation;
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${TOKEN_PREFIX}.${body}.${this.#mac(body)}`;
  }

  /** Whether `token` is the admin secret, compared in constant time. */
  isAdmin(token: string): boolean {
    // Hashing both sides first makes the comparison constant-time whatever the lengths.
    return timingSafeEqual(sha256(token), this.#adminDigest);
  }

  /**
   * Tokens whose signature checked out, with when they expire: a runner presents the same token
   * on every append, and at thousands of appends a second the HMAC and the JSON per request
   * showed in the profile. Only valid tokens enter, so a lookup cannot make a forged one pass;
   * expiry is still checked on every use.
   */
  readonly #verified = new Map<string, { readonly principal: Principal; readonly expiresAtMs: number }>();

  /** The principal a presented token stands for, or undefined when it is missing, forged or expired. */
  verify(token: string, now: Date = new Date()): Principal | undefined {
    const known = this.#verified.get(token);
    if (known !== undefined) return known.expiresAtMs > now.getTime() ? known.principal : undefined;
    const principal = this.#verifySignature(token, now);
    if (principal !== undefined) {
      if (this.#verified.size >= VERIFIED_TOKENS_KEPT) this.#verified.delete(this.#verified.keys().next().value!);
      this.#verified.set(token, { principal, expiresAtMs: principal.kind === 'admin' ? Infinity : principal.expiresAt.getTime() });
    }
    return principal;
  }

  #verifySignature(token: string, now: Date): Principal | undefined {
    if (this.isAdmin(token)) return { kind: 'admin' };
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) return undefined;
    const [, body, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
    } catch {
      return undefined;
    }
    const scope = typeof payload.s === 'string' ? parseScope(payload.s) : undefined;
    if (!scope || typeof payload.e !== 'number' || payload.e * 1000 <= now.getTime()) return undefined;
    return { kind: 'token', scope, generation: typeof payload.g === 'string' ? payload.g : undefined, expiresAt: new Date(payload.e * 1000) };
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url');
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
