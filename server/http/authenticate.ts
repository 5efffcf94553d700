// Who is calling (PROTOCOL §Auth): `Authorization: Bearer`, or `?token=` on GET (EventSource
// cannot set headers). Missing, forged or expired → 401 before anything else is looked at, and
// so is the admin token in a URL (openapi.yaml clarification (r)).
import type { MiddlewareHandler } from 'hono';
import { BEARER_PREFIX, QueryParams } from '../../protocol/headers.js';
import type { TokenSigner } from '../auth/tokens.js';
import { ProblemError } from '../errors.js';
import type { AppEnv } from './app-env.js';

export function authenticate(signer: TokenSigner): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const fromQuery = c.req.queries(QueryParams.token);
    // Whatever the method and whatever header comes with it: a URL ends up in access logs,
    // proxies, history and Referer headers, so no client may come to rely on sending it there.
    if (fromQuery?.some((candidate) => signer.isAdmin(candidate))) {
      throw unauthorized('The admin token is refused in a URL (`?token=`): send it in the `Authorization: Bearer <token>` header.');
    }
    const header = c.req.header('authorization');
    let token: string | undefined;
    if (header !== undefined) {
      if (!header.startsWith(BEARER_PREFIX)) throw unauthorized('The Authorization header must be `Bearer <token>`.');
      token = header.slice(BEARER_PREFIX.length).trim();
    } else if (c.req.method === 'GET' || c.req.method === 'HEAD') {
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
