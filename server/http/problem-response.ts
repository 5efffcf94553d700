// The one place errors become responses: RFC 9457 problem+json with the stable code
// (PROTOCOL §Errors). Unknown errors are 500 with the request id, logged with their stack,
// and never shown to the client.
import type { Context } from 'hono';
import { ContentTypes, Headers as H } from '../../protocol/headers.js';
import { problemType, type ProblemCode, ProblemCodes } from '../../protocol/problem-codes.js';
import { isDatabaseUnreachable } from '../db/database.js';
import { ProblemError, unavailable } from '../errors.js';
import type { AppEnv } from './app-env.js';
import type { Logger } from 'pino';

const TITLES: Record<ProblemCode, string> = {
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  stale_epoch: 'Stale epoch',
  not_found: 'Not found',
  build_not_found: 'Build not found',
  method_not_allowed: 'Method not allowed',
  body_too_large: 'Request body too large',
  event_too_large: 'Event too large',
  unsupported_media_type: 'Unsupported media type',
  invalid_json: 'Invalid JSON',
  invalid_request: 'Invalid request',
  invalid_event: 'Invalid event',
  invalid_parameter: 'Invalid parameter',
  seq_conflict: 'Sequence conflict',
  build_closed: 'Build closed',
  gap_too_large: 'Gap too large',
  overloaded: 'Overloaded',
  unavailable: 'Unavailable',
  internal_error: 'Internal error',
};

export function problemResponse(problem: ProblemError, instance?: string): Response {
  const body: Record<string, unknown> = {
    type: problemType(problem.code),
    title: TITLES[problem.code],
    status: ProblemCodes[problem.code],
    code: problem.code,
    detail: problem.message,
    ...problem.extra,
  };
  if (instance !== undefined) body.instance = instance;
  const headers: Record<string, string> = { [H.contentType]: ContentTypes.problem, ...problem.headers };
  if (problem.retryAfterSeconds !== undefined) headers[H.retryAfter] = String(problem.retryAfterSeconds);
  return new Response(JSON.stringify(body), { status: problem.status, headers });
}

export function onError(logger: Logger) {
  return (error: unknown, c: Context<AppEnv>): Response => {
    if (error instanceof ProblemError) {
      c.set('problemCode', error.code);
      return problemResponse(error);
    }
    if (isDatabaseUnreachable(error)) {
      logger.warn({ err: error, path: c.req.path }, 'database unreachable');
      c.set('problemCode', 'unavailable');
      return problemResponse(unavailable(error));
    }
    c.set('problemCode', 'internal_error');
    const requestId = c.get('requestId');
    logger.error({ err: error, requestId, method: c.req.method, path: c.req.path }, 'unhandled error');
    return problemResponse(
      new ProblemError('internal_error', `Something went wrong on the server; quote request id ${requestId} when reporting it.`, {
        extra: { requestId },
      }),
    );
  };
}
