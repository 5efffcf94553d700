// Runner reports as they come in (PROTOCOL §Runner presence): a heartbeat's body, and the
// `Runlog-Runner` header an append may carry. Both hold the same RunnerReport.
import { Headers as H } from '../../protocol/headers.js';
import { HeartbeatRequestSchema, RunnerReportSchema } from '../../protocol/schemas.js';
import type { RunnerReport } from '../../protocol/wire-types.js';
import type { AppContext } from './app-env.js';
import { invalidParameter } from './request-input.js';
import { zodProblem } from './zod-problem.js';

export interface Heartbeat {
  readonly epoch: number;
  readonly runner: RunnerReport;
}

export function parseHeartbeatBody(body: unknown): Heartbeat {
  const parsed = HeartbeatRequestSchema.safeParse(body);
  if (!parsed.success) throw zodProblem(parsed.error);
  return { epoch: parsed.data.epoch ?? 0, runner: parsed.data.runner };
}

/**
 * The append's runner report, or undefined without the header. A header that is there but is
 * not a report is `400 invalid_parameter` (PROTOCOL §Errors: headers are never guessed at).
 */
export function runnerHeader(c: AppContext): RunnerReport | undefined {
  const raw = c.req.header(H.runner);
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw) as unknown;
  } catch {
    throw invalidParameter(H.runner, 'is not JSON');
  }
  const parsed = RunnerReportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidParameter(H.runner, `is not a runner report (${issue?.path.map(String).join('.') || 'value'}: ${issue?.message ?? 'invalid'})`);
  }
  return parsed.data;
}
