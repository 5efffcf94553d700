// The set-up scenarios A and C share: a server on a backend, a faulty proxy for runners and
// another for readers in front of it (seeded one apart), and a spool directory.
import type { Backend } from '../../support/backends.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { tempDir } from './chaos-fleet.js';
import { READER_FAULTS, RUNNER_FAULTS } from './fault-mix.js';

export interface FaultyRig {
  readonly server: TestServer;
  readonly runnerProxy: FaultProxy;
  readonly readerProxy: FaultProxy;
  readonly spoolDir: string;
  close(): Promise<void>;
}

export async function startFaultyRig(backend: Backend, seed: number, spoolPrefix: string): Promise<FaultyRig> {
  const server = await startTestServer(backend);
  const target = { host: '127.0.0.1', port: server.port };
  const runnerProxy = await startFaultProxy({ target, seed, faults: RUNNER_FAULTS });
  const readerProxy = await startFaultProxy({ target, seed: seed + 1, faults: READER_FAULTS });
  const spool = await tempDir(spoolPrefix);
  return {
    server,
    runnerProxy,
    readerProxy,
    spoolDir: spool.dir,
    async close() {
      await runnerProxy.close();
      await readerProxy.close();
      await server.stop();
      await spool.remove();
    },
  };
}
