// Reading request input under PROTOCOL's limits: bodies by size then JSON, query parameters and
// headers by exact grammar (`400 invalid_parameter`, never clamped).
import { IncomingMessage } from 'node:http';
import { BUILD_ID_PATTERN, MAX_SEQ } from '../../protocol/limits.js';
import { ProblemError } from '../errors.js';
import type { AppContext } from './app-env.js';

/** Stateless between calls (no `stream` option), so one decoder serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body as JSON, refusing more than `maxBytes` before reading it all (413) and bad JSON (400). */
export async function readJsonBody(c: AppContext, maxBytes: number): Promise<unknown> {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(contentType)) {
    throw new ProblemError('unsupported_media_type', 'The request body must be application/json.');
  }
  const declared = Number(c.req.header('content-length') ?? NaN);
  const tooLarge = () => new ProblemError('body_too_large', `The request body exceeds ${maxBytes} bytes.`, { extra: { limit: maxBytes } });
  if (declared > maxBytes) throw tooLarge();
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  const chunks = incoming instanceof IncomingMessage ? await readIncoming(incoming, maxBytes, tooLarge) : await readWebBody(c.req.raw.body, maxBytes, tooLarge);
  let text: string;
  try {
    text = UTF8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  } catch {
    throw new ProblemError('invalid_json', 'The request body is not valid UTF-8.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ProblemError('invalid_json', `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The body straight from Node's request: no web ReadableStream around it. Most appends are a
 * few KiB, and at thousands of requests a second the stream machinery per request showed in
 * the profile more than reading the bytes did.
 */
function readIncoming(incoming: IncomingMessage, maxBytes: number, tooLarge: () => ProblemError): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        incoming.resume(); // drain the rest; the answer is already decided
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onError);
    };
    if (incoming.readableEnded) return resolve(chunks);
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onError);
  });
}

async function readWebBody(body: ReadableStream<Uint8Array> | null, maxBytes: number, tooLarge: () => ProblemError): Promise<Uint8Array[]> {
  if (!body) return [];
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return chunks;
}

const UINT = /^(0|[1-9][0-9]*)$/;

function singleQuery(c: AppContext, name: string): string | undefined {
  const values = c.req.queries(name);
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw invalidParameter(name, 'is given more than once');
  return values[0];
}

export function invalidParameter(name: string, why: string): ProblemError {
  return new ProblemError('invalid_parameter', `\`${name}\` ${why}.`, { extra: { parameter: name } });
}

/** An integer parameter in [min, max]; `fallback` when absent. */
export function integerParam(c: AppContext, name: string, min: number, max: number, fallback: number): number {
  const raw = singleQuery(c, name);
  if (raw === undefined) return fallback;
  return parseBoundedInteger(raw, name, min, max);
}

export function parseBoundedInteger(raw: string, name: string, min: number, max: number): number {
  if (!UINT.test(raw)) throw invalidParameter(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`);
  const value = Number(raw);
  if (value < min || value > max) throw invalidParameter(name, `must be an integer from ${min} to ${max}, got ${raw.slice(0, 40)}`);
  return value;
}

/** A seconds parameter that may be fractional (`wait=0.5`), in [0, max]. */
export function secondsParam(c: AppContext, name: string, max: number): number {
  const raw = singleQuery(c, name);
  if (raw === undefined) return 0;
  if (!/^(0|[1-9][0-9]*)(\.[0-9]{1,3})?$/.test(raw) || Number(raw) > max) {
    throw invalidParameter(name, `must be a number of seconds from 0 to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return Number(raw);
}

export function stringParam(c: AppContext, name: string): string | undefined {
  return singleQuery(c, name);
}

/** `after` for reads: a seq position, 0 … 2^53−1. */
export function afterParam(c: AppContext): number {
  return integerParam(c, 'after', 0, MAX_SEQ, 0);
}

/** The `{buildId}` path segment, checked against the identifier grammar. */
export function buildIdParam(c: AppContext): string {
  const buildId = c.req.param('buildId') ?? '';
  if (!BUILD_ID_PATTERN.test(buildId)) throw invalidParameter('buildId', 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$');
  return buildId;
}
