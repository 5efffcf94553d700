// A runner in its own process, for the crash and server-away scenarios. Configured by one JSON
// argument; reports on stdout, one line each, written with a blocking write(2) — process.stdout
// queues in memory when the pipe is full, and a kill -9 would lose what it queued:
//   ready · ok <seq> (that emit returned) · status <state> <ack> · emitted · acked <ack> · idle
import { writeSync } from 'node:fs';
import { openRunner, type Durability } from '../../runner-client/index.js';

interface ChildConfig {
  readonly url: string;
  readonly buildId: string;
  readonly token: string;
  readonly spoolDir: string;
  /** Events to emit: `log` {stream: 'stdout', line: `e <i>`}. */
  readonly count: number;
  /** Emits outstanding at once. */
  readonly window: number;
  readonly durability?: Durability;
  readonly maxDelayMs?: number;
  /** After emitting, wait for the acks and report them. */
  readonly flush?: boolean;
  readonly heartbeatIntervalMs?: number;
  /** After everything else, print `idle` and stay open (heartbeating) until killed. */
  readonly stayOpen?: boolean;
}

const config = JSON.parse(process.argv[2]!) as ChildConfig;
const nap = new Int32Array(new SharedArrayBuffer(4));
const out = (line: string): void => {
  const bytes = Buffer.from(`${line}\n`);
  // libuv leaves the pipe non-blocking: a full pipe is EAGAIN, so wait for the reader, blocking.
  for (let written = 0; written < bytes.length; ) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(nap, 0, 0, 1);
    }
  }
};

const runner = await openRunner({
  url: config.url,
  buildId: config.buildId,
  token: config.token,
  spoolDir: config.spoolDir,
  ...(config.durability === undefined ? {} : { durability: config.durability }),
  ...(config.maxDelayMs === undefined ? {} : { maxDelayMs: config.maxDelayMs }),
  ...(config.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: config.heartbeatIntervalMs }),
});
runner.on('status', (s) => out(`status ${s.state} ${s.ack}`));
out('ready');
let next = 1;
let outstanding = 0;
await new Promise<void>((resolve, reject) => {
  const pump = (): void => {
    while (outstanding < config.window && next <= config.count) {
      const i = next++;
      outstanding++;
      runner.emit('log', { stream: 'stdout', line: `e ${i}` }).then((seq) => {
        out(`ok ${seq}`);
        outstanding--;
        if (next > config.count && outstanding === 0) resolve();
        else pump();
      }, reject);
    }
  };
  pump();
});
out('emitted');
if (config.flush === true) {
  await runner.flush();
  out(`acked ${runner.stats().ack}`);
}
if (config.stayOpen === true) {
  out('idle');
  // The heartbeat's timer is unref'd: this one keeps the process (and so the runner) alive.
  setInterval(() => {}, 60_000);
} else {
  await runner.close();
  process.exit(0);
}
