// The AI SDK's UI message chunks as runlog events (PROTOCOL §Event vocabulary): the chunk
// `{type, ...rest}` is the event `{type, data: rest}`. This module reads an event back into its
// chunk and checks it against the shape AI SDK 7.x's `uiMessageChunkSchema` accepts, so that
// both reducers judge a chunk as the SDK would; ui-chunk.property.test.ts compares the two.
import type { JsonObject, ProviderMetadata, UICitation } from './ui-message.js';

/** Every UI message chunk type of AI SDK 7.x, and the `data-` prefix of data chunks. */
export const UI_CHUNK_TYPES = [
  'start', 'finish', 'abort', 'message-metadata', 'error',
  'start-step', 'finish-step', 'reset-step',
  'text-start', 'text-delta', 'text-end',
  'reasoning-start', 'reasoning-delta', 'reasoning-end',
  'tool-input-start', 'tool-input-delta', 'tool-input-available', 'tool-input-error',
  'tool-approval-request', 'tool-approval-response',
  'tool-output-available', 'tool-output-error', 'tool-output-denied',
  'source-url', 'source-document', 'file', 'reasoning-file',
  'custom', 'steering-message',
] as const;

export const DATA_CHUNK_PREFIX = 'data-';

/** A chunk that passed the shape check: its fields are typed as the SDK's schema types them. */
export interface UIChunk {
  readonly type: string;
  readonly [field: string]: unknown;
}

type Rec = Readonly<Record<string, unknown>>;
type Check = (value: unknown) => boolean;

const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString: Check = (v) => typeof v === 'string';
const isBoolean: Check = (v) => typeof v === 'boolean';
const isAnything: Check = () => true;
const isNonNegativeInteger: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const oneOf = (...values: readonly string[]): Check => (v) => typeof v === 'string' && values.includes(v);
const isRecordOf = (check: Check): Check => (v) => isRecord(v) && Object.values(v).every(check);
/** `z.record(z.string(), z.record(z.string(), json))`: providerMetadata. */
const isProviderMetadata: Check = isRecordOf(isRecord);
const isToolMetadata: Check = isRecord;

/** Field rules: `true` = required (present, any value passes `check`), else optional (absent or undefined). */
type Shape = Readonly<Record<string, readonly [check: Check, required: boolean]>>;
const req = (check: Check): readonly [Check, boolean] => [check, true];
const opt = (check: Check): readonly [Check, boolean] => [check, false];

function matches(r: Rec, shape: Shape): boolean {
  for (const [key, [check, required]] of Object.entries(shape)) {
    if (!Object.hasOwn(r, key) || r[key] === undefined) {
      // z.unknown() fields are required keys; a JSON round trip never leaves `undefined` behind.
      if (required && !(check === isAnything && Object.hasOwn(r, key))) return false;
      continue;
    }
    if (!check(r[key])) return false;
  }
  return true;
}

const isSource: Check = (v) =>
  isRecord(v) &&
  v['type'] === 'source' &&
  ((v['sourceType'] === 'url' && matches(v, { id: req(isString), url: req(isString), title: opt(isString), providerMetadata: opt(isProviderMetadata) })) ||
    (v['sourceType'] === 'document' &&
      matches(v, { id: req(isString), mediaType: req(isString), title: req(isString), filename: opt(isString), providerMetadata: opt(isProviderMetadata) })));

const isCitation: Check = (v) =>
  isRecord(v) && matches(v, { source: req(isSource), startIndex: opt(isNonNegativeInteger), endIndex: opt(isNonNegativeInteger), citedText: opt(isString) });

const isSteeringPart: Check = (v) =>
  isRecord(v) &&
  ((v['type'] === 'text' && matches(v, { text: req(isString), providerMetadata: opt(isProviderMetadata) })) ||
    (v['type'] === 'file' &&
      matches(v, {
        mediaType: req(isString),
        url: req(isString),
        filename: opt(isString),
        providerReference: opt(isRecordOf(isString)),
        providerMetadata: opt(isProviderMetadata),
      })));

const isArrayOf = (check: Check): Check => (v) => Array.isArray(v) && v.every(check);

const pm = { providerMetadata: opt(isProviderMetadata) } as const;
const toolFields = { providerExecuted: opt(isBoolean), ...pm, toolMetadata: opt(isToolMetadata), dynamic: opt(isBoolean) } as const;
const FINISH_REASONS = ['stop', 'length', 'content-filter', 'tool-calls', 'error', 'interrupted', 'other'] as const;

const SHAPES: ReadonlyMap<string, Shape> = new Map<string, Shape>([
  ['text-start', { id: req(isString), ...pm }],
  ['text-delta', { id: req(isString), delta: req(isString), ...pm }],
  ['text-end', { id: req(isString), citations: opt(isArrayOf(isCitation)), ...pm }],
  ['error', { errorText: req(isString) }],
  ['tool-input-start', { toolCallId: req(isString), toolName: req(isString), inputEncoding: opt(oneOf('json', 'text')), ...toolFields, title: opt(isString) }],
  ['tool-input-delta', { toolCallId: req(isString), inputTextDelta: req(isString) }],
  ['tool-input-available', { toolCallId: req(isString), toolName: req(isString), input: req(isAnything), ...toolFields, title: opt(isString) }],
  ['tool-input-error', { toolCallId: req(isString), toolName: req(isString), input: req(isAnything), ...toolFields, errorText: req(isString), title: opt(isString) }],
  ['tool-approval-request', {
    approvalId: req(isString), toolCallId: req(isString), approvalDescriptor: opt(isAnything), inputSchemaInput: opt(isAnything),
    reason: opt(isString), isAutomatic: opt(isBoolean), signature: opt(isString),
  }],
  ['tool-approval-response', { approvalId: req(isString), approved: req(isBoolean), reason: opt(isString), providerExecuted: opt(isBoolean), ...pm }],
  ['tool-output-available', { toolCallId: req(isString), output: req(isAnything), ...toolFields, preliminary: opt(isBoolean) }],
  ['tool-output-error', { toolCallId: req(isString), errorText: req(isString), ...toolFields }],
  ['tool-output-denied', { toolCallId: req(isString) }],
  ['reasoning-start', { id: req(isString), ...pm }],
  ['reasoning-delta', { id: req(isString), delta: req(isString), ...pm }],
  ['reasoning-end', { id: req(isString), ...pm }],
  ['custom', { kind: req(isString), ...pm }],
  ['source-url', { sourceId: req(isString), url: req(isString), title: opt(isString), ...pm }],
  ['source-document', { sourceId: req(isString), mediaType: req(isString), title: req(isString), filename: opt(isString), ...pm }],
  ['file', { url: req(isString), mediaType: req(isString), ...pm }],
  ['reasoning-file', { url: req(isString), mediaType: req(isString), ...pm }],
  ['steering-message', { id: req(isString), parts: req(isArrayOf(isSteeringPart)) }],
  ['start-step', {}],
  ['finish-step', {}],
  ['reset-step', {}],
  ['start', { messageId: opt(isString), messageMetadata: opt(isAnything) }],
  ['finish', { finishReason: opt(oneOf(...FINISH_REASONS)), messageMetadata: opt(isAnything) }],
  ['abort', { reason: opt(isString) }],
  ['message-metadata', { messageMetadata: req(isAnything) }],
]);

const DATA_SHAPE: Shape = { id: opt(isString), data: req(isAnything), transient: opt(isBoolean) };

/** Whether events of this type are AI SDK UI message chunks. */
export function isUIChunkType(type: string): boolean {
  return SHAPES.has(type) || type.startsWith(DATA_CHUNK_PREFIX);
}

/**
 * The chunk an event carries — `{...data, type}` — when `type` is a UI chunk type and `data`
 * has the shape the SDK's schema accepts; `undefined` otherwise. Never throws: a hostile value
 * (a throwing getter, a revoked proxy) reads as malformed.
 */
export function readUIChunk(type: string, data: unknown): UIChunk | undefined {
  const shape = SHAPES.get(type) ?? (type.startsWith(DATA_CHUNK_PREFIX) ? DATA_SHAPE : undefined);
  if (shape === undefined) return undefined;
  try {
    // The chunk types without required fields are also sent with no data at all.
    const r = data === null || data === undefined ? (Object.keys(shape).some((k) => shape[k]![1]) ? undefined : {}) : data;
    if (!isRecord(r) || !matches(r, shape)) return undefined;
    return { ...r, type };
  } catch {
    return undefined;
  }
}

/** Typed reads of a checked chunk's fields. */
export const field = {
  str: (c: UIChunk, key: string): string => c[key] as string,
  optStr: (c: UIChunk, key: string): string | undefined => c[key] as string | undefined,
  optBool: (c: UIChunk, key: string): boolean | undefined => c[key] as boolean | undefined,
  providerMetadata: (c: UIChunk): ProviderMetadata | undefined => c['providerMetadata'] as ProviderMetadata | undefined,
  toolMetadata: (c: UIChunk): JsonObject | undefined => c['toolMetadata'] as JsonObject | undefined,
  citations: (c: UIChunk): UICitation[] | undefined => c['citations'] as UICitation[] | undefined,
};
