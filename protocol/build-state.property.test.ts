// Properties of the shared reducer: total, chunking-independent, pollution-proof, pure, fast.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { KNOWN_EVENT_TYPES, initialBuildState, reduceEvents, type BuildState, type ReducerEvent } from './build-state.js';

// Ids that name Object.prototype members: a reducer using plain objects as maps trips on these.
const trickyId = fc.oneof(
  fc.constantFrom('a', 'b', '', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'),
  fc.string({ maxLength: 2 }), // enough distinct ids that new tools keep appearing late in a fold
);
const anything = fc.anything({
  withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true,
  withTypedArray: true, withSparseArray: true, withBoxedValues: true, withObjectString: true,
});
const field = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anything });

// Vocabulary-shaped data, mostly well-formed so that the effects (not just the malformed path) run.
const shapedData = fc.record(
  {
    id: field(trickyId),
    toolCallId: field(trickyId),
    toolName: field(trickyId),
    delta: field(fc.string()),
    inputTextDelta: field(fc.string()),
    input: fc.jsonValue(),
    output: fc.jsonValue(),
    errorText: field(fc.string()),
    stream: field(fc.constantFrom('stdout', 'stderr')),
    line: field(fc.string()),
    phase: field(fc.string()),
    message: field(fc.string()),
    status: field(fc.constantFrom('succeeded', 'failed', 'canceled', 'exploded')),
    data: anything,
  },
  { requiredKeys: [] },
);
const typeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_EVENT_TYPES, 'data-x', 'data-', 'constructor', '__proto__', 'toString') },
  { weight: 1, arbitrary: fc.string() },
);
const dataArb = fc.oneof({ weight: 4, arbitrary: shapedData }, { weight: 1, arbitrary: anything }, { weight: 1, arbitrary: fc.jsonValue() });
const eventFields = fc.record({ type: typeArb, data: dataArb, time: fc.option(fc.constantFrom('T1', 'T2')) });
const eventsArb = (maxLength: number): fc.Arbitrary<ReducerEvent[]> =>
  fc.array(eventFields, { maxLength }).map((fields) => fields.map((f, i) => ({ ...f, seq: i + 1, receivedAt: `R${i + 1}` })));

// JSON-shaped events only, for the property that goes through JSON (as the browser's /state does).
const jsonEventsArb = fc
  .array(fc.record({ type: typeArb, data: fc.oneof(fc.jsonValue(), shapedData.map((d) => JSON.parse(JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? 0 : v))) as unknown)), time: fc.option(fc.string()) }), { maxLength: 60 })
  .map((fields) => fields.map((f, i) => ({ ...f, seq: i + 1, receivedAt: `R${i + 1}` })));

function deepFreeze<T>(value: T): T {
  // Typed arrays with elements cannot be frozen; the reducer never writes into data values anyway.
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

describe('reduceEvents properties', () => {
  it('never throws and counts every event, whatever type and data', () => {
    fc.assert(
      fc.property(eventsArb(80), (events) => {
        const s = reduceEvents(initialBuildState(), events);
        expect(s.counts.events).toBe(events.length);
        expect(Object.values(s.counts.byType).reduce((a, b) => a + b, 0)).toBe(events.length);
        expect(s.logs.tail.length).toBeLessThanOrEqual(500);
        expect(new Set(s.tools.map((t) => t.toolCallId)).size).toBe(s.tools.length);
      }),
      { numRuns: 400 },
    );
  });

  it('gives the same state folded in two chunks as folded at once', () => {
    fc.assert(
      fc.property(eventsArb(80), fc.nat(), (events, cut) => {
        const at = events.length === 0 ? 0 : cut % (events.length + 1);
        const a = events.slice(0, at);
        const b = events.slice(at);
        const s = initialBuildState();
        expect(reduceEvents(reduceEvents(s, a), b)).toEqual(reduceEvents(s, a.concat(b)));
      }),
      { numRuns: 400 },
    );
  });

  it('gives the same state one event at a time as in one fold', () => {
    fc.assert(
      fc.property(eventsArb(40), (events) => {
        const stepwise = events.reduce((s: BuildState, e) => reduceEvents(s, [e]), initialBuildState());
        expect(stepwise).toEqual(reduceEvents(initialBuildState(), events));
      }),
      { numRuns: 200 },
    );
  });

  it('continues correctly from a state that went through JSON, as a browser loading /state does', () => {
    fc.assert(
      fc.property(jsonEventsArb, fc.nat(), (events, cut) => {
        const at = events.length === 0 ? 0 : cut % (events.length + 1);
        const served = JSON.parse(JSON.stringify(reduceEvents(initialBuildState(), events.slice(0, at)))) as BuildState;
        const live = reduceEvents(served, events.slice(at));
        expect(JSON.stringify(live)).toBe(JSON.stringify(reduceEvents(initialBuildState(), events)));
      }),
      { numRuns: 200 },
    );
  });

  it('never mutates its input state (folding onto a deep-frozen state works and leaves it equal)', () => {
    fc.assert(
      fc.property(eventsArb(40), eventsArb(40), (a, b) => {
        const base = reduceEvents(initialBuildState(), a);
        const snapshot = reduceEvents(initialBuildState(), a);
        deepFreeze(base);
        reduceEvents(base, b.map((e) => ({ ...e, seq: e.seq + a.length })));
        expect(base).toEqual(snapshot);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves Object.prototype untouched and keeps prototype-named ids as plain keys', () => {
    const protoNames = Object.getOwnPropertyNames(Object.prototype).sort();
    const protoValues = protoNames.map((n) => Object.getOwnPropertyDescriptor(Object.prototype, n));
    const attack = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown;
    fc.assert(
      fc.property(eventsArb(60), (events) => {
        const attacks = ['__proto__', 'data-x', 'tool-input-start', 'finish'].map((type) => ({ seq: 0, type, data: attack, time: null, receivedAt: 'R' }));
        const s = reduceEvents(initialBuildState(), [...events, ...attacks]);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNames);
        expect(protoNames.map((n) => Object.getOwnPropertyDescriptor(Object.prototype, n))).toEqual(protoValues);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        for (const d of [s.texts, s.reasoning, s.data, s.counts.byType]) expect(Object.getPrototypeOf(d)).toBe(null);
      }),
      { numRuns: 300 },
    );
    const s = reduceEvents(initialBuildState(), [
      { seq: 1, type: 'text-start', data: { id: '__proto__', delta: 'x' }, time: null, receivedAt: 'R' },
      { seq: 2, type: 'text-start', data: { id: 'constructor', delta: 'y' }, time: null, receivedAt: 'R' },
      { seq: 3, type: 'tool-input-start', data: { toolCallId: '__proto__', toolName: 'constructor' }, time: null, receivedAt: 'R' },
      { seq: 4, type: 'data-x', data: JSON.parse('{"id":"y","data":{"__proto__":{"polluted":true}}}'), time: null, receivedAt: 'R' },
    ]);
    expect(Object.entries(s.texts)).toEqual([['__proto__', 'x'], ['constructor', 'y']]);
    expect(s.tools.map((t) => [t.toolCallId, t.toolName])).toEqual([['__proto__', 'constructor']]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(s)).texts).toEqual(JSON.parse('{"__proto__":"x","constructor":"y"}'));
  });
});

describe('reduceEvents cost', () => {
  it('grows linearly with the events folded: ten times the events of a long agent build cost about ten times as much', () => {
    const events: ReducerEvent[] = [];
    for (let seq = 1; events.length < 100_000; seq++) {
      const n = seq % 10;
      const call = `call_${Math.floor(seq / 50)}`; // 2 000 tools, each touched several times
      const [type, data] =
        n < 4 ? ['log', { stream: 'stdout', line: `compiling module ${seq}` }]
        : n < 7 ? [seq % 1000 < 10 ? 'text-start' : 'text-delta', { id: `t${Math.floor(seq / 1000)}`, delta: 'tok ' }]
        : n === 7 ? [seq % 50 < 10 ? 'tool-input-start' : 'tool-input-delta', { toolCallId: call, toolName: 'bash', inputTextDelta: '{}' }]
        : n === 8 ? ['tool-output-available', { toolCallId: call, output: { seq } }]
        : ['data-progress', { id: `p${seq % 7}`, data: { seq } }];
      events.push({ seq, type, data, time: null, receivedAt: '2026-11-27T18:00:00.000Z' });
    }
    // The best of three runs of each size, compared with each other in the same process: a busy
    // machine slows both alike. Linear is ~10×; copying the state per event would be ~100×.
    const bestOf = (slice: ReducerEvent[]) => {
      let best = Infinity;
      for (let run = 0; run < 3; run++) {
        const started = performance.now();
        reduceEvents(initialBuildState(), slice);
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    const tenth = bestOf(events.slice(0, 10_000));
    const whole = bestOf(events);
    expect(whole / tenth).toBeLessThan(30);
    const s = reduceEvents(initialBuildState(), events);
    expect(s.counts.events).toBe(100_000);
    expect(s.tools).toHaveLength(2000);
    expect(s.counts.malformed).toBe(0);
  });
});
