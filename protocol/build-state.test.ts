// PROTOCOL §Event vocabulary and BuildState: one test per event type, and an agent build end to end.
import { describe, it, expect } from 'vitest';
import {
  KNOWN_EVENT_TYPES,
  LOG_TAIL_LINES,
  initialBuildState,
  reduceEvent,
  reduceEvents,
  type BuildState,
  type ReducerEvent,
} from './build-state.js';

const RECEIVED = '2026-11-27T18:00:00.500Z';
type Spec = [type: string, data?: unknown, time?: string | null];

/** Events numbered from 1, with `time` null unless given; `receivedAt` is fixed. */
function events(...specs: Spec[]): ReducerEvent[] {
  return specs.map(([type, data = null, time = null], i) => ({ seq: i + 1, type, data, time, receivedAt: RECEIVED }));
}
const fold = (...specs: Spec[]): BuildState => reduceEvents(initialBuildState(), events(...specs));

describe('reduceEvents: one event type at a time', () => {
  it('starts pending with nothing counted', () => {
    expect(initialBuildState()).toEqual({
      status: 'pending', phase: null, message: null, startedAt: null, finishedAt: null, steps: 0,
      tools: [], approvals: [], sources: [], files: [], texts: {}, reasoning: {}, data: {}, logs: { count: 0, tail: [], firstStderr: null, sections: [] }, errors: [],
      counts: { events: 0, byType: {}, malformed: 0 },
    });
  });

  it('start: running, startedAt from time, else receivedAt; a second start keeps the first time', () => {
    expect(fold(['start', {}, '2026-11-27T18:00:00.000Z'])).toMatchObject({ status: 'running', startedAt: '2026-11-27T18:00:00.000Z' });
    expect(fold(['start']).startedAt).toBe(RECEIVED);
    expect(fold(['start', {}, 'T1'], ['start', {}, 'T2']).startedAt).toBe('T1');
  });

  it('start-step / finish-step: steps counts the starts', () => {
    const s = fold(['start-step'], ['finish-step'], ['start-step', {}], ['finish-step', {}]);
    expect(s.steps).toBe(2);
    expect(s.counts.byType).toEqual({ 'start-step': 2, 'finish-step': 2 });
    expect(s.counts.malformed).toBe(0);
  });

  it('text-start / text-delta / text-end: texts[id] accumulates per id', () => {
    const s = fold(
      ['text-start', { id: 't1' }],
      ['text-delta', { id: 't1', delta: 'Hel' }],
      ['text-start', { id: 't2' }],
      ['text-delta', { id: 't2', delta: 'other' }],
      ['text-delta', { id: 't1', delta: 'lo' }],
      ['text-end', { id: 't1' }],
    );
    expect(s.texts).toEqual({ t1: 'Hello', t2: 'other' });
    expect(s.counts.malformed).toBe(0);
  });

  it('a new start of an id that holds text begins a new paragraph (providers reuse ids per step)', () => {
    const s = fold(['text-start', { id: '0' }], ['text-delta', { id: '0', delta: 'Step one.' }], ['text-end', { id: '0' }], ['text-start', { id: '0' }], ['text-delta', { id: '0', delta: 'Step two.' }]);
    expect(s.texts).toEqual({ 0: 'Step one.\n\nStep two.' });
  });

  it('an AI SDK finish chunk (with finishReason) ends a message, not the build; the runner\'s finish ends the build', () => {
    const s = fold(['start'], ['finish', { finishReason: 'tool-calls' }]);
    expect(s).toMatchObject({ status: 'running', finishedAt: null });
    expect(s.counts.malformed).toBe(0);
    expect(fold(['start'], ['finish', { finishReason: 'stop' }], ['finish', { status: 'failed' }]).status).toBe('failed');
    expect(fold(['start'], ['finish', { finishReason: 'stop', status: 'succeeded' }]).status).toBe('succeeded');
  });

  it('a text or reasoning delta or end for an id no start opened is malformed and changes nothing', () => {
    const s = fold(['text-delta', { id: 't9', delta: 'x' }], ['text-end', { id: 't9' }], ['reasoning-delta', { id: 'r9', delta: 'y' }], ['reasoning-end', { id: 'r9' }]);
    expect(s.counts.malformed).toBe(4);
    expect(s.texts).toEqual({});
    expect(s.reasoning).toEqual({});
  });

  it('reasoning-start / reasoning-delta / reasoning-end: reasoning[id] accumulates, apart from texts', () => {
    const s = fold(['reasoning-start', { id: 'r' }], ['reasoning-delta', { id: 'r', delta: 'think' }], ['reasoning-end', { id: 'r' }]);
    expect(s.reasoning).toEqual({ r: 'think' });
    expect(s.texts).toEqual({});
  });

  it('tool-input-start: creates the tool as input-streaming with its name', () => {
    expect(fold(['tool-input-start', { toolCallId: 'c1', toolName: 'bash' }]).tools).toEqual([
      { toolCallId: 'c1', toolName: 'bash', state: 'input-streaming', inputText: '', input: null, output: null, errorText: null, approval: null },
    ]);
  });

  it('tool-input-delta: inputText accumulates', () => {
    const s = fold(
      ['tool-input-start', { toolCallId: 'c1', toolName: 'bash' }],
      ['tool-input-delta', { toolCallId: 'c1', inputTextDelta: '{"cmd":' }],
      ['tool-input-delta', { toolCallId: 'c1', inputTextDelta: '"ls"}' }],
    );
    expect(s.tools[0]).toMatchObject({ inputText: '{"cmd":"ls"}', state: 'input-streaming' });
  });

  it('tool-input-available: input-available with the input', () => {
    const s = fold(['tool-input-start', { toolCallId: 'c1', toolName: 'bash' }], ['tool-input-available', { toolCallId: 'c1', toolName: 'bash', input: { cmd: 'ls' } }]);
    expect(s.tools).toHaveLength(1);
    expect(s.tools[0]).toMatchObject({ state: 'input-available', input: { cmd: 'ls' }, toolName: 'bash' });
  });

  it('tool-output-available: output-available with the output', () => {
    const s = fold(['tool-input-available', { toolCallId: 'c9', toolName: 'bash', input: {} }], ['tool-output-available', { toolCallId: 'c9', output: { exitCode: 0 } }]);
    expect(s.tools).toEqual([
      { toolCallId: 'c9', toolName: 'bash', state: 'output-available', inputText: '', input: {}, output: { exitCode: 0 }, errorText: null, approval: null },
    ]);
  });

  it('a tool delta, output, error, approval, denial or input end for an unknown toolCallId is malformed and creates no tool', () => {
    const s = fold(
      ['tool-input-delta', { toolCallId: 'c9', inputTextDelta: '{' }],
      ['tool-output-available', { toolCallId: 'c9', output: 1 }],
      ['tool-output-error', { toolCallId: 'c9', errorText: 'x' }],
      ['tool-approval-request', { toolCallId: 'c9', approvalId: 'a1' }],
      ['tool-approval-response', { approvalId: 'a9', approved: true }],
      ['tool-output-denied', { toolCallId: 'c9' }],
      ['tool-input-end', { toolCallId: 'c9' }],
    );
    expect(s.counts.malformed).toBe(7);
    expect(s.tools).toEqual([]);
    expect(s.approvals).toEqual([]);
  });

  it('tool-input-error / tool-output-error: error state with errorText', () => {
    const s = fold(
      ['tool-input-error', { toolCallId: 'a', toolName: 'edit', input: 'bad', errorText: 'unparsable input' }],
      ['tool-input-available', { toolCallId: 'b', toolName: 'bash', input: {} }],
      ['tool-output-error', { toolCallId: 'b', errorText: 'exit 1' }],
    );
    expect(s.tools.map((t) => [t.toolCallId, t.toolName, t.state, t.errorText, t.input])).toEqual([
      ['a', 'edit', 'error', 'unparsable input', 'bad'],
      ['b', 'bash', 'error', 'exit 1', {}],
    ]);
  });

  it('keeps one tool per toolCallId, in first-seen order, across a fold touching many tools', () => {
    const specs: Spec[] = [];
    for (let i = 0; i < 30; i++) {
      specs.push(['tool-input-start', { toolCallId: `c${i}`, toolName: 'bash' }], ['tool-output-available', { toolCallId: `c${i}`, output: i }]);
    }
    specs.push(['tool-output-error', { toolCallId: 'c0', errorText: 'late' }]);
    const s = fold(...specs);
    expect(s.tools.map((t) => t.toolCallId)).toEqual(Array.from({ length: 30 }, (_, i) => `c${i}`));
    expect(s.tools.map((t) => t.output)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(s.tools[0]).toMatchObject({ state: 'error', errorText: 'late' });
  });

  it('data-*: data[type] or data[type/id] holds the latest value', () => {
    const s = fold(
      ['data-progress', { data: { pct: 10 } }],
      ['data-progress', { data: { pct: 50 } }],
      ['data-file', { id: 'a.ts', data: 'v1' }],
      ['data-file', { id: 'b.ts', data: 'v1' }],
      ['data-file', { id: 'a.ts', data: 'v2' }],
    );
    expect(s.data).toEqual({ 'data-progress': { pct: 50 }, 'data-file/a.ts': 'v2', 'data-file/b.ts': 'v1' });
  });

  it('log: count and the last LOG_TAIL_LINES lines with their seqs', () => {
    const specs: Spec[] = Array.from({ length: LOG_TAIL_LINES + 20 }, (_, i) => ['log', { stream: i % 2 ? 'stderr' : 'stdout', line: `line ${i}` }]);
    const s = fold(...specs);
    expect(LOG_TAIL_LINES).toBe(500);
    expect(s.logs.count).toBe(520);
    expect(s.logs.tail).toHaveLength(500);
    expect(s.logs.tail[0]).toEqual({ seq: 21, stream: 'stdout', line: 'line 20' });
    expect(s.logs.tail.at(-1)).toEqual({ seq: 520, stream: 'stderr', line: 'line 519' });
  });

  it('status: sets phase and message; a status without message clears it', () => {
    expect(fold(['status', { phase: 'build', message: 'compiling' }])).toMatchObject({ phase: 'build', message: 'compiling' });
    expect(fold(['status', { phase: 'build', message: 'compiling' }], ['status', { phase: 'test' }])).toMatchObject({ phase: 'test', message: null });
  });

  it('error: appends {seq, errorText, line}, line being the log lines before it', () => {
    expect(fold(['start'], ['error', { errorText: 'rate limited' }], ['log', { stream: 'stdout', line: 'x' }], ['error', { errorText: 'again' }]).errors).toEqual([
      { seq: 2, errorText: 'rate limited', line: 0 },
      { seq: 4, errorText: 'again', line: 1 },
    ]);
  });

  it('log: numbers lines from 1, remembers the first stderr line, and skips malformed lines', () => {
    const s = fold(
      ['log', { stream: 'stdout', line: 'one' }],
      ['log', { stream: 'stdout', line: 7 }],
      ['log', { stream: 'stdout', line: 'x', toolCallId: 5 }],
      ['log', { stream: 'stderr', line: 'two' }],
      ['log', { stream: 'stderr', line: 'three' }],
    );
    expect(s.logs).toMatchObject({ count: 3, firstStderr: 2, sections: [] });
    expect(s.counts.malformed).toBe(2);
  });

  it('start-step/finish-step: a step section spans its lines; a step without lines leaves none', () => {
    const line = (text: string, stream = 'stdout', toolCallId?: string): Spec => ['log', { stream, line: text, ...(toolCallId ? { toolCallId } : {}) }];
    const s = fold(
      line('before'),
      ['start-step'],
      line('a'),
      line('b', 'stdout', 'call-1'),
      line('c', 'stderr', 'call-1'),
      line('d'),
      line('e', 'stdout', 'call-1'),
      ['finish-step'],
      ['start-step'],
      ['finish-step'],
      ['start-step'],
      line('f', 'stdout', 'call-2'),
    );
    expect(s.steps).toBe(3);
    expect(s.logs.sections).toEqual([
      { kind: 'step', id: '1', from: 2, to: 6, open: false, firstStderr: 4 },
      { kind: 'tool', id: 'call-1', from: 3, to: 4, open: false, firstStderr: 4 },
      { kind: 'tool', id: 'call-1', from: 6, to: 6, open: false, firstStderr: null },
      { kind: 'step', id: '3', from: 7, to: 7, open: true, firstStderr: null },
      { kind: 'tool', id: 'call-2', from: 7, to: 7, open: true, firstStderr: null },
    ]);
  });

  it('tool runs without steps: each run of lines tied to one call is a section', () => {
    const specs: Spec[] = [];
    for (let i = 0; i < 30; i++) specs.push(['log', { stream: 'stdout', line: `l${i}`, toolCallId: `c${i % 3}` }]);
    const s = fold(...specs);
    expect(s.logs.sections).toHaveLength(30);
    expect(s.logs.sections.filter((x) => x.open)).toEqual([{ kind: 'tool', id: 'c2', from: 30, to: 30, open: true, firstStderr: null }]);
  });

  it('finish: status from data (default succeeded) and finishedAt', () => {
    expect(fold(['start'], ['finish', null, 'T9'])).toMatchObject({ status: 'succeeded', finishedAt: 'T9' });
    for (const status of ['succeeded', 'failed', 'canceled'] as const) expect(fold(['finish', { status }]).status).toBe(status);
  });

  it('finish with an unknown status: succeeded, and counted as malformed', () => {
    const s = fold(['start'], ['finish', { status: 'exploded' }, 'T9']);
    expect(s).toMatchObject({ status: 'succeeded', finishedAt: 'T9' });
    expect(s.counts.malformed).toBe(1);
  });

  it('abort: canceled and finishedAt', () => {
    expect(fold(['start'], ['abort', { reason: 'user' }])).toMatchObject({ status: 'canceled', finishedAt: RECEIVED });
  });

  it('unknown types are counted by type and change nothing else', () => {
    const s = fold(['compile.done', { ok: true }], ['compile.done'], ['constructor', {}], ['__proto__', {}]);
    expect(s.counts.events).toBe(4);
    expect(s.counts.malformed).toBe(0);
    expect(Object.entries(s.counts.byType)).toEqual([['compile.done', 2], ['constructor', 1], ['__proto__', 1]]);
    expect({ ...s, counts: null }).toEqual({ ...initialBuildState(), counts: null });
  });
});

describe('reduceEvents: malformed data', () => {
  // For each known type: data that misses or mistypes a required field.
  const MALFORMED: Spec[] = [
    ['start', 'go'], ['start-step', [1]], ['finish-step', 7],
    ['text-start', null], ['text-delta', { id: 1, delta: 'x' }], ['text-end', {}],
    ['reasoning-start', []], ['reasoning-delta', { id: 'r', delta: 5 }], ['reasoning-end', 'r'],
    ['tool-input-start', { toolName: 'bash' }], ['tool-input-delta', { toolCallId: 'c1' }],
    ['tool-input-available', { toolCallId: 'c1', toolName: 3 }], ['tool-output-available', { toolCallId: {} }],
    ['tool-input-error', { toolCallId: 'c1' }], ['tool-output-error', { toolCallId: 'c1', errorText: null }],
    ['data-x', { id: 'a' }], ['data-x', { id: 4, data: 1 }], ['data-x', 'raw'],
    ['log', { stream: 'stdin', line: 'x' }], ['log', { stream: 'stdout' }],
    ['status', { message: 'no phase' }], ['error', { message: 'no errorText' }],
    ['finish', 'done'], ['abort', 0],
    ['tool-input-end', { id: 'c1' }], ['tool-approval-request', { toolCallId: 'c1' }], ['tool-approval-response', { approvalId: 'a1', approved: 'yes' }],
    ['tool-output-denied', {}], ['source-url', { sourceId: 's', url: 7 }], ['source-document', { sourceId: 's', mediaType: 'a/b' }],
    ['file', { url: 'https://x' }], ['reasoning-file', { mediaType: 'image/png' }], ['message-metadata', {}], ['reset-step', 'now'],
    ['steering-message', { id: 'u', parts: [{ type: 'image' }] }], ['custom', { kind: 1 }],
  ];

  it('covers every known type', () => {
    expect(new Set(MALFORMED.map(([t]) => t))).toEqual(new Set([...KNOWN_EVENT_TYPES, 'data-x']));
  });

  it.each(MALFORMED)('%s with %j is counted as malformed and changes nothing else', (type, data) => {
    const s = fold([type, data]);
    expect(s.counts).toEqual({ events: 1, byType: { [type]: 1 }, malformed: 1 });
    expect({ ...s, counts: null }).toEqual({ ...initialBuildState(), counts: null });
  });

  it('does not throw on data with a throwing getter', () => {
    const hostile = Object.defineProperty({}, 'toolCallId', { enumerable: true, get: () => { throw new Error('boom'); } });
    const s = fold(['tool-input-start', hostile]);
    expect(s.counts.malformed).toBe(1);
    expect(s.tools).toEqual([]);
  });
});

describe('reduceEvents: purity', () => {
  it('leaves the input state as it was and shares the parts it did not touch', () => {
    const before = fold(['start'], ['tool-input-start', { toolCallId: 'c1', toolName: 'bash' }], ['text-start', { id: 't' }], ['text-delta', { id: 't', delta: 'a' }], ['log', { stream: 'stdout', line: 'x' }]);
    const snapshot = structuredClone(before);
    const after = reduceEvent(before, { seq: 5, type: 'text-delta', data: { id: 't', delta: 'b' }, time: null, receivedAt: RECEIVED });
    expect(before).toEqual(snapshot);
    expect(after.texts).toEqual({ t: 'ab' });
    expect(after.tools).toBe(before.tools);
    expect(after.logs.tail).toBe(before.logs.tail);
    expect(reduceEvents(before, [])).toBe(before);
  });

  it('reduceEvent is one step of reduceEvents', () => {
    const evs = events(['start'], ['tool-input-start', { toolCallId: 'c1' }], ['tool-input-delta', { toolCallId: 'c1', inputTextDelta: 'x' }], ['finish']);
    expect(evs.reduce(reduceEvent, initialBuildState())).toEqual(reduceEvents(initialBuildState(), evs));
  });
});

describe('reduceEvents: an agent build', () => {
  it('folds a realistic run into the state a viewer shows', () => {
    const s = fold(
      ['start', {}, 'T0'],
      ['status', { phase: 'plan', message: 'reading the repo' }, 'T1'],
      ['start-step', {}],
      ['reasoning-start', { id: 'r1' }],
      ['reasoning-delta', { id: 'r1', delta: 'Tests first, ' }],
      ['reasoning-delta', { id: 'r1', delta: 'then build.' }],
      ['reasoning-end', { id: 'r1' }],
      ['tool-input-start', { toolCallId: 'call_1', toolName: 'bash' }],
      ['tool-input-delta', { toolCallId: 'call_1', inputTextDelta: '{"command":"npm ' }],
      ['tool-input-delta', { toolCallId: 'call_1', inputTextDelta: 'test"}' }],
      ['tool-input-available', { toolCallId: 'call_1', toolName: 'bash', input: { command: 'npm test' } }],
      ['log', { stream: 'stdout', line: '> vitest run' }],
      ['log', { stream: 'stderr', line: 'FAIL protocol/x.test.ts' }],
      ['tool-output-available', { toolCallId: 'call_1', output: { exitCode: 1 } }],
      ['finish-step', {}],
      ['status', { phase: 'fix' }, 'T2'],
      ['start-step', {}],
      ['tool-input-available', { toolCallId: 'call_2', toolName: 'edit', input: { path: 'x.ts' } }],
      ['tool-output-error', { toolCallId: 'call_2', errorText: 'file not found' }],
      ['error', { errorText: 'edit failed' }],
      ['text-start', { id: 'm1' }],
      ['text-delta', { id: 'm1', delta: 'One test still ' }],
      ['text-delta', { id: 'm1', delta: 'fails.' }],
      ['text-end', { id: 'm1' }],
      ['data-progress', { data: { done: 3, total: 4 } }],
      ['data-artifact', { id: 'report', data: { url: '/r.html' } }],
      ['finish-step', {}],
      ['heartbeat', { at: 1 }],
      ['finish', { status: 'failed' }, 'T3'],
    );
    expect(s).toEqual({
      status: 'failed',
      phase: 'fix',
      message: null,
      startedAt: 'T0',
      finishedAt: 'T3',
      steps: 2,
      tools: [
        { toolCallId: 'call_1', toolName: 'bash', state: 'output-available', inputText: '{"command":"npm test"}', input: { command: 'npm test' }, output: { exitCode: 1 }, errorText: null, approval: null },
        { toolCallId: 'call_2', toolName: 'edit', state: 'error', inputText: '', input: { path: 'x.ts' }, output: null, errorText: 'file not found', approval: null },
      ],
      approvals: [],
      sources: [],
      files: [],
      texts: { m1: 'One test still fails.' },
      reasoning: { r1: 'Tests first, then build.' },
      data: { 'data-progress': { done: 3, total: 4 }, 'data-artifact/report': { url: '/r.html' } },
      logs: {
        count: 2,
        tail: [{ seq: 12, stream: 'stdout', line: '> vitest run' }, { seq: 13, stream: 'stderr', line: 'FAIL protocol/x.test.ts' }],
        firstStderr: 2,
        sections: [{ kind: 'step', id: '1', from: 1, to: 2, open: false, firstStderr: 2 }],
      },
      errors: [{ seq: 20, errorText: 'edit failed', line: 2 }],
      counts: {
        events: 29,
        malformed: 0,
        byType: {
          start: 1, status: 2, 'start-step': 2, 'finish-step': 2, 'reasoning-start': 1, 'reasoning-delta': 2, 'reasoning-end': 1,
          'tool-input-start': 1, 'tool-input-delta': 2, 'tool-input-available': 2, 'tool-output-available': 1, 'tool-output-error': 1,
          log: 2, error: 1, 'text-start': 1, 'text-delta': 2, 'text-end': 1, 'data-progress': 1, 'data-artifact': 1, heartbeat: 1, finish: 1,
        },
      },
    });
  });
});

describe('reduceEvents: approvals, sources and files', () => {
  const deploy: Spec = ['tool-input-available', { toolCallId: 'c1', toolName: 'deploy', input: { env: 'prod' } }];

  it('tool-approval-request: the tool waits for approval and is listed as pending with its input and age', () => {
    const s = fold(deploy, ['tool-approval-request', { approvalId: 'a1', toolCallId: 'c1', reason: 'production' }, 'T5']);
    expect(s.tools[0]).toMatchObject({ state: 'approval-requested', approval: { id: 'a1', approved: null, reason: 'production', automatic: false } });
    expect(s.approvals).toEqual([{ approvalId: 'a1', toolCallId: 'c1', toolName: 'deploy', input: { env: 'prod' }, seq: 2, requestedAt: 'T5' }]);
  });

  it('tool-approval-response: the answer is recorded by approval id and the approval is no longer pending', () => {
    const s = fold(deploy, ['tool-approval-request', { approvalId: 'a1', toolCallId: 'c1' }], ['tool-approval-response', { approvalId: 'a1', approved: true, reason: 'ok by ops' }]);
    expect(s.tools[0]).toMatchObject({ state: 'approval-responded', approval: { id: 'a1', approved: true, reason: 'ok by ops' } });
    expect(s.approvals).toEqual([]);
  });

  it('tool-output-denied: denied, apart from tool errors, and no longer pending', () => {
    const s = fold(deploy, ['tool-approval-request', { approvalId: 'a1', toolCallId: 'c1' }], ['tool-output-denied', { toolCallId: 'c1' }]);
    expect(s.tools[0]).toMatchObject({ state: 'output-denied', errorText: null, approval: { approved: false } });
    expect(s.approvals).toEqual([]);
  });

  it('an output after a request (the answer given outside the log) ends the wait too', () => {
    const s = fold(deploy, ['tool-approval-request', { approvalId: 'a1', toolCallId: 'c1' }], ['start', { messageId: 'm1' }], ['tool-output-available', { toolCallId: 'c1', output: 'deployed' }]);
    expect(s.tools[0]).toMatchObject({ state: 'output-available', output: 'deployed' });
    expect(s.approvals).toEqual([]);
  });

  it('source-url / source-document: listed in log order with what each names', () => {
    const s = fold(['source-url', { sourceId: 's1', url: 'https://example.com', title: 'Example' }], ['source-document', { sourceId: 'd1', mediaType: 'application/pdf', title: 'Spec', filename: 'spec.pdf' }]);
    expect(s.sources).toEqual([
      { seq: 1, sourceId: 's1', kind: 'url', url: 'https://example.com', title: 'Example', mediaType: null, filename: null },
      { seq: 2, sourceId: 'd1', kind: 'document', url: null, title: 'Spec', mediaType: 'application/pdf', filename: 'spec.pdf' },
    ]);
  });

  it('file / reasoning-file: type, name when given, and the URL unless it is a data: URL', () => {
    const s = fold(['file', { url: 'https://cdn.example.com/report.html', mediaType: 'text/html', filename: 'report.html' }], ['reasoning-file', { url: 'data:image/png;base64,AAAA', mediaType: 'image/png' }]);
    expect(s.files).toEqual([
      { seq: 1, mediaType: 'text/html', url: 'https://cdn.example.com/report.html', filename: 'report.html', reasoning: false },
      { seq: 2, mediaType: 'image/png', url: null, filename: null, reasoning: true },
    ]);
  });

  it('message-metadata, reset-step, steering-message, custom and tool-input-end are counted and change nothing else', () => {
    const base = fold(deploy);
    const s = reduceEvents(base, events(
      ['message-metadata', { messageMetadata: { model: 'x' } }], ['reset-step', {}], ['steering-message', { id: 'u1', parts: [{ type: 'text', text: 'also' }] }],
      ['custom', { kind: 'openai.compaction' }], ['tool-input-end', { toolCallId: 'c1' }],
    ).map((e) => ({ ...e, seq: e.seq + 1 })));
    expect(s.counts.malformed).toBe(0);
    expect({ ...s, counts: null }).toEqual({ ...base, counts: null });
  });
});
