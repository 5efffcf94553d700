// CORS on `/v1/…` (clarification (o)): any origin may call the API, since tokens travel in
// headers or `?token=`, never cookies — a page on another origin can only do what the token it
// holds allows (web-client in your own app).
//
// The headers go onto Node's response before the route runs; Node merges them into the head the
// answer writes, whatever it is (an error, a stream). hono's `cors()` puts them on `c.res`
// before the route, and hono then rebuilds the route's answer to merge them, reading its body:
// every light answer of @hono/node-server (a string written with one `end`) became a web
// stream. Setting them on `c.res.headers` afterwards kept it light but made it a `Headers`,
// which @hono/node-server then validates, sorts and copies into Node's head: a quarter of the
// server's CPU for an answer to a waiting long-poll.
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
    c.env.outgoing.setHeader('Access-Control-Allow-Origin', '*');
    c.env.outgoing.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    await next();
  };
}
