// A runner process for scenario C: continues a build from whatever its spool holds — seq by
// seq, with content that depends only on the seq — up to `total`, then finishes and exits 0
// once the final ack arrived. Killed with SIGKILL and started again on the same spool, it
// picks up where the durable spool ends.
import { Agent, fetch as undiciFetch } from 'undici';
import { openRunner, type FetchLike } from '../../../runner-client/index.js';
import { lineOf } from './chaos-fleet.js';

interface Config {
  readonly url: string;
  readonly buildId: string;
  readonly token: string;
  readonly spoolDir: string;
  /** The final event's seq: 1 … total−1 are `log` events, total is `finish`. */
  readonly total: number;
}

const config = JSON.parse(process.argv[2]!) as Config;
// One connection per request, as in scenario A, so the proxy's faults hit every exchange.
const agent = new Agent({ pipelining: 0, keepAliveTimeout: 1, keepAliveMaxTimeout: 1 });
const fetch = ((input: string, init: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as FetchLike;
const runner = await openRunner({
  url: config.url,
  buildId: config.buildId,
  token: config.token,
  spoolDir: config.spoolDir,
  fetch,
  maxBatchEvents: 25,
  maxDelayMs: 1000,
  requestTimeoutMs: 5000,
});
// Seqs are assigned in call order, so the next emit gets `emitted + 1`.
const pending: Array<Promise<number>> = [];
for (let seq = runner.stats().emitted + 1; seq < config.total; seq++) {
  pending.push(runner.emit('log', { stream: 'stdout', line: lineOf(config.buildId, seq) }));
  if (pending.length >= 50) await Promise.all(pending.splice(0));
}
await Promise.all(pending);
if (runner.stats().final === null) await runner.finish({ status: 'succeeded' });
else await runner.flush();
process.stdout.write(`done ${runner.stats().ack} ${runner.stats().digest}\n`);
await runner.close();
await agent.close();
process.exit(0);
