// PROTOCOL §UI messages, end to end against the real AI SDK 7: streams made by `streamText`
// over a mock model are appended to a build — in one batch, in random batch splits, and piped
// by the runner through a faulty proxy — and `/messages` must deep-equal what the SDK's own
// readUIMessageStream assembles from the same chunks; `watchBuild(...).messages` must equal it
// after starting mid-stream and reconnecting mid-stream.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getToolName, isToolUIPart, validateUIMessages, type UIMessage, type UIMessageChunk } from 'ai';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunner, type FetchLike } from '../runner-client/index.js';
import { watchBuild, type BuildState, type WatchStatus } from '../web-client/index.js';
import { chunkToEvent, referenceMessages, type Chunk } from './support/ai-sdk-reference.js';
import { SCENARIOS, collect, scenarioChunks, type Scenario } from './support/ai-sdk-scenarios.js';
import { PGLITE } from './support/backends.js';
import { describeFaults, seededRandom, startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { recordingFetch, waitFor, wrappedEventSource } from './support/web-watch.js';
import { HttpRunner } from './support/web-runner.js';

interface MessagesAnswer {
  seq: number;
  messages: unknown[];
  stream: unknown;
  malformed: number;
}

describe('UIMessages of AI SDK streams', () => {
  let server: TestServer;
  const chunksOf = new Map<string, Chunk[]>();
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    for (const [name, scenario] of Object.entries(SCENARIOS)) chunksOf.set(name, await scenarioChunks(scenario));
  });
  afterAll(async () => {
    await server?.stop();
  });

  const messagesOf = async (buildId: string, token?: string): Promise<MessagesAnswer> => {
    const res = await server.api(`/v1/builds/${buildId}/messages`, token ? { token } : {});
    expect(res.status).toBe(200);
    return res.body as MessagesAnswer;
  };
  const stateOf = async (buildId: string): Promise<BuildState> => (await server.api(`/v1/builds/${buildId}/state`)).body.state as BuildState;

  for (const name of Object.keys(SCENARIOS)) {
    it(`${name}: /messages is readUIMessageStream's result, appended in one batch or in random splits`, async () => {
      const chunks = chunksOf.get(name)!;
      const expected = await referenceMessages(chunks);
      expect(expected.rejected).toBe(false);

      const whole = await server.createBuild();
      await new HttpRunner(server.url, whole.buildId, whole.runner).emit(chunks.map(chunkToEvent), { final: true });
      const answer = await messagesOf(whole.buildId, whole.viewer);
      expect(answer.seq).toBe(chunks.length);
      expect(answer.messages).toEqual(expected.messages);
      expect(answer.malformed).toBe(0);
      expect((await stateOf(whole.buildId)).counts.malformed).toBe(0);

      // Random splits, /messages read after each batch: the served fold is extended batch by
      // batch and equals the SDK's result for every prefix.
      const split = await server.createBuild();
      const run = new HttpRunner(server.url, split.buildId, split.runner);
      const random = seededRandom(name.length * 7919);
      for (let at = 0; at < chunks.length; ) {
        const size = 1 + Math.floor(random() * 5);
        const batch = chunks.slice(at, at + size);
        at += batch.length;
        await run.emit(batch.map(chunkToEvent), { final: at === chunks.length });
        const prefix = await messagesOf(split.buildId);
        expect(prefix.seq).toBe(at);
        expect(prefix.messages).toEqual((await referenceMessages(chunks.slice(0, at))).messages);
      }
    });
  }

  it('two messages in one build: one UIMessage per start, each the SDK\'s', async () => {
    const chunks = [...chunksOf.get('text')!, { type: 'log', stream: 'stdout', line: 'between the messages' } as Chunk, ...chunksOf.get('multi-step tool calls')!];
    const { buildId, runner } = await server.createBuild();
    await new HttpRunner(server.url, buildId, runner).emit(chunks.map(chunkToEvent), { final: true });
    const answer = await messagesOf(buildId);
    expect(answer.messages.map((m) => (m as { id: string }).id)).toEqual(['msg-text', 'msg-tools']);
    expect(answer.messages).toEqual((await referenceMessages(chunks.filter((c) => c.type !== 'log'))).messages);
  });

  it('counts chunks the AI SDK would refuse as malformed, and they never break /messages or /state', async () => {
    const good = chunksOf.get('multi-step tool calls')!;
    const bad: Chunk[] = [
      { type: 'text-delta', id: 'never-started', delta: 'x' }, // a delta for an unknown text id
      { type: 'tool-output-available', toolCallId: 'call-unknown', output: 1 }, // an output for an unknown tool call
      { type: 'tool-approval-response', approvalId: 'no-such-approval', approved: true },
      { type: 'text-delta', id: 't2', delta: 5 }, // a shape the SDK's schema refuses
    ];
    // The bad chunks go in the middle of the message, after its first step.
    const at = good.findIndex((c) => c.type === 'finish-step') + 1;
    // A reasoning part ended twice: the SDK refuses the second end; BuildState, which judges ids
    // across the whole build (PROTOCOL §UI messages), lets it pass.
    const ended: Chunk = { type: 'reasoning-end', id: 'r1' };
    const chunks = [...good.slice(0, at), ...bad, ended, ...good.slice(at)];
    const { buildId, runner } = await server.createBuild();
    await new HttpRunner(server.url, buildId, runner).emit([...chunks.map(chunkToEvent), { type: 'start-step', data: [1, 2] }], { final: true });

    const answer = await messagesOf(buildId);
    expect(answer.malformed).toBe(bad.length + 2); // and the start-step whose data is an array
    expect(answer.messages).toEqual((await referenceMessages(good)).messages);
    const state = await stateOf(buildId);
    expect(state.counts.malformed).toBe(bad.length + 1);
    expect(state.tools.map((t) => t.toolCallId)).toEqual(['call-1', 'call-2']);
    expect(state.texts).toEqual({ t2: 'Both files read.' });
  });

  it('answers 304 to the ETag it gave while the log has not moved, and a fresh fold after it moved', async () => {
    const chunks = chunksOf.get('reasoning')!;
    const { buildId, runner } = await server.createBuild();
    const run = new HttpRunner(server.url, buildId, runner);
    await run.emit(chunks.slice(0, 4).map(chunkToEvent));
    const first = await server.api(`/v1/builds/${buildId}/messages`);
    const etag = first.headers.get('etag')!;
    expect((await server.api(`/v1/builds/${buildId}/messages`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    await run.emit(chunks.slice(4).map(chunkToEvent), { final: true });
    const second = await server.api(`/v1/builds/${buildId}/messages`, { headers: { 'if-none-match': etag } });
    expect(second.status).toBe(200);
    expect(second.body.messages).toEqual((await referenceMessages(chunks)).messages);
  });

  it('watchBuild with messages: false reads no /messages and keeps messages empty', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    await new HttpRunner(server.url, buildId, runner).emit(chunksOf.get('text')!.map(chunkToEvent), { final: true });
    const { fetch, requests } = recordingFetch();
    const es = wrappedEventSource();
    const watch = watchBuild({ url: server.url, buildId, token: viewer, EventSource: es.EventSource, fetch, messages: false });
    await waitFor(() => watch.status.kind === 'complete', 'complete');
    expect(requests.some((r) => r.includes('/messages'))).toBe(false);
    expect(watch.messages).toEqual([]);
    expect(watch.state.texts).toEqual({ t1: 'Hello, world.' });
  });

  describe('through the runner and a faulty proxy', () => {
    let proxy: FaultProxy;
    let spoolDir: string;
    beforeAll(async () => {
      proxy = await startFaultProxy({
        target: { host: '127.0.0.1', port: server.port },
        seed: 13_013,
        faults: { refuse: 0.1, dropAfterRequest: 0.15, cutResponse: 0.05, delayMs: [0, 5] },
      });
      spoolDir = await mkdtemp(join(tmpdir(), 'runlog-ai-sdk-'));
    });
    afterAll(async () => {
      await proxy?.close();
      await rm(spoolDir, { recursive: true, force: true });
    });

    it('pipeUIMessageStream delivers every scenario\'s live stream, and /messages equals the SDK\'s result', async () => {
      const { buildId, runner: token, viewer } = await server.createBuild();
      // One connection per request, so that the proxy's faults meet the appends.
      const agent = new Agent({ pipelining: 0 });
      const fetchPerConnection = ((input: string, init: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as FetchLike;
      const runner = await openRunner({ url: proxy.url, buildId, token, spoolDir, maxBatchEvents: 7, maxDelayMs: 200, fetch: fetchPerConnection });
      const piped: Chunk[] = [];
      let emitted = 0;
      for (const scenario of Object.values(SCENARIOS)) emitted += await pipeScenario(scenario, (stream) => runner.pipeUIMessageStream(stream, { maxPending: 3 }), piped);
      await runner.finish({ status: 'succeeded' });
      const stats = runner.stats();
      await runner.close();
      await agent.close();

      expect(emitted).toBe(piped.length);
      const answer = await messagesOf(buildId, viewer);
      expect(answer.seq).toBe(piped.length + 1);
      expect(answer.messages).toEqual((await referenceMessages([...piped, { type: 'finish', status: 'succeeded' }])).messages);
      expect(answer.malformed).toBe(0);
      expect(proxy.counts().dropAfterRequest + proxy.counts().refuse + proxy.counts().cutResponse).toBeGreaterThan(0);
      expect(stats.failures).toBeGreaterThan(0);
      console.log(`ai-sdk runner: ${piped.length} chunks in ${answer.messages.length} messages; ${describeFaults(proxy)}; requests=${stats.requests} failures=${stats.failures}`);
    });

    it('watchBuild(...).messages equals /messages after starting mid-stream and a reconnect mid-stream', async () => {
      const chunks = [...chunksOf.get('multi-step tool calls')!, ...chunksOf.get('approval answered')!, ...chunksOf.get('abort')!];
      const { buildId, runner, viewer } = await server.createBuild();
      const run = new HttpRunner(server.url, buildId, runner);
      const events = chunks.map(chunkToEvent);
      // The first third ends inside a streaming tool input: the snapshot holds open bookkeeping.
      const third = chunks.findIndex((c) => c.type === 'tool-input-delta') + 1;
      await run.emit(events.slice(0, third));
      proxy.setFaults({});
      const es = wrappedEventSource();
      const statuses: WatchStatus[] = [];
      let seen: readonly unknown[] = [];
      // Typed with the AI SDK's own UIMessage, as an app written for useChat would.
      const watch = watchBuild<UIMessage>({
        url: proxy.url, buildId, token: viewer, EventSource: es.EventSource, reconnectBaseMs: 50, reconnectMaxMs: 200,
        onStatus: (s) => statuses.push(s),
        onMessages: (messages) => (seen = messages),
      });
      try {
        await waitFor(() => watch.status.kind === 'live', 'live');
        expect(watch.stats.snapshotSeq).toBe(third);
        const mid = Math.floor((third + events.length) / 2);
        await run.emit(events.slice(third, mid));
        await waitFor(() => watch.seq === mid, `seq ${mid}`);
        expect(watch.messages).toEqual((await referenceMessages(chunks.slice(0, mid))).messages);
        proxy.severAll();
        await waitFor(() => statuses.some((s) => s.kind === 'reconnecting'), 'reconnecting');
        await run.emit(events.slice(mid), { final: true });
        await waitFor(() => watch.status.kind === 'complete', 'complete');
        const expected = (await referenceMessages(chunks)).messages;
        expect(JSON.parse(JSON.stringify(watch.messages))).toEqual(expected);
        expect(seen).toBe(watch.messages);
        expect((await messagesOf(buildId)).messages).toEqual(expected);
        // The SDK's own helpers and validator take them as they are.
        const tools = watch.messages.flatMap((m) => m.parts.filter(isToolUIPart).map((p) => `${getToolName(p)}:${p.state}`));
        expect(tools).toEqual(['readFile:output-available', 'readFile:output-available', 'deploy:output-available']);
        await expect(validateUIMessages({ messages: [...watch.messages] })).resolves.toHaveLength(3);
        expect(watch.stats.streamsOpened + es.opened.length).toBeGreaterThan(1);
      } finally {
        watch.close();
      }
    });
  });
});

/** Pipes a scenario's streams in order, keeping a copy of every chunk; returns the events emitted. */
async function pipeScenario(scenario: Scenario, pipe: (stream: ReadableStream<UIMessageChunk>) => Promise<{ events: number }>, into: Chunk[]): Promise<number> {
  let emitted = 0;
  const steps = scenario();
  let input: Chunk[] | undefined;
  for (;;) {
    const next = await steps.next(input);
    if (next.done) return emitted;
    if (Array.isArray(next.value)) {
      // The person's answer: the agent appends it as a chunk of its own.
      const answer = next.value;
      emitted += (await pipe(new ReadableStream({ start: (c) => { for (const chunk of answer) c.enqueue(chunk as unknown as UIMessageChunk); c.close(); } }))).events;
      input = answer;
    } else {
      const [toRunner, toCopy] = next.value.tee();
      const [result, copy] = await Promise.all([pipe(toRunner), collect(toCopy)]);
      emitted += result.events;
      input = copy;
    }
    into.push(...input);
  }
}
