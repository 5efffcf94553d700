// A stand-in runner for the web tests: appends over HTTP (POST /v1/builds/{id}/events with the
// runner token, PROTOCOL §Append) and scripts an agent build — start, reasoning and text
// deltas, tool calls with inputs and outputs (one failing), log lines, data parts, finish.
import type { EventInput, LogEvent } from '../../protocol/schemas.js';

export class HttpRunner {
  readonly #url: string;
  readonly #buildId: string;
  readonly #token: string;
  #next = 1;

  constructor(url: string, buildId: string, runnerToken: string) {
    this.#url = url;
    this.#buildId = buildId;
    this.#token = runnerToken;
  }

  /** The seq the next event gets. */
  get nextSeq(): number {
    return this.#next;
  }

  /** Appends `events` as one batch (or several of ≤ 1000); `final` declares the last one the build's last. */
  async emit(events: readonly EventInput[], options: { final?: boolean; url?: string } = {}): Promise<number> {
    let ack = 0;
    for (let i = 0; i < events.length; i += 1000) {
      const batch = events.slice(i, i + 1000);
      const last = i + 1000 >= events.length;
      const from = this.#next;
      const response = await fetch(`${options.url ?? this.#url}/v1/builds/${this.#buildId}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from, events: batch, ...(last && options.final ? { final: true } : {}) }),
      });
      const body = (await response.json()) as { ack: number };
      if (response.status !== 200 || body.ack !== from + batch.length - 1) {
        throw new Error(`append at ${from} answered ${response.status} ${JSON.stringify(body)}`);
      }
      this.#next += batch.length;
      ack = body.ack;
    }
    return ack;
  }
}

/** Every committed event of a build, read page by page from the JSON endpoint. */
export async function readLog(url: string, buildId: string, token: string): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  for (;;) {
    const response = await fetch(`${url}/v1/builds/${buildId}/events?after=${events.length}&limit=10000`, { headers: { authorization: `Bearer ${token}` } });
    const page = (await response.json()) as { events: LogEvent[] };
    if (response.status !== 200) throw new Error(`read answered ${response.status}`);
    if (page.events.length === 0) return events;
    events.push(...page.events);
  }
}

/** A read:* token for the build list (admin only may mint one). */
export async function readAllToken(url: string, adminToken: string): Promise<string> {
  const response = await fetch(`${url}/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scope: 'read:*' }),
  });
  if (response.status !== 201) throw new Error(`token answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

export interface AgentTool {
  readonly toolCallId: string;
  readonly toolName: string;
  readonly input: unknown;
  /** The output, or an error text for a failing call. */
  readonly output?: unknown;
  readonly errorText?: string;
}

export const AGENT_TOOLS: readonly AgentTool[] = [
  { toolCallId: 'call-1', toolName: 'read_file', input: { path: 'src/index.ts' }, output: { lines: 42, text: 'export const answer = 42;' } },
  { toolCallId: 'call-2', toolName: 'run_tests', input: { command: 'npm test', timeoutMs: 60000 }, output: { passed: 17, failed: 0 } },
  { toolCallId: 'call-3', toolName: 'search', input: { query: '<img src=x onerror=alert(1)>' }, errorText: 'search index unavailable <b>503</b>' },
  { toolCallId: 'call-4', toolName: 'write_file', input: { path: 'src/fix.ts', contents: 'export {};\n' }, output: { written: true, bytes: 11 } },
];

/** The assistant's reply, streamed word by word (contains markup that must stay text). */
export const AGENT_TEXT = 'I read the code, ran the tests and wrote the fix. <script>alert("x")</script> All 17 tests pass.';
export const AGENT_REASONING = 'The failing import comes from src/index.ts; check it first.';

/** One tool call's events: input start, two input deltas, input available, then output or error. */
export function toolEvents(tool: AgentTool): EventInput[] {
  const inputText = JSON.stringify(tool.input);
  const half = Math.floor(inputText.length / 2);
  return [
    { type: 'tool-input-start', data: { toolCallId: tool.toolCallId, toolName: tool.toolName } },
    { type: 'tool-input-delta', data: { toolCallId: tool.toolCallId, inputTextDelta: inputText.slice(0, half) } },
    { type: 'tool-input-delta', data: { toolCallId: tool.toolCallId, inputTextDelta: inputText.slice(half) } },
    { type: 'tool-input-available', data: { toolCallId: tool.toolCallId, toolName: tool.toolName, input: tool.input } },
    tool.errorText !== undefined
      ? { type: 'tool-output-error', data: { toolCallId: tool.toolCallId, errorText: tool.errorText } }
      : { type: 'tool-output-available', data: { toolCallId: tool.toolCallId, output: tool.output } },
  ];
}

export function textDeltas(id: string, text: string, kind: 'text' | 'reasoning' = 'text'): EventInput[] {
  const words = text.split(/(?<= )/);
  return [
    { type: `${kind}-start`, data: { id } },
    ...words.map((delta) => ({ type: `${kind}-delta`, data: { id, delta } })),
    { type: `${kind}-end`, data: { id } },
  ];
}

export function logLines(from: number, count: number, every = 5): EventInput[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'log',
    data: { stream: (from + i) % every === 0 ? 'stderr' : 'stdout', line: `[${String(from + i).padStart(4, '0')}] compiling module ${from + i}` },
  }));
}

/**
 * The agent build as batches, in order: each batch is one append. The last batch holds
 * `finish`; `logsPerBatch` log lines ride along with each step so the log panel scrolls.
 */
export function agentBuildBatches(logsPerBatch = 6): EventInput[][] {
  let line = 1;
  const logs = () => {
    const out = logLines(line, logsPerBatch);
    line += logsPerBatch;
    return out;
  };
  const batches: EventInput[][] = [
    [{ type: 'start', data: {} }, { type: 'status', data: { phase: 'plan', message: 'reading the task' } }, { type: 'start-step', data: {} }],
    [...textDeltas('r1', AGENT_REASONING, 'reasoning'), ...logs()],
  ];
  for (const tool of AGENT_TOOLS) {
    const events = toolEvents(tool);
    batches.push([...events.slice(0, 3), ...logs()]);
    batches.push([...events.slice(3), ...logs(), { type: 'data-progress', data: { id: 'p', data: { done: batches.length, of: 12 } } }]);
  }
  batches.push([{ type: 'status', data: { phase: 'report' } }, { type: 'error', data: { errorText: 'search failed once; continued without it' } }, { type: 'start-step', data: {} }]);
  const text = textDeltas('t1', AGENT_TEXT);
  batches.push(text.slice(0, 6), [...text.slice(6), ...logs()]);
  batches.push([{ type: 'finish-step', data: {} }, { type: 'custom.metric', data: { cpuMs: 1234 } }, { type: 'finish', data: { status: 'succeeded' } }]);
  return batches;
}
