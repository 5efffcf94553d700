// Bench runners: append tasks over HTTP as @runlog/runner uploads (closed loops of fixed
// batches, and open loops that emit on a clock), with the batch bodies they send.
import type { AppendClosedTask, AppendFigures, AppendOpenTask, RunnerRef } from './load-tasks.js';
import { RunnerDefaults } from '../../runner-client/options.js';
import { request, type HttpAnswer } from './load-http.js';
import { monoUs } from './sse-scan.js';

const RUNNER_MAX_IN_FLIGHT = RunnerDefaults.maxInFlight;

/** An event whose JSON in a body is about `bytes` long; `data.t` is the emit time first. */
function eventsJson(count: number, bytes: number, tag: string): string {
  const t = monoUs();
  const pad = 'x'.repeat(Math.max(0, bytes - 60 - tag.length));
  const one = `{"type":"log","data":{"t":${t},"stream":"stdout","line":"${tag} ${pad}"}}`;
  return Array.from({ length: count }, () => one).join(',');
}

/** A batch whose events carry their own emit stamps (`data.t`), for events that waited to be sent. */
function stampedBatchBody(from: number, stamps: readonly number[], bytes: number, final: boolean): string {
  const pad = 'x'.repeat(Math.max(0, bytes - 60 - String(from).length));
  const events = stamps.map((t) => `{"type":"log","data":{"t":${t},"stream":"stdout","line":"${from} ${pad}"}}`);
  return `{"from":${from},"events":[${events.join(',')}]${final ? ',"final":true' : ''}}`;
}

export function batchBody(from: number, count: number, bytes: number, final: boolean): string {
  return `{"from":${from},"events":[${eventsJson(count, bytes, String(from))}]${final ? ',"final":true' : ''}}`;
}

function sorted(values: number[]): number[] {
  return values.sort((a, b) => a - b);
}

/**
 * POSTs until it is answered 200; answers 503/408 and reset sockets are counted and retried after
 * the server's Retry-After (20 ms without one), as @runlog/runner waits. Gives up at `deadlineUs`
 * (an overloaded server in an open loop never catches up).
 */
async function appendUntilAccepted(url: string, runner: RunnerRef, body: string, figures: { refused: number; requests: number }, deadlineUs = Infinity): Promise<boolean> {
  for (;;) {
    const left = (deadlineUs - monoUs()) / 1000;
    if (left <= 0) return false;
    figures.requests++;
    let answer: HttpAnswer;
    try {
      answer = await request(`${url}/v1/builds/${runner.buildId}/events`, 'POST', runner.token, body, Math.min(left, 120_000));
    } catch (error) {
      // A reused keep-alive socket the server had closed, or no answer in time: appends are
      // idempotent, so send it again.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ECONNRESET' && code !== 'ETIMEDOUT') throw error;
      figures.refused++;
      continue;
    }
    if (answer.status === 200) return true;
    if (answer.status !== 503 && answer.status !== 429 && answer.status !== 408) throw new Error(`append answered ${answer.status}: ${answer.body.toString().slice(0, 300)}`);
    figures.refused++;
    const retryAfterMs = Number(answer.headers['retry-after'] ?? 0) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(20, retryAfterMs)));
  }
}

export async function appendClosed(task: AppendClosedTask): Promise<AppendFigures> {
  const latencies: number[] = [];
  const figures = { refused: 0, requests: 0 };
  let events = 0;
  const firstSentUs = monoUs();
  const deadline = task.durationMs !== undefined ? firstSentUs + task.durationMs * 1000 : Infinity;
  await Promise.all(
    task.runners.map(async (runner) => {
      let next = runner.from;
      let ended = false;
      const last = task.events !== undefined ? runner.from + task.events - 1 : Infinity;
      const lane = async () => {
        for (;;) {
          if (ended || next > last) return;
          const timeUp = monoUs() >= deadline;
          if (timeUp && task.durationMs !== undefined && !task.final) return;
          const from = next;
          const count = timeUp ? 1 : Math.min(task.batch, last - from + 1);
          const final = (task.final ?? false) && (timeUp || from + count - 1 === last);
          // A final batch ends the log: no lane may start a batch past it.
          next += count;
          if (final) ended = true;
          const sent = monoUs();
          await appendUntilAccepted(task.url, runner, batchBody(from, count, task.eventBytes, final), figures);
          latencies.push((monoUs() - sent) / 1000);
          events += count;
          if (final) return;
        }
      };
      await Promise.all(Array.from({ length: task.inFlight ?? 1 }, lane));
    }),
  );
  return { events, requests: figures.requests, refused: figures.refused, latenciesMs: sorted(latencies), firstSentUs, lastAnsweredUs: monoUs() };
}

/**
 * Runners emitting `perTick` events every `intervalMs`, uploading as @runlog/runner does: up to
 * `RUNNER_MAX_IN_FLIGHT` appends at once, events emitted while all are out go together in the
 * next one, and a refused append is sent again after the server's Retry-After. (Fixed batches
 * per tick retried every 20 ms, whatever the answer, made an overloaded server's 503s into a
 * storm of new connections that ran the load processes out of local ports.)
 */
export async function appendOpen(task: AppendOpenTask): Promise<AppendFigures> {
  const latencies: number[] = [];
  const figures = { refused: 0, requests: 0 };
  let events = 0;
  const started = monoUs();
  const ticks = Math.floor(task.durationMs / task.intervalMs);
  // What is not accepted within `giveUpMs` after the last tick counts as not accepted.
  const giveUpUs = started + (task.durationMs + task.giveUpMs) * 1000;
  const lanes: Promise<void>[] = [];
  // Spread the runners over the interval so they do not all fire in the same millisecond.
  await Promise.all(
    task.runners.map(async (runner, r) => {
      const offsetUs = ((r * task.intervalMs * 1000) / task.runners.length) | 0;
      /** Emit stamps of the events not yet sent, in seq order; `next` is the first one's seq. */
      const unsent: number[] = [];
      let next = runner.from;
      let inFlight = 0;
      let lastEmitted = false;
      const upload = () => {
        while (inFlight < RUNNER_MAX_IN_FLIGHT && unsent.length > 0) {
          const stamps = unsent.splice(0, unsent.length);
          const from = next;
          next += stamps.length;
          const final = (task.final ?? false) && lastEmitted && unsent.length === 0;
          const sent = monoUs();
          inFlight++;
          lanes.push(
            appendUntilAccepted(task.url, runner, stampedBatchBody(from, stamps, task.eventBytes, final), figures, giveUpUs).then((accepted) => {
              inFlight--;
              if (accepted) {
                latencies.push((monoUs() - sent) / 1000);
                events += stamps.length;
              }
              upload();
            }),
          );
        }
      };
      for (let tick = 0; tick < ticks; tick++) {
        const due = started + offsetUs + tick * task.intervalMs * 1000;
        const wait = (due - monoUs()) / 1000;
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        const t = monoUs();
        for (let i = 0; i < task.perTick; i++) unsent.push(t);
        lastEmitted = tick === ticks - 1;
        upload();
      }
    }),
  );
  // Appends started by others' answers join the list while it is awaited.
  for (let done = 0; done < lanes.length; done = lanes.length) await Promise.all(lanes.slice(done));
  return { events, requests: figures.requests, refused: figures.refused, latenciesMs: sorted(latencies), firstSentUs: started, lastAnsweredUs: monoUs() };
}
