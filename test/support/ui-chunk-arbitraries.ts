// fast-check arbitraries of AI SDK 7.x UI message chunks that the SDK's schema accepts, drawn
// from small id pools so that deltas, outputs and approvals often name something that exists
// (and sometimes not: the refusals are half of what the properties check).
import fc from 'fast-check';
import type { Chunk } from './ai-sdk-reference.js';

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 3 });
const json = fc.jsonValue({ maxDepth: 2 });
const providerMetadata = opt(fc.dictionary(fc.constantFrom('openai', 'anthropic'), fc.dictionary(fc.constantFrom('a', 'b'), json, { maxKeys: 2 }), { maxKeys: 2 }));
const toolMetadata = opt(fc.dictionary(fc.constantFrom('k', 'v'), json, { maxKeys: 2 }));
const textId = fc.constantFrom('t1', 't2', '__proto__');
const reasoningId = fc.constantFrom('r1', 'r2');
const toolCallId = fc.constantFrom('c1', 'c2', 'c3');
const toolName = fc.constantFrom('deploy', 'read-file', 'search');
const approvalId = fc.constantFrom('a1', 'a2');
const messageId = opt(fc.constantFrom('m1', 'm2', ''));
const metadata = fc.oneof({ weight: 3, arbitrary: fc.dictionary(fc.constantFrom('model', 'usage', 'n'), json, { maxKeys: 2 }) }, { weight: 1, arbitrary: json });
const text = fc.string({ maxLength: 6 });
const inputDelta = fc.constantFrom('{"env":', '"prod"', '}', '{"a":[1,', '2]}', 'tr', 'ue', '"x', '\\u00', '41"', ' ', '-', '1.5e', '{"__proto__":1}');
const citation = fc.record({
  source: fc.oneof(
    fc.record({ type: fc.constant('source'), sourceType: fc.constant('url'), id: fc.constant('s1'), url: fc.constant('https://example.com') }),
    fc.record({ type: fc.constant('source'), sourceType: fc.constant('document'), id: fc.constant('d1'), mediaType: fc.constant('text/plain'), title: fc.constant('Doc') }),
  ),
  startIndex: opt(fc.nat(20)),
  citedText: opt(text),
});

const chunk = <T extends Record<string, fc.Arbitrary<unknown>>>(type: string, fields: T): fc.Arbitrary<Chunk> =>
  fc.record(fields).map((f) => JSON.parse(JSON.stringify({ type, ...f })) as Chunk);

const toolFields = { providerExecuted: opt(fc.boolean()), providerMetadata, toolMetadata, dynamic: opt(fc.boolean()) };

export const validChunk: fc.Arbitrary<Chunk> = fc.oneof(
  { weight: 3, arbitrary: chunk('start', { messageId, messageMetadata: opt(metadata) }) },
  { weight: 1, arbitrary: chunk('finish', { finishReason: opt(fc.constantFrom('stop', 'tool-calls', 'length')), messageMetadata: opt(metadata) }) },
  { weight: 1, arbitrary: chunk('message-metadata', { messageMetadata: metadata }) },
  { weight: 1, arbitrary: chunk('abort', { reason: opt(text) }) },
  { weight: 1, arbitrary: chunk('error', { errorText: text }) },
  { weight: 2, arbitrary: chunk('start-step', {}) },
  { weight: 1, arbitrary: chunk('finish-step', {}) },
  { weight: 2, arbitrary: chunk('reset-step', {}) },
  { weight: 3, arbitrary: chunk('text-start', { id: textId, providerMetadata }) },
  { weight: 4, arbitrary: chunk('text-delta', { id: textId, delta: text, providerMetadata }) },
  { weight: 2, arbitrary: chunk('text-end', { id: textId, citations: opt(fc.array(citation, { maxLength: 1 })), providerMetadata }) },
  { weight: 2, arbitrary: chunk('reasoning-start', { id: reasoningId, providerMetadata }) },
  { weight: 2, arbitrary: chunk('reasoning-delta', { id: reasoningId, delta: text, providerMetadata }) },
  { weight: 1, arbitrary: chunk('reasoning-end', { id: reasoningId, providerMetadata }) },
  { weight: 3, arbitrary: chunk('tool-input-start', { toolCallId, toolName, inputEncoding: opt(fc.constantFrom('json', 'text')), ...toolFields, title: opt(text) }) },
  { weight: 4, arbitrary: chunk('tool-input-delta', { toolCallId, inputTextDelta: inputDelta }) },
  { weight: 3, arbitrary: chunk('tool-input-available', { toolCallId, toolName, input: json, ...toolFields, title: opt(text) }) },
  { weight: 1, arbitrary: chunk('tool-input-error', { toolCallId, toolName, input: json, ...toolFields, errorText: text, title: opt(text) }) },
  {
    weight: 2,
    arbitrary: chunk('tool-approval-request', {
      approvalId, toolCallId, approvalDescriptor: opt(json), inputSchemaInput: opt(json), reason: opt(text), isAutomatic: opt(fc.boolean()), signature: opt(text),
    }),
  },
  { weight: 2, arbitrary: chunk('tool-approval-response', { approvalId, approved: fc.boolean(), reason: opt(text), providerExecuted: opt(fc.boolean()), providerMetadata }) },
  { weight: 2, arbitrary: chunk('tool-output-available', { toolCallId, output: json, ...toolFields, preliminary: opt(fc.boolean()) }) },
  { weight: 1, arbitrary: chunk('tool-output-error', { toolCallId, errorText: text, ...toolFields }) },
  { weight: 1, arbitrary: chunk('tool-output-denied', { toolCallId }) },
  { weight: 1, arbitrary: chunk('source-url', { sourceId: fc.constantFrom('s1', 's2'), url: fc.constantFrom('https://example.com/a', 'https://example.org'), title: opt(text), providerMetadata }) },
  { weight: 1, arbitrary: chunk('source-document', { sourceId: fc.constant('d1'), mediaType: fc.constant('application/pdf'), title: text, filename: opt(text), providerMetadata }) },
  { weight: 1, arbitrary: chunk('file', { url: fc.constantFrom('https://example.com/a.png', 'data:text/plain;base64,aGk='), mediaType: fc.constantFrom('image/png', 'text/plain'), providerMetadata }) },
  { weight: 1, arbitrary: chunk('reasoning-file', { url: fc.constant('data:image/png;base64,AA=='), mediaType: fc.constant('image/png'), providerMetadata }) },
  { weight: 1, arbitrary: chunk('custom', { kind: fc.constantFrom('openai.compaction', 'x.y'), providerMetadata }) },
  {
    weight: 1,
    arbitrary: chunk('steering-message', {
      id: fc.constant('u1'),
      parts: fc.array(fc.oneof(fc.record({ type: fc.constant('text'), text }), fc.record({ type: fc.constant('file'), mediaType: fc.constant('image/png'), url: fc.constant('https://example.com/i.png') })), { maxLength: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ name: fc.constantFrom('data-progress', 'data-'), id: opt(fc.constantFrom('p1', 'p2')), data: json, transient: opt(fc.boolean()) })
      .map(({ name, ...rest }) => JSON.parse(JSON.stringify({ type: name, ...rest })) as Chunk),
  },
);

/**
 * Points most references at something that was opened before (a delta at an open text, an
 * output at a started tool call): random chunks alone are refused within a few chunks, and the
 * long runs that agree are the ones worth comparing. One reference in five is left as drawn.
 */
function mostlyCoherent(chunks: Chunk[], choices: number[]): Chunk[] {
  const open = { id: new Map<string, Set<string>>([['text', new Set()], ['reasoning', new Set()]]), tools: new Set<string>(), inputs: new Set<string>(), approvals: new Set<string>() };
  /** The id to use: as drawn one time in five, else one from the pool — or null when the pool is empty (open something instead). */
  const pick = (pool: Set<string>, current: string, i: number): string | null => {
    const choice = choices[i % choices.length] ?? 0;
    if (pool.has(current) || choice % 5 === 0) return current;
    return pool.size === 0 ? null : [...pool][choice % pool.size]!;
  };
  const startTool = (toolCallId: string): Chunk => {
    open.tools.add(toolCallId);
    return { type: 'tool-input-available', toolCallId, toolName: 'deploy', input: { env: 'prod' } };
  };
  return chunks.map((chunk, i) => {
    const [kind, phase] = /^(text|reasoning)-(start|delta|end)$/.exec(chunk.type)?.slice(1) ?? [];
    if (kind !== undefined) {
      const pool = open.id.get(kind)!;
      const id = phase === 'start' ? (chunk['id'] as string) : pick(pool, chunk['id'] as string, i);
      if (id === null || phase === 'start') {
        pool.add(id ?? (chunk['id'] as string));
        return { type: `${kind}-start`, id: id ?? chunk['id'] };
      }
      if (phase === 'end') pool.delete(id);
      return { ...chunk, id };
    }
    if (chunk.type === 'tool-input-start' || chunk.type === 'tool-input-available' || chunk.type === 'tool-input-error') {
      open.tools.add(chunk['toolCallId'] as string);
      if (chunk.type === 'tool-input-start') open.inputs.add(chunk['toolCallId'] as string);
      return chunk;
    }
    if (chunk.type === 'tool-input-delta') {
      const toolCallId = pick(open.inputs, chunk['toolCallId'] as string, i);
      if (toolCallId !== null) return { ...chunk, toolCallId };
      open.tools.add(chunk['toolCallId'] as string);
      open.inputs.add(chunk['toolCallId'] as string);
      return { type: 'tool-input-start', toolCallId: chunk['toolCallId'], toolName: 'search' };
    }
    if (chunk.type === 'tool-approval-response') {
      const approvalId = pick(open.approvals, chunk['approvalId'] as string, i);
      return approvalId === null ? startTool(chunk['approvalId'] === 'a1' ? 'c1' : 'c2') : { ...chunk, approvalId };
    }
    if (chunk.type.startsWith('tool-')) {
      const toolCallId = pick(open.tools, chunk['toolCallId'] as string, i);
      if (toolCallId === null) return startTool(chunk['toolCallId'] as string);
      if (chunk.type === 'tool-approval-request') open.approvals.add(chunk['approvalId'] as string);
      return { ...chunk, toolCallId };
    }
    if (chunk.type === 'start') for (const pool of [...open.id.values(), open.tools, open.inputs, open.approvals]) pool.clear();
    return chunk;
  });
}

/** A build's chunks: mostly one or two messages, each opened by a `start`, with references mostly to what exists. */
export const chunkSequence = (maxLength: number): fc.Arbitrary<Chunk[]> =>
  fc
    .tuple(fc.boolean(), fc.array(validChunk, { maxLength }), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }))
    .map(([opened, chunks, choices]) => mostlyCoherent(opened ? [{ type: 'start' } as Chunk, ...chunks] : chunks, choices));
