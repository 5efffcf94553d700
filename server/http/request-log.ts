// One JSON line per request (pino): request id, method, route, status, duration and bytes sent.
// Never a token and never event content: the line carries the route pattern and the path with
// any `?token=` value replaced, and no header, no body. The id is the proxy's `X-Request-Id`
// when it sent a sane one (nginx `$request_id`), so one id follows a request through both logs.
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { Headers as H, QueryParams } from '../../protocol/headers.js';
import type { AppEnv } from './app-env.js';
import type { NodeResponse } from './sse.js';

/** What a proxy may hand us as a request id; anything else is replaced by our own. */
const FORWARDED_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The request's path and query with the value of every `token` parameter hidden. */
export function redactedUrl(pathAndQuery: string): string {
  return pathAndQuery.replace(new RegExp(`([?&]${QueryParams.token}=)[^&#]*`, 'gi'), '$1REDACTED');
}

/** Called once per answer, when its status is known (metrics). */
export type ResponseHook = (route: string, status: number, problemCode: string | undefined) => void;

export function requestLog(logger: Logger, onResponse?: ResponseHook): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const forwarded = c.req.header(H.requestId);
    const requestId = forwarded !== undefined && FORWARDED_ID.test(forwarded) ? forwarded : randomUUID();
    c.set('requestId', requestId);
    const started = performance.now();
    const outgoing = c.env.outgoing;
    // Onto Node's response, which merges it into whatever head the answer writes (see cors.ts).
    outgoing.setHeader(H.requestId, requestId);
    const sent = countBodyBytes(outgoing);
    await next();
    const url = new URL(c.req.url);
    const problemCode = c.get('problemCode');
    const fields = {
      reqId: requestId,
      method: c.req.method,
      route: c.req.routePath,
      url: redactedUrl(url.pathname + url.search),
      status: c.res.status,
      ...(problemCode === undefined ? {} : { code: problemCode }),
    };
    onResponse?.(c.req.routePath, c.res.status, problemCode);
    // The line is written once the answer has left or the client went away, so a stream's line
    // says how long it was open and what it sent. Counted at Node's response, not by wrapping
    // the body: reading `c.res.body` turns @hono/node-server's light response (a string it
    // writes with one `end`) into two web streams per request.
    let finished = false;
    outgoing.once('finish', () => (finished = true));
    outgoing.once('close', () =>
      logger.info({ ...fields, bytes: sent.bytes, durationMs: Math.round((performance.now() - started) * 10) / 10, ...(finished ? {} : { aborted: true }) }, 'request'),
    );
  };
}

/** Counts the body bytes written to Node's response (HTTP/1.1 or HTTP/2) from here on. */
function countBodyBytes(outgoing: NodeResponse): { bytes: number } {
  const sent = { bytes: 0 };
  const count = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string') sent.bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) sent.bytes += chunk.byteLength;
  };
  const response = outgoing as { write: (...args: unknown[]) => boolean; end: (...args: unknown[]) => unknown };
  const write = response.write;
  const end = response.end;
  response.write = function (this: unknown, ...args: unknown[]) {
    count(args[0], args[1]);
    return write.apply(this, args);
  };
  response.end = function (this: unknown, ...args: unknown[]) {
    count(args[0], args[1]);
    return end.apply(this, args);
  };
  return sent;
}
