// A seeded TCP fault proxy for the chaos tests: listens on 127.0.0.1 and forwards to a loopback
// target, injecting refusals, lost acks, latency, dripping and cut responses a seed replays.
//
//   client ──► [accept] ──► paused? ──yes──► refuse (counted, no draw)
//                              │no
//                         draw plan (2 values from the seeded PRNG, in accept order)
//                              │
//            refuse │ dropAfterRequest │ drip │ cutResponse │ none     (+ delay, independent)
//                              │
//              request pump: client ──(delay)──► target        end → end (half-close)
//              response pump: target ──(delay, fault)──► client end → end, or cut
import { connect, createServer, type Server, type Socket } from 'node:net';

export type FaultKind = 'refuse' | 'dropAfterRequest' | 'delay' | 'drip' | 'cutResponse' | 'sever' | 'stall';

export interface FaultSettings {
  /** Probability per connection of accepting then destroying it at once (client sees ECONNRESET / socket hang up). @default 0 */
  readonly refuse?: number;
  /** Probability per connection of forwarding the request to the target but destroying the client side as soon as the target's response starts arriving — the commit-then-lost-ack case. @default 0 */
  readonly dropAfterRequest?: number;
  /** Extra latency per chunk forwarded in either direction, drawn uniformly from [min, max] ms (preserving chunk order per direction). @default none */
  readonly delayMs?: readonly [number, number];
  /** Probability per connection that responses are dripped: forwarded in pieces of 1–64 bytes with 5–50 ms pauses. @default 0 */
  readonly drip?: number;
  /** Probability per connection that the response is cut after a random number of bytes (mid-frame for SSE): both sides destroyed. @default 0 */
  readonly cutResponse?: number;
}

export interface FaultProxyOptions {
  readonly target: { readonly host: string; readonly port: number };
  /** Seeds every per-connection decision; print it in test logs so a failure can be replayed. */
  readonly seed: number;
  /** @default {} — no faults */
  readonly faults?: FaultSettings;
  /** Listen port on 127.0.0.1. @default 0 */
  readonly port?: number;
}

export interface FaultProxy {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly seed: number;
  /** Applies to connections accepted from now on. */
  setFaults(faults: FaultSettings): void;
  /** Applies to connections accepted from now on (e.g. after a server restart on another port). */
  setTarget(target: { host: string; port: number }): void;
  /** Refuse every new connection (accept + destroy) until `resume()`; with `severOpen` also destroy open ones. */
  pause(options?: { severOpen?: boolean }): void;
  resume(): void;
  /** Destroy every open connection now (counted as 'sever'). */
  severAll(): void;
  /**
   * Silently stop forwarding on every connection open now, in both directions, without closing
   * either side (counted as 'stall') — a NAT or load balancer that forgot the flows, Wi-Fi that
   * switched networks. New connections pass as usual.
   */
  stallOpen(): void;
  /** Faults injected so far by kind, and connections seen. */
  counts(): Record<FaultKind, number> & { connections: number };
  /** Open connections right now (for leak checks). */
  openConnections(): number;
  close(): Promise<void>;
}

export const FaultProxyDefaults = {
  /** Cut points are drawn from 1…this many response bytes: JSON acks and SSE frames are a few hundred
   *  bytes each, so cuts land in headers, mid-frame, or a few frames into a catch-up stream. */
  maxCutBytes: 4096,
  /** Drip piece sizes in bytes, small enough to split SSE frames and chunk-size lines. */
  dripPieceBytes: [1, 64] as const,
  /** Pause before each dripped piece: long enough for the client to see partial frames. */
  dripPauseMs: [5, 50] as const,
  /** Bytes queued per direction before the source is paused: bounds buffering while delays hold
   *  chunks back, while leaving room for a 1 MiB body to flow without stalls. */
  highWaterBytes: 256 * 1024,
} as const;

/** Kinds at most one of which is drawn per connection, in cumulative-probability order. */
const EXCLUSIVE = ['refuse', 'dropAfterRequest', 'drip', 'cutResponse'] as const;
type ExclusiveFault = (typeof EXCLUSIVE)[number];
const ALL_KINDS: readonly FaultKind[] = ['refuse', 'dropAfterRequest', 'delay', 'drip', 'cutResponse', 'sever', 'stall'];

/** mulberry32: a tiny, fast 32-bit PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One line for test logs: `seed=42 connections=120 refuse=10 dropAfterRequest=8 …`. */
export function describeFaults(proxy: FaultProxy): string {
  const counts = proxy.counts();
  return [`seed=${proxy.seed}`, `connections=${counts.connections}`, ...ALL_KINDS.map((kind) => `${kind}=${counts[kind]}`)].join(' ');
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  if (!Number.isInteger(options.seed)) throw new TypeError(`Expected \`seed\` to be an integer, got ${String(options.seed)}`);
  const listenPort = options.port ?? 0;
  if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535) {
    throw new TypeError(`Expected \`port\` to be an integer 0–65535, got ${String(listenPort)}`);
  }
  let target = checkTarget(options.target);
  let faults = checkFaults(options.faults ?? {});
  const random = seededRandom(options.seed);
  const counts: Record<FaultKind, number> & { connections: number } = {
    connections: 0, refuse: 0, dropAfterRequest: 0, delay: 0, drip: 0, cutResponse: 0, sever: 0, stall: 0,
  };
  const open = new Set<Link>();
  let paused = false;
  let closing: Promise<void> | undefined;

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    counts.connections++;
    client.on('error', ignore);
    // A paused proxy refuses without drawing, so the seed's schedule covers the connections that got through.
    if (paused) {
      counts.refuse++;
      client.destroy();
      return;
    }
    const plan = drawPlan(random, faults);
    if (plan.fault !== undefined) counts[plan.fault]++;
    if (plan.delayMs !== undefined) counts.delay++;
    if (plan.fault === 'refuse') {
      client.destroy();
      return;
    }
    const link = startLink(client, target, plan);
    open.add(link);
    void link.closed.then(() => open.delete(link));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy: expected a TCP address');
  const port = address.port;

  const severAll = (): void => {
    for (const link of open) if (link.sever()) counts.sever++;
  };

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seed: options.seed,
    setFaults: (next) => {
      faults = checkFaults(next);
    },
    setTarget: (next) => {
      target = checkTarget(next);
    },
    pause: (pauseOptions) => {
      paused = true;
      if (pauseOptions?.severOpen === true) severAll();
    },
    resume: () => {
      paused = false;
    },
    severAll,
    stallOpen: () => {
      for (const link of open) if (link.stall()) counts.stall++;
    },
    counts: () => ({ ...counts }),
    openConnections: () => open.size,
    close: () => {
      closing ??= (async () => {
        paused = true;
        const links = [...open];
        for (const link of links) link.sever();
        await Promise.all([
          new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
          ...links.map((link) => link.closed),
        ]);
      })();
      return closing;
    },
  };
}

interface Plan {
  readonly fault: ExclusiveFault | undefined;
  readonly delayMs: readonly [number, number] | undefined;
  readonly cutAfterBytes: number;
  /** Per-connection PRNG for chunk-level draws, so chunk timing never shifts later connections' decisions. */
  readonly random: () => number;
}

function drawPlan(random: () => number, faults: FaultSettings): Plan {
  // Exactly two draws per connection whatever the outcome, so the schedule stays aligned across settings.
  const roll = random();
  const connectionRandom = seededRandom(Math.floor(random() * 4294967296));
  let fault: ExclusiveFault | undefined;
  let edge = 0;
  for (const kind of EXCLUSIVE) {
    edge += faults[kind] ?? 0;
    if (roll < edge) {
      fault = kind;
      break;
    }
  }
  const delayMs = faults.delayMs !== undefined && faults.delayMs[1] > 0 ? faults.delayMs : undefined;
  const cutAfterBytes = 1 + Math.floor(connectionRandom() * FaultProxyDefaults.maxCutBytes);
  return { fault, delayMs, cutAfterBytes, random: connectionRandom };
}

interface Link {
  /** Destroys both sockets; false when the link was already dead. */
  sever(): boolean;
  /** Stops forwarding both ways and keeps both sockets open; false when already dead or stalled. */
  stall(): boolean;
  /** Settles once both sockets have closed. */
  readonly closed: Promise<void>;
}

function startLink(client: Socket, target: { host: string; port: number }, plan: Plan): Link {
  const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
  upstream.on('error', ignore);
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  let dead = false;
  const kill = (): boolean => {
    if (dead) return false;
    dead = true;
    client.destroy();
    upstream.destroy();
    return true;
  };
  const closed = Promise.all([client, upstream].map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()))));
  let stalled = false;
  const stall = (): boolean => {
    if (dead || stalled) return false;
    stalled = true;
    // Nothing more is read from either side (the kernel buffers fill, then TCP's window closes)
    // and nothing queued is written: both ends see a connection that is open and silent.
    client.pause();
    upstream.pause();
    return true;
  };
  // A socket that closes without a clean end (reset, refused, destroyed) resets its peer, so a
  // crashed target looks crashed to the client; one that ended cleanly lets its pump flush and
  // forward the end (half-close).
  for (const [socket, peer] of [[client, upstream], [upstream, client]] as const) {
    let ended = false;
    socket.once('end', () => (ended = true));
    socket.once('close', () => {
      if (!ended && !peer.destroyed) peer.resetAndDestroy();
    });
  }
  const uniform = ([min, max]: readonly [number, number]): number => min + plan.random() * (max - min);
  const delay = async (): Promise<void> => {
    if (plan.delayMs !== undefined) await sleep(uniform(plan.delayMs));
  };

  pump(client, upstream, async (chunk) => {
    await delay();
    if (stalled) return;
    await write(upstream, chunk);
  }, () => upstream.end(), kill, () => stalled);

  let sentBytes = 0;
  const sendResponse = async (chunk: Buffer): Promise<void> => {
    if (stalled) return;
    if (plan.fault === 'dropAfterRequest') {
      kill(); // the target has the whole request and is answering: lose the answer
      return;
    }
    await delay();
    if (plan.fault === 'cutResponse') {
      const room = plan.cutAfterBytes - sentBytes;
      if (chunk.length >= room) {
        // Destroy only once the kept bytes reached the kernel, so the client sees exactly the cut.
        await new Promise<void>((resolve) => client.write(chunk.subarray(0, room), () => resolve()));
        kill();
        return;
      }
    }
    if (plan.fault === 'drip') {
      for (let offset = 0; offset < chunk.length && !client.destroyed; ) {
        const [minPiece, maxPiece] = FaultProxyDefaults.dripPieceBytes;
        const size = minPiece + Math.floor(plan.random() * (maxPiece - minPiece + 1));
        await sleep(uniform(FaultProxyDefaults.dripPauseMs));
        await write(client, chunk.subarray(offset, offset + size));
        offset += size;
      }
    } else {
      await write(client, chunk);
    }
    sentBytes += chunk.length;
  };
  // A cut connection never ends cleanly: if the target finishes before the cut point, cut at the end.
  pump(upstream, client, sendResponse, plan.fault === 'cutResponse' ? () => void kill() : () => client.end(), kill, () => stalled);

  return { sever: kill, stall, closed: closed.then(() => undefined) };
}

/**
 * Forwards `source` to `sink` through `send`, in chunk order, with at most
 * `highWaterBytes` (+ one chunk) queued: the source is paused above it, and `send`
 * waits for the sink to drain, so backpressure reaches the sender's TCP window.
 */
function pump(
  source: Socket,
  sink: Socket,
  send: (chunk: Buffer) => Promise<void>,
  finish: () => void,
  fail: () => void,
  stalled: () => boolean = () => false,
): void {
  const queue: Buffer[] = [];
  let queuedBytes = 0;
  let running = false;
  let ended = false;
  const drain = async (): Promise<void> => {
    running = true;
    for (let chunk = queue.shift(); chunk !== undefined; chunk = queue.shift()) {
      queuedBytes -= chunk.length;
      if (queuedBytes < FaultProxyDefaults.highWaterBytes && source.isPaused() && !stalled()) source.resume();
      if (!sink.destroyed) await send(chunk);
    }
    running = false;
    if (ended && !sink.destroyed && !stalled()) finish();
  };
  source.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queuedBytes += chunk.length;
    if (queuedBytes >= FaultProxyDefaults.highWaterBytes) source.pause();
    if (!running) drain().catch(fail);
  });
  source.once('end', () => {
    ended = true;
    if (!running && !sink.destroyed && !stalled()) finish();
  });
}

function write(sink: Socket, data: Buffer): Promise<void> {
  if (sink.destroyed || sink.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      sink.off('drain', done);
      sink.off('close', done);
      resolve();
    };
    sink.on('drain', done);
    sink.on('close', done);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Socket errors (ECONNRESET, EPIPE, ECONNREFUSED, …) always end in 'close', which the link handles. */
function ignore(): void {}

function checkTarget(target: { readonly host: string; readonly port: number }): { host: string; port: number } {
  if (typeof target?.host !== 'string' || target.host === '') {
    throw new TypeError(`Expected \`target.host\` to be a host name, got ${String(target?.host)}`);
  }
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new TypeError(`Expected \`target.port\` to be an integer 1–65535, got ${String(target.port)}`);
  }
  return { host: target.host, port: target.port };
}

function checkFaults(faults: FaultSettings): FaultSettings {
  let total = 0;
  for (const kind of EXCLUSIVE) {
    const p = faults[kind] ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new TypeError(`Expected \`faults.${kind}\` to be a probability 0–1, got ${String(p)}`);
    }
    total += p;
  }
  if (total > 1 + 1e-9) throw new TypeError(`Expected the fault probabilities to sum to at most 1, got ${total}`);
  const delayMs = faults.delayMs;
  if (delayMs !== undefined) {
    const [min, max] = delayMs;
    if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && min <= max)) {
      throw new TypeError(`Expected \`faults.delayMs\` to be [min, max] with 0 ≤ min ≤ max, got [${String(min)}, ${String(max)}]`);
    }
  }
  return { ...faults, ...(delayMs === undefined ? {} : { delayMs: [delayMs[0], delayMs[1]] as const }) };
}
