// Header and query parameter names of the wire contract, typed once.

export const Headers = {
  authorization: 'Authorization',
  lastEventId: 'Last-Event-ID',
  retryAfter: 'Retry-After',
  etag: 'ETag',
  ifNoneMatch: 'If-None-Match',
  contentType: 'Content-Type',
  cacheControl: 'Cache-Control',
  accelBuffering: 'X-Accel-Buffering',
  requestId: 'X-Request-Id',
  /** An append's runner report (PROTOCOL §Runner presence): the report's JSON, ASCII only. */
  runner: 'Runlog-Runner',
} as const;

export const ContentTypes = {
  json: 'application/json',
  problem: 'application/problem+json',
  eventStream: 'text/event-stream',
  yaml: 'application/yaml',
  text: 'text/plain',
} as const;

export const QueryParams = {
  token: 'token',
  after: 'after',
  limit: 'limit',
  wait: 'wait',
  cursor: 'cursor',
  watch: 'watch',
  q: 'q',
  ansi: 'ansi',
} as const;

export const BEARER_PREFIX = 'Bearer ';
