// An in-memory model of PROTOCOL §Append for the uploader's msw tests: it stores batches, moves
// the ack, reports `missing` and the digest, and lets a test decide per request what goes back
// (a normal answer, a delayed one, an error status, a network error, a lost answer).
import { http, HttpResponse, type HttpHandler } from 'msw';
import { chainDigest, EMPTY_DIGEST } from '../../protocol/hash-chain.js';
import { canonicalJson } from '../../protocol/canonical-json.js';
import type { AppendResponse } from '../../protocol/schemas.js';

export interface FakeEvent {
  readonly type: string;
  readonly data: unknown;
  readonly time: string | null;
}

export interface FakeRequest {
  /** 0-based index of the request. */
  readonly index: number;
  readonly from: number;
  readonly to: number;
  readonly final: boolean;
  readonly epoch: number;
  readonly events: readonly FakeEvent[];
  /** When the request arrived (performance.now()). */
  readonly at: number;
}

/** What a test's hook returns for one request. */
export type FakeReply =
  /** Apply the batch and answer normally. */
  | { readonly kind: 'normal'; readonly delayMs?: number }
  /** Apply the batch, then fail the connection: the lost-ack case. */
  | { readonly kind: 'commitThenDrop' }
  /** Do not apply; answer with this status and problem code. */
  | { readonly kind: 'status'; readonly status: number; readonly code?: string; readonly headers?: Record<string, string>; readonly extra?: Record<string, unknown> }
  /** Do not apply; fail the connection. */
  | { readonly kind: 'networkError' }
  /** Do not apply; answer 200 with this body (a lying or broken server). */
  | { readonly kind: 'raw'; readonly body: AppendResponse };

export class FakeAppendServer {
  readonly stored = new Map<number, FakeEvent>();
  readonly requests: FakeRequest[] = [];
  ack = 0;
  final: number | null = null;
  digest = EMPTY_DIGEST;
  maxGapWindow = 10_000;
  /** Decides each request's fate; default: answer normally. */
  hook: (request: FakeRequest) => FakeReply | Promise<FakeReply> = () => ({ kind: 'normal' });

  constructor(readonly url: string, readonly buildId: string) {}

  handler(): HttpHandler {
    return http.post(`${this.url}/v1/builds/${this.buildId}/events`, async ({ request }) => {
      const body = (await request.json()) as { from: number; events: Array<{ type: string; data?: unknown; time?: string | null }>; final?: boolean; epoch?: number };
      const events = body.events.map((e) => ({ type: e.type, data: e.data ?? null, time: e.time ?? null }));
      const req: FakeRequest = {
        index: this.requests.length,
        from: body.from,
        to: body.from + events.length - 1,
        final: body.final === true,
        epoch: body.epoch ?? 0,
        events,
        at: performance.now(),
      };
      this.requests.push(req);
      const reply = await this.hook(req);
      switch (reply.kind) {
        case 'networkError':
          return HttpResponse.error();
        case 'raw':
          return HttpResponse.json(reply.body);
        case 'status':
          return HttpResponse.json(
            { type: `/errors/${reply.code ?? 'x'}`, title: reply.code ?? 'error', status: reply.status, code: reply.code ?? 'internal_error', ...reply.extra },
            { status: reply.status, headers: { 'content-type': 'application/problem+json', ...reply.headers } },
          );
        case 'commitThenDrop': {
          const answer = this.apply(req);
          return 'problem' in answer ? this.problem(answer.problem) : HttpResponse.error();
        }
        case 'normal': {
          const answer = this.apply(req);
          if (reply.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
          // The answer reflects the state when it was computed, like the real group commit.
          return 'problem' in answer ? this.problem(answer.problem) : HttpResponse.json(answer);
        }
      }
    });
  }

  problem(problem: { code: string; status: number; extra: Record<string, unknown> }): Response {
    return HttpResponse.json(
      { type: `/errors/${problem.code}`, title: problem.code, status: problem.status, code: problem.code, ...problem.extra },
      { status: problem.status, headers: { 'content-type': 'application/problem+json' } },
    ) as unknown as Response;
  }

  /** PROTOCOL §Append rules 1–4 (no epochs). */
  apply(req: FakeRequest): AppendResponse | { problem: { code: string; status: number; extra: Record<string, unknown> } } {
    for (let i = 0; i < req.events.length; i++) {
      const existing = this.stored.get(req.from + i);
      if (existing !== undefined && canonicalJson(existing) !== canonicalJson(req.events[i])) {
        return { problem: { code: 'seq_conflict', status: 409, extra: { seq: req.from + i, ack: this.ack } } };
      }
    }
    if (this.final !== null && req.to > this.final) return { problem: { code: 'build_closed', status: 409, extra: { ack: this.ack } } };
    if (req.from - this.ack > this.maxGapWindow) return { problem: { code: 'gap_too_large', status: 409, extra: { ack: this.ack } } };
    req.events.forEach((e, i) => this.stored.set(req.from + i, e));
    if (req.final) this.final = req.to;
    while (this.stored.has(this.ack + 1)) {
      const e = this.stored.get(this.ack + 1)!;
      this.digest = chainDigest(this.digest, { seq: this.ack + 1, ...e });
      this.ack++;
    }
    return { ack: this.ack, final: this.final, missing: this.missing(), digest: this.digest };
  }

  missing(): Array<[number, number]> {
    const above = [...this.stored.keys()].filter((s) => s > this.ack).sort((a, b) => a - b);
    const out: Array<[number, number]> = [];
    let expected = this.ack + 1;
    for (const seq of above) {
      if (seq > expected) out.push([expected, seq - 1]);
      expected = seq + 1;
    }
    return out;
  }

  /** The committed log, seqs 1..ack. */
  log(): FakeEvent[] {
    return Array.from({ length: this.ack }, (_, i) => this.stored.get(i + 1)!);
  }
}
