// The shape of the tokens the server signs (PROTOCOL §Auth): `rl1.<payload>.<mac>`, both parts
// base64url. The admin token is a plain secret that never has this shape (the server refuses
// one that does). Clients use it to keep the admin token out of URLs, where the server refuses
// it (openapi.yaml clarification (r)): only a signed token can be valid in `?token=`.

export const SIGNED_TOKEN_PREFIX = 'rl1';

const SIGNED_TOKEN_PATTERN = /^rl1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Whether `token` has the shape of a signed token (not whether its signature holds). */
export function isSignedTokenShape(token: string): boolean {
  return SIGNED_TOKEN_PATTERN.test(token);
}
