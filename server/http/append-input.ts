// Turns an append body into a validated batch (PROTOCOL §Append, §Identifiers and limits).
// Order follows PROTOCOL §Errors: every 413 (an event's data too large) before any 400.
import { AppendRequestSchema } from '../../protocol/schemas.js';
import { MAX_SEQ, type ProtocolLimits } from '../../protocol/limits.js';
import { ProblemError } from '../errors.js';
import type { AppendBatch } from '../log/append-plan.js';
import { zodProblem } from './zod-problem.js';

/** Depth of a parsed JSON value, walked without recursion; stops counting past `limit`. */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push({ v: child, d: d + 1 });
  }
  return false;
}

export function parseAppendBody(body: unknown, limits: ProtocolLimits): AppendBatch {
  const rawEvents = (body as { events?: unknown } | null)?.events;
  const serialized: string[] = [];
  const values: unknown[] = [];
  let tooDeep = -1;
  if (Array.isArray(rawEvents)) {
    rawEvents.forEach((event: unknown, index) => {
      const data = event !== null && typeof event === 'object' ? (event as { data?: unknown }).data : undefined;
      if (jsonDepthExceeds(data, limits.maxEventDataDepth)) {
        if (tooDeep < 0) tooDeep = index;
        serialized.push('null');
        values.push(null);
        return;
      }
      const json = JSON.stringify(data ?? null);
      const bytes = Buffer.byteLength(json, 'utf8');
      if (bytes > limits.maxEventDataBytes) {
        throw new ProblemError('event_too_large', `Event ${index}'s data is ${bytes} bytes serialized; the limit is ${limits.maxEventDataBytes}.`, {
          extra: { index, limit: limits.maxEventDataBytes },
        });
      }
      serialized.push(json);
      values.push(data ?? null);
    });
  }
  const parsed = AppendRequestSchema.safeParse(body);
  if (!parsed.success) throw zodProblem(parsed.error, 'events');
  if (tooDeep >= 0) {
    throw new ProblemError('invalid_event', `Event ${tooDeep}'s data is nested deeper than ${limits.maxEventDataDepth} levels.`, {
      extra: { index: tooDeep, limit: limits.maxEventDataDepth },
    });
  }
  const request = parsed.data;
  if (request.events.length > limits.maxBatchEvents) {
    throw new ProblemError('invalid_request', `A batch holds at most ${limits.maxBatchEvents} events; this one has ${request.events.length}.`, {
      extra: { limit: limits.maxBatchEvents },
    });
  }
  // Subtract, never add: from + n would round above 2^53.
  if (request.events.length - 1 > MAX_SEQ - request.from) {
    throw new ProblemError('invalid_request', `Seqs must stay at or below ${MAX_SEQ}.`);
  }
  return {
    from: request.from,
    final: request.final ?? false,
    epoch: request.epoch ?? 0,
    events: request.events.map((e, i) => ({ type: e.type, data: serialized[i]!, time: e.time ?? null, value: values[i] })),
  };
}
