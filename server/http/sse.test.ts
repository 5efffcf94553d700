// The SSE pump reads one chunk ahead of the socket and no more: a reader catching up overlaps
// the database read with the send, and a reader that stops reading holds one chunk, not a queue.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { Shutdown } from './shutdown.js';
import { sseResponse } from './sse.js';

const CHUNK_BYTES = 256 * 1024;

let server: ServerType | undefined;
afterEach(() => server?.close());

/** Serves one SSE stream of numbered 256 KiB chunks; counts the chunks produced and those written to the response. */
async function startChunkStream(readAhead: boolean) {
  let produced = 0;
  let written = 0;
  let closed = false;
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.get('/stream', (c) => {
    const outgoing = c.env.outgoing;
    const write = outgoing.write.bind(outgoing) as (chunk: string | Uint8Array) => boolean;
    outgoing.write = ((chunk: string | Uint8Array) => {
      if (String(chunk).startsWith('id: ')) written++;
      return write(chunk);
    }) as typeof outgoing.write;
    return sseResponse(
      outgoing,
      async () => `id: ${++produced}\ndata: ${'x'.repeat(CHUNK_BYTES)}\n\n`,
      { shutdown: new Shutdown(new AbortController().signal), pingIntervalMs: 15_000, onClose: () => (closed = true), readAhead: () => readAhead },
    );
  });
  const started = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  server = started;
  return { url: `http://127.0.0.1:${(started.address() as AddressInfo).port}/stream`, produced: () => produced, written: () => written, closed: () => closed };
}

/** Resolves when `count()` has not changed for `quietMs`. */
async function settled(count: () => number, quietMs = 300): Promise<number> {
  let last = -1;
  while (last !== count()) {
    last = count();
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
  return last;
}

describe('the SSE pump', () => {
  it('reads exactly one chunk ahead of a reader behind the ack that stops reading, and delivers every chunk in order when it reads again', async () => {
    const stream = await startChunkStream(true);
    let text = '';
    const response = await new Promise<http.IncomingMessage>((resolve) => http.get(stream.url, { agent: false }, resolve));
    response.setEncoding('utf8');
    response.on('data', (part: string) => (text += part));
    response.pause();

    const stalledAt = await settled(stream.produced);
    // The socket and the kernel took several chunks; the pump read one more (the read-ahead),
    // holds it, and reads nothing after it.
    expect(stalledAt).toBeGreaterThan(2);
    expect(stream.written()).toBe(stalledAt - 1);

    response.resume();
    const ids = () => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    await expect.poll(() => ids().length).toBeGreaterThan(stalledAt + 4);
    response.destroy();
    expect(ids()).toEqual(ids().map((_, i) => i + 1));
    await expect.poll(stream.closed).toBe(true);
  });

  it('reads nothing while the socket of a viewer at the live edge is full: what comes meanwhile goes in the next write', async () => {
    const stream = await startChunkStream(false);
    const response = await new Promise<http.IncomingMessage>((resolve) => http.get(stream.url, { agent: false }, resolve));
    response.pause();
    const stalledAt = await settled(stream.produced);
    expect(stalledAt).toBeGreaterThan(2);
    expect(stream.written()).toBe(stalledAt);
    response.destroy();
    await expect.poll(stream.closed).toBe(true);
  });
});
