// PROTOCOL §Errors: every problem code with its HTTP status. Clients switch on `code`.

export const ProblemCodes = {
  unauthorized: 401,
  forbidden: 403,
  stale_epoch: 403,
  not_found: 404,
  build_not_found: 404,
  method_not_allowed: 405,
  body_too_large: 413,
  event_too_large: 413,
  unsupported_media_type: 415,
  invalid_json: 400,
  invalid_request: 400,
  invalid_event: 400,
  invalid_parameter: 400,
  seq_conflict: 409,
  build_closed: 409,
  gap_too_large: 409,
  overloaded: 503,
  unavailable: 503,
  internal_error: 500,
} as const;

export type ProblemCode = keyof typeof ProblemCodes;

export const PROBLEM_TYPE_PREFIX = '/errors/';

/** `seq_conflict` → `/errors/seq-conflict`, a URI reference resolved against the server. */
export function problemType(code: ProblemCode): string {
  return PROBLEM_TYPE_PREFIX + code.replaceAll('_', '-');
}

export function isProblemCode(value: unknown): value is ProblemCode {
  return typeof value === 'string' && Object.hasOwn(ProblemCodes, value);
}
