// Who is calling (PROTOCOL §Auth): `Authorization: Bearer`, or `?token=` on GET (EventSource
// cannot set headers). Missing, forged or expired → 401 before anything else is looked at.
import type { MiddlewareHandler } from 'hono';
import { BEARER_PREFIX, QueryParams } from '../../protocol/headers.js';
import type { TokenSigner } from '../auth/tokens.js';
import { ProblemError } from '../errors.js';
import type { AppEnv } from './app-env.js';

export function authenticate(signer: TokenSigner): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    let token: string | undefined;
    if (header !== undefined) {
      if (!header.startsWith(BEARER_PREFIX)) throw unauthorized('The Authorization header must be `Bearer <token>`.');
      token = header.slice(BEARER_PREFIX.length).trim();
    } else if (c.req.method === 'GET' || c.req.method === 'HEAD') {
      const fromQuery = c.req.queries(QueryParams.token);
      if (fromQuery && fromQuery.length > 1) throw unauthorized('Give one `token`.');
      token = fromQuery?.[0];
    }
    if (!token) throw unauthorized('A token is required: `Authorization: Bearer <token>`.');
    const principal = signer.verify(token);
    if (!principal) throw unauthorized('The token is invalid or expired.');
    c.set('principal', principal);
    await next();
  };
}

function unauthorized(message: string): ProblemError {
  return new ProblemError('unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="runlog"' } });
}
