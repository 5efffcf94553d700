// CORS on `/v1/…` (clarification (o)): any origin may call the API, since tokens travel in
// headers or `?token=`, never cookies — a page on another origin can only do what the token it
// holds allows (web-client in your own app).
//
// The headers go onto the answer after the route made it. hono's `cors()` puts them on
// `c.res` before the route runs, and hono then rebuilds the route's answer to merge them,
// reading its body: every light answer of @hono/node-server (a string written with one
// `end`) became a web stream. Setting them afterwards keeps it light.
import type { MiddlewareHandler } from 'hono';
import { Headers as H } from '../../protocol/headers.js';
import type { AppEnv } from './app-env.js';

const ALLOW_METHODS = 'GET,POST,DELETE';
const ALLOW_HEADERS = [H.authorization, H.contentType, H.lastEventId, H.ifNoneMatch, H.runner].join(',');
const EXPOSE_HEADERS = [H.etag, H.retryAfter, H.requestId].join(',');
const PREFLIGHT_MAX_AGE_SECONDS = '600';

export function apiCors(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') {
      return c.body(null, 204, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': ALLOW_METHODS,
        'Access-Control-Allow-Headers': ALLOW_HEADERS,
        'Access-Control-Expose-Headers': EXPOSE_HEADERS,
        'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_SECONDS,
        Vary: 'Access-Control-Request-Headers',
      });
    }
    await next();
    c.res.headers.set('Access-Control-Allow-Origin', '*');
    c.res.headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
  };
}
