// One JSON line per request (pino): request id, method, route, status, duration and bytes sent.
// Never a token and never event content: the line carries the route pattern and the path with
// any `?token=` value replaced, and no header, no body. The id is the proxy's `X-Request-Id`
// when it sent a sane one (nginx `$request_id`), so one id follows a request through both logs.
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { Headers as H, QueryParams } from '../../protocol/headers.js';
import type { AppEnv } from './app-env.js';

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
    const sent = { bytes: 0 };
    c.set('sent', sent);
    const started = performance.now();
    await next();
    c.header(H.requestId, requestId);
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
    const write = (bytes: number, aborted: boolean) =>
      logger.info({ ...fields, bytes, durationMs: Math.round((performance.now() - started) * 10) / 10, ...(aborted ? { aborted } : {}) }, 'request');
    const body = c.res.body;
    if (body === null) return void write(0, false);
    // Bytes are counted as the body is pulled, so a stream's line is written when it ends and
    // says how long it was open. The wrapper pulls one chunk per pull: it adds no buffering,
    // and a slow reader still holds the producer to one pending step (PROTOCOL §SSE).
    const reader = body.getReader();
    let logged = false;
    const finish = (aborted: boolean) => {
      if (logged) return;
      logged = true;
      write(sent.bytes, aborted);
    };
    const counted = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (done) {
              controller.close();
              finish(false);
            } else {
              sent.bytes += value.byteLength;
              controller.enqueue(value);
            }
          } catch (error) {
            finish(true);
            controller.error(error);
          }
        },
        cancel(reason) {
          finish(true);
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    c.res = new Response(counted, { status: c.res.status, statusText: c.res.statusText, headers: c.res.headers });
  };
}
