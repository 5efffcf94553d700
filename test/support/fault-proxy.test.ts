// The fault proxy against a tiny local node:http target: pass-through fidelity, each fault,
// seeded replay, pause/sever controls and leak-free shutdown.
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { Agent, fetch } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeFaults, seededRandom, startFaultProxy, type FaultProxy, type FaultSettings } from './fault-proxy.js';

const SMALL_BODY = Buffer.from(Array.from({ length: 1024 }, (_, i) => String.fromCharCode(33 + (i % 90))).join(''));
const STREAM_FRAMES = Array.from({ length: 32 }, (_, i) => `id: ${i + 1}\ndata: ${JSON.stringify({ i, pad: 'x'.repeat(480) })}\n\n`);
const STREAM_TEXT = STREAM_FRAMES.join('');

interface Target {
  readonly port: number;
  /** Requests whose body the target read completely, by path. */
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

async function startTarget(): Promise<Target> {
  const hits = new Map<string, number>();
  const server: HttpServer = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      if (path === '/echo') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.concat(chunks));
      } else if (path === '/small') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(SMALL_BODY);
      } else if (path === '/stream' || path === '/hold') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const frames = path === '/stream' ? STREAM_FRAMES : ['data: hello\n\n'];
        let i = 0;
        const next = (): void => {
          if (res.destroyed) return;
          if (i < frames.length) {
            res.write(frames[i++]);
            setTimeout(next, 1);
          } else if (path === '/stream') {
            res.end();
          } // '/hold' stays open until the connection goes
        };
        next();
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fetch on a fresh connection (own Agent), reading the whole body; `received` keeps what arrived before any error. */
async function request(url: string, init: { method?: string; body?: Buffer } = {}) {
  const agent = new Agent();
  const received: Buffer[] = [];
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, dispatcher: agent });
    const reader = res.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) received.push(Buffer.from(r.value));
    return { status: res.status, body: Buffer.concat(received), elapsedMs: performance.now() - started };
  } catch (error) {
    throw Object.assign(new Error('request failed', { cause: error }), { received: Buffer.concat(received) });
  } finally {
    await agent.destroy();
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('seededRandom', () => {
  it('replays the same sequence in [0, 1) for a seed and a different one for another seed', () => {
    const draw = (seed: number) => Array.from({ length: 100 }, seededRandom(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(7).every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('fault proxy', () => {
  let target: Target;
  let proxies: FaultProxy[];
  const proxyWith = async (faults: FaultSettings = {}, seed = 42): Promise<FaultProxy> => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: target.port }, seed, faults });
    proxies.push(proxy);
    return proxy;
  };

  beforeEach(async () => {
    target = await startTarget();
    proxies = [];
  });
  afterEach(async () => {
    for (const proxy of proxies) await proxy.close();
    await target.close();
  });

  it('passes a 1 MiB body and a streaming response through unchanged when no fault is set', async () => {
    const proxy = await proxyWith();
    const body = randomBytes(1024 * 1024);
    const echoed = await request(`${proxy.url}/echo`, { method: 'POST', body });
    expect(echoed.status).toBe(200);
    expect(echoed.body.equals(body)).toBe(true);
    const stream = await request(`${proxy.url}/stream`);
    expect(stream.body.toString()).toBe(STREAM_TEXT);
    expect(describeFaults(proxy)).toBe('seed=42 connections=2 refuse=0 dropAfterRequest=0 delay=0 drip=0 cutResponse=0 sever=0 stall=0');
  });

  it('forwards a client half-close to the target and the target end back', async () => {
    const echo: NetServer = createNetServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: (echo.address() as AddressInfo).port }, seed: 1 });
    proxies.push(proxy);
    const socket = connect({ host: '127.0.0.1', port: proxy.port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.end('hello, half-closed world');
    // The echo only ends after it sees our end, so 'end' here proves both directions forwarded the FIN.
    await new Promise((resolve, reject) => socket.once('end', resolve).once('error', reject));
    expect(Buffer.concat(chunks).toString()).toBe('hello, half-closed world');
    socket.destroy();
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('passes a reset from the target on to the client as a reset', async () => {
    const resetter: NetServer = createNetServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve));
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: (resetter.address() as AddressInfo).port }, seed: 1 });
    proxies.push(proxy);
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    socket.write('ping');
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      let seen: NodeJS.ErrnoException | undefined;
      socket.on('error', (e) => (seen = e)).once('close', () => resolve(seen));
    });
    expect(error?.code).toBe('ECONNRESET');
    await until(() => proxy.openConnections() === 0);
    await proxy.close();
    await new Promise((resolve) => resetter.close(resolve));
  });

  it('propagates backpressure instead of buffering a stream the client does not read', async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    const source: NetServer = createNetServer((socket) => {
      socket.on('error', () => {});
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pushMore = (): void => {
        while (written < total && !socket.destroyed) {
          written += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pushMore);
        }
      };
      pushMore();
    });
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: (source.address() as AddressInfo).port }, seed: 1 });
    proxies.push(proxy);
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    socket.pause(); // never read
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(total / 2);
    socket.destroy();
    await proxy.close();
    source.close();
  });

  it('makes fetch fail without reaching the target when refuse=1', async () => {
    const proxy = await proxyWith({ refuse: 1 });
    await expect(request(`${proxy.url}/small`)).rejects.toThrow('request failed');
    expect(target.hits.get('/small')).toBeUndefined();
    expect(proxy.counts()).toMatchObject({ connections: 1, refuse: 1 });
  });

  it('makes fetch fail after the target received the request when dropAfterRequest=1', async () => {
    const proxy = await proxyWith({ dropAfterRequest: 1 });
    await expect(request(`${proxy.url}/echo`, { method: 'POST', body: Buffer.from('{"seq":1}') })).rejects.toThrow('request failed');
    expect(target.hits.get('/echo')).toBe(1);
    expect(proxy.counts().dropAfterRequest).toBe(1);
  });

  it('truncates a streaming response when cutResponse=1', async () => {
    const proxy = await proxyWith({ cutResponse: 1 });
    const outcome = await request(`${proxy.url}/stream`).then(
      () => 'complete',
      (error: { received: Buffer }) => error.received.toString(),
    );
    expect(outcome).not.toBe('complete');
    expect(STREAM_TEXT.startsWith(outcome)).toBe(true);
    expect(outcome.length).toBeLessThan(STREAM_TEXT.length);
    expect(proxy.counts().cutResponse).toBe(1);
  });

  it('delivers a dripped body intact, in many small slow pieces, when drip=1', async () => {
    const proxy = await proxyWith({ drip: 1 });
    const dripped = await request(`${proxy.url}/small`);
    expect(dripped.body.equals(SMALL_BODY)).toBe(true);
    // ≥ 1024 / 64 = 16 pieces, each after a pause of at least 5 ms.
    expect(dripped.elapsedMs).toBeGreaterThanOrEqual(80);
    expect(proxy.counts().drip).toBe(1);
  });

  it('adds at least the minimum delay per chunk in each direction', async () => {
    const proxy = await proxyWith({ delayMs: [60, 80] });
    const delayed = await request(`${proxy.url}/small`);
    expect(delayed.body.equals(SMALL_BODY)).toBe(true);
    // One request chunk and at least one response chunk, each held ≥ 60 ms (1 ms slack for timer rounding).
    expect(delayed.elapsedMs).toBeGreaterThanOrEqual(119);
    expect(proxy.counts()).toMatchObject({ delay: 1, refuse: 0, drip: 0 });
  });

  it('replays the same fault schedule for the same seed and a different one for another seed', async () => {
    const faults: FaultSettings = { refuse: 0.25, dropAfterRequest: 0.25 };
    const run = async (seed: number) => {
      const proxy = await proxyWith(faults, seed);
      const outcomes: string[] = [];
      for (let i = 0; i < 24; i++) {
        outcomes.push(await request(`${proxy.url}/small`).then(() => 'ok', () => 'failed'));
      }
      return { outcomes, counts: proxy.counts() };
    };
    const first = await run(1234);
    const replay = await run(1234);
    const other = await run(98765);
    expect(replay).toEqual(first);
    expect(first.counts.refuse + first.counts.dropAfterRequest).toBeGreaterThan(0);
    expect(other.outcomes).not.toEqual(first.outcomes);
  });

  it('refuses new connections while paused, serves again after resume, and severs open ones with severOpen', async () => {
    const proxy = await proxyWith();
    proxy.pause();
    await expect(request(`${proxy.url}/small`)).rejects.toThrow('request failed');
    expect(proxy.counts().refuse).toBe(1);
    proxy.resume();
    expect((await request(`${proxy.url}/small`)).body.equals(SMALL_BODY)).toBe(true);
    await until(() => proxy.openConnections() === 0); // the finished request's link, closing

    const held = openHeldStream(proxy);
    await held.firstFrame;
    proxy.pause({ severOpen: true });
    await expect(held.rest).rejects.toThrow();
    expect(proxy.counts()).toMatchObject({ sever: 1, refuse: 1 });
    await until(() => proxy.openConnections() === 0);
  });

  it('severAll destroys every open connection and counts each as sever', async () => {
    const proxy = await proxyWith();
    const streams = [openHeldStream(proxy), openHeldStream(proxy)];
    await Promise.all(streams.map((s) => s.firstFrame));
    expect(proxy.openConnections()).toBe(2);
    proxy.severAll();
    for (const s of streams) await expect(s.rest).rejects.toThrow();
    expect(proxy.counts().sever).toBe(2);
    await until(() => proxy.openConnections() === 0);
    expect((await request(`${proxy.url}/small`)).status).toBe(200); // not paused
  });

  it('stallOpen keeps open connections open but silent, and lets new ones through', async () => {
    const proxy = await proxyWith();
    const { connect } = await import('node:net');
    const socket = connect(proxy.port, '127.0.0.1');
    let received = '';
    let closed = false;
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.on('close', () => (closed = true));
    const ask = 'GET /small HTTP/1.1\r\nHost: proxy\r\n\r\n';
    socket.write(ask);
    await until(() => received.includes('HTTP/1.1 200'));
    proxy.stallOpen();
    expect(proxy.counts().stall).toBe(1);
    received = '';
    socket.write(ask); // the same keep-alive connection: the request is never forwarded
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toBe('');
    expect(closed).toBe(false);
    expect((await request(`${proxy.url}/small`)).status).toBe(200); // new connections pass
    socket.destroy();
    await proxy.close();
  });

  it('leaves no connection open on either side after close', async () => {
    const proxy = await proxyWith({ delayMs: [1, 5] });
    const held = openHeldStream(proxy);
    await held.firstFrame;
    expect(proxy.openConnections()).toBe(1);
    await proxy.close();
    expect(proxy.openConnections()).toBe(0);
    await expect(held.rest).rejects.toThrow();
    await proxy.close(); // idempotent
  });

  it('rejects bad options with a sentence naming the option and value', async () => {
    await expect(proxyWith({ refuse: 1.5 })).rejects.toThrow('Expected `faults.refuse` to be a probability 0–1, got 1.5');
    await expect(proxyWith({ refuse: 0.6, cutResponse: 0.6 })).rejects.toThrow('sum to at most 1, got 1.2');
    await expect(proxyWith({ delayMs: [10, 5] })).rejects.toThrow('got [10, 5]');
    const proxy = await proxyWith();
    expect(() => proxy.setFaults({ drip: -1 })).toThrow('`faults.drip`');
    expect(() => proxy.setTarget({ host: '127.0.0.1', port: 0 })).toThrow('Expected `target.port` to be an integer 1–65535, got 0');
  });

  it('sends new connections to the target set by setTarget', async () => {
    const proxy = await proxyWith();
    const other = await startTarget();
    try {
      proxy.setTarget({ host: '127.0.0.1', port: other.port });
      await request(`${proxy.url}/small`);
      expect(other.hits.get('/small')).toBe(1);
      expect(target.hits.get('/small')).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

/** Opens `/hold` (one frame, then silence): `firstFrame` settles on the frame, `rest` on the stream's end or error. */
function openHeldStream(proxy: FaultProxy): { firstFrame: Promise<void>; rest: Promise<void> } {
  const agent = new Agent();
  const reader = fetch(`${proxy.url}/hold`, { dispatcher: agent }).then((res) => res.body!.getReader());
  const firstFrame = reader.then(async (r) => {
    await r.read();
  });
  const rest = firstFrame.then(async () => {
    const r = await reader;
    for (let next = await r.read(); !next.done; next = await r.read());
  });
  rest.catch(() => {}).finally(() => void agent.destroy());
  return { firstFrame, rest };
}
