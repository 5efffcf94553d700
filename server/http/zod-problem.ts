// A zod failure as a problem: the first issue names the field; issues inside an array of
// events are `invalid_event` with the event's index, the rest `invalid_request`.
import type { z } from 'zod';
import { ProblemError } from '../errors.js';

export function zodProblem(error: z.ZodError, eventsKey?: string): ProblemError {
  const issue = error.issues[0];
  const path = issue?.path ?? [];
  const where = path.length > 0 ? path.map(String).join('.') : 'body';
  const message = `${where}: ${issue?.message ?? 'invalid'}`;
  if (eventsKey !== undefined && path[0] === eventsKey && typeof path[1] === 'number') {
    return new ProblemError('invalid_event', `Event ${message}`, { extra: { index: path[1], field: where } });
  }
  return new ProblemError('invalid_request', message, { extra: { field: where } });
}
