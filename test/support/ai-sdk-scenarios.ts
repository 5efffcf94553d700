// Real AI SDK 7 UI message streams for the differential tests: `streamText` over a
// `MockLanguageModelV4` whose steps are scripted, turned into chunks by `toUIMessageStream`
// with reasoning and sources on — text, reasoning, multi-step tool calls, a tool error, an
// approval requested, answered and denied (by a person, and by a rule), sources, files, abort.
import { convertToModelMessages, readUIMessageStream, stepCountIs, streamText, tool, type ToolSet, type UIMessage, type UIMessageChunk } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { z } from 'zod';
import type { Chunk } from './ai-sdk-reference.js';

type ModelPart = Record<string, unknown> & { type: string };

const usage = { inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 5, text: 5, reasoning: 0 } };
const finish = (unified: string): ModelPart => ({ type: 'finish', usage, finishReason: { unified, raw: undefined } });
const text = (id: string, ...deltas: string[]): ModelPart[] => [{ type: 'text-start', id }, ...deltas.map((delta) => ({ type: 'text-delta', id, delta })), { type: 'text-end', id }];
const reasoning = (id: string, ...deltas: string[]): ModelPart[] => [{ type: 'reasoning-start', id }, ...deltas.map((delta) => ({ type: 'reasoning-delta', id, delta })), { type: 'reasoning-end', id }];
/** A tool call whose input streams in pieces, as providers send it. */
const toolCall = (id: string, toolName: string, input: unknown): ModelPart[] => {
  const json = JSON.stringify(input);
  const cut = Math.ceil(json.length / 2);
  return [
    { type: 'tool-input-start', id, toolName },
    { type: 'tool-input-delta', id, delta: json.slice(0, cut) },
    { type: 'tool-input-delta', id, delta: json.slice(cut) },
    { type: 'tool-input-end', id },
    { type: 'tool-call', toolCallId: id, toolName, input: json },
  ];
};

/** A model that answers call n with `steps[n]`; a `'hang'` part waits for the abort signal. */
function model(steps: ModelPart[][]): MockLanguageModelV4 {
  let call = 0;
  return new MockLanguageModelV4({
    doStream: async ({ abortSignal }) => {
      const parts = steps[call++] ?? [finish('stop')];
      return {
        stream: new ReadableStream({
          async start(controller) {
            for (const part of [{ type: 'stream-start', warnings: [] }, ...parts]) {
              if (part.type === 'hang') {
                await new Promise<void>((resolve) => (abortSignal?.aborted ? resolve() : abortSignal?.addEventListener('abort', () => resolve(), { once: true })));
                controller.error(new DOMException('aborted', 'AbortError'));
                return;
              }
              controller.enqueue(part as never);
            }
            controller.close();
          },
        }),
      };
    },
  });
}

const tools = {
  readFile: tool({ description: 'Reads a file', inputSchema: z.object({ path: z.string() }), execute: async ({ path }) => ({ path, content: `contents of ${path}` }) }),
  runTests: tool({ description: 'Runs the tests', inputSchema: z.object({ filter: z.string() }), execute: async (): Promise<{ ok: boolean }> => { throw new Error('disk full'); } }),
  deploy: tool({ description: 'Deploys', inputSchema: z.object({ env: z.string() }), needsApproval: true, execute: async ({ env }) => ({ deployed: env }) }),
} satisfies ToolSet;

const USER: UIMessage = { id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Ship it' }] };

interface RunOptions {
  readonly steps: ModelPart[][];
  readonly messageId?: string;
  readonly history?: UIMessage[];
  readonly toolApproval?: Parameters<typeof streamText>[0]['toolApproval'];
  /** Abort the call once a chunk of this type went by. */
  readonly abortAfter?: string;
}

async function run(options: RunOptions): Promise<ReadableStream<UIMessageChunk>> {
  const abort = new AbortController();
  const history = options.history ?? [USER];
  const result = streamText({
    model: model(options.steps),
    tools,
    messages: await convertToModelMessages(history),
    stopWhen: stepCountIs(4),
    abortSignal: abort.signal,
    ...(options.toolApproval ? { toolApproval: options.toolApproval } : {}),
  });
  const stream = result.toUIMessageStream({
    sendReasoning: true,
    sendSources: true,
    originalMessages: history,
    ...(options.messageId ? { generateMessageId: () => options.messageId! } : {}),
  }) as ReadableStream<UIMessageChunk>;
  if (options.abortAfter === undefined) return stream;
  return stream.pipeThrough(
    new TransformStream<UIMessageChunk, UIMessageChunk>({
      transform(chunk, controller) {
        controller.enqueue(chunk);
        if (chunk.type === options.abortAfter) abort.abort();
      },
    }),
  );
}

export async function collect(stream: ReadableStream<UIMessageChunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<UIMessageChunk>) chunks.push(chunk as unknown as Chunk);
  return chunks;
}

/** The message the app holds after a stream: what useChat would send back with the person's answer. */
async function messageOf(chunks: Chunk[]): Promise<UIMessage> {
  let last: UIMessage | undefined;
  const stream = new ReadableStream<UIMessageChunk>({ start(c) { for (const chunk of chunks) c.enqueue(chunk as unknown as UIMessageChunk); c.close(); } });
  for await (const m of readUIMessageStream({ stream })) last = m;
  return last!;
}

/** A person answers the approval the message asks for; returns the chunk that records it and the message to continue from. */
function answer(message: UIMessage, approved: boolean): { chunk: Chunk; message: UIMessage } {
  const next = structuredClone(message);
  const part = next.parts.find((p) => 'approval' in p && p.state === 'approval-requested') as { state: string; approval: { id: string; approved?: boolean } };
  part.state = 'approval-responded';
  part.approval = { ...part.approval, approved };
  return { chunk: { type: 'tool-approval-response', approvalId: part.approval.id, approved, reason: approved ? 'looks right' : 'not on a Friday' }, message: next };
}

/** The streams of one scenario, in order; an approval scenario has the request, the person's answer, and the continuation. */
export type Scenario = () => AsyncGenerator<ReadableStream<UIMessageChunk> | Chunk[], void, Chunk[] | undefined>;

const single = (options: RunOptions): Scenario => async function* () {
  yield await run(options);
};

/** A tool that needs approval, then a person's answer, then the agent continuing the same message. */
const approval = (approved: boolean, messageId: string): Scenario => async function* () {
  const deploy = [...toolCall('call-deploy', 'deploy', { env: 'prod' }), finish('tool-calls')];
  const requested = (yield await run({ steps: [deploy], messageId }))!;
  const { chunk, message } = answer(await messageOf(requested), approved);
  yield [chunk];
  yield await run({ steps: [[...(approved ? text('t-after', 'Deployed ', 'to prod.') : text('t-after', 'Not deployed.')), finish('stop')]], history: [USER, message] });
};

export const SCENARIOS: Record<string, Scenario> = {
  text: single({ steps: [[...text('t1', 'Hello', ', ', 'world.'), finish('stop')]], messageId: 'msg-text' }),
  reasoning: single({ steps: [[...reasoning('r1', 'The user wants ', 'a greeting.'), ...text('t1', 'Hi!'), finish('stop')]], messageId: 'msg-reasoning' }),
  'multi-step tool calls': single({
    steps: [
      [...reasoning('r1', 'Read it first.'), ...toolCall('call-1', 'readFile', { path: 'README.md' }), ...toolCall('call-2', 'readFile', { path: 'package.json' }), finish('tool-calls')],
      [...text('t2', 'Both files ', 'read.'), finish('stop')],
    ],
    messageId: 'msg-tools',
  }),
  'tool error': single({ steps: [[...toolCall('call-t', 'runTests', { filter: 'web' }), finish('tool-calls')], [...text('t2', 'The tests could not run.'), finish('stop')]], messageId: 'msg-error' }),
  'approval requested': single({ steps: [[...text('t1', 'Deploying.'), ...toolCall('call-deploy', 'deploy', { env: 'prod' }), finish('tool-calls')]], messageId: 'msg-waiting' }),
  'approval answered': approval(true, 'msg-approved'),
  denied: approval(false, 'msg-denied'),
  'denied by a rule': single({
    steps: [[...toolCall('call-rule', 'deploy', { env: 'prod' }), finish('tool-calls')], [...text('t2', 'Refused by policy.'), finish('stop')]],
    toolApproval: { deploy: { type: 'denied', reason: 'production is frozen' } },
    messageId: 'msg-rule',
  }),
  sources: single({
    steps: [[
      ...text('t1', 'See the docs.'),
      { type: 'source', sourceType: 'url', id: 'src-1', url: 'https://ai-sdk.dev/docs', title: 'AI SDK docs' },
      { type: 'source', sourceType: 'document', id: 'src-2', mediaType: 'application/pdf', title: 'Design', filename: 'design.pdf' },
      finish('stop'),
    ]],
    messageId: 'msg-sources',
  }),
  files: single({
    steps: [[
      { type: 'file', mediaType: 'image/png', data: { type: 'data', data: 'iVBORw0KGgo=' } },
      { type: 'reasoning-file', mediaType: 'text/plain', data: { type: 'data', data: 'bm90ZXM=' } },
      ...text('t1', 'Here is the chart.'),
      finish('stop'),
    ]],
  }),
  abort: single({ steps: [[...text('t1', 'Partial ', 'answer'), { type: 'hang' }]], abortAfter: 'text-delta', messageId: 'msg-abort' }),
};

/** Every chunk of a scenario, streams collected in order. */
export async function scenarioChunks(scenario: Scenario): Promise<Chunk[]> {
  const all: Chunk[] = [];
  const steps = scenario();
  let input: Chunk[] | undefined;
  for (;;) {
    const next = await steps.next(input);
    if (next.done) return all;
    input = Array.isArray(next.value) ? next.value : await collect(next.value);
    all.push(...input);
  }
}
