// Scenario I: three runlog instances on one PostgreSQL behind Debian's nginx running the shipped
// deploy/nginx.conf. Runners (the library and `runlog-runner exec`) and readers (the `eventsource`
// package, the web-client, a raw resuming reader) all go through nginx while (1) one instance is
// killed with -9 mid-build and (2) every instance is restarted in turn (SIGTERM, start again).
// Every build's stored log must be exact, every reader complete and in order with a hash chain
// equal to the build's digest, and no append may be answered 5xx without Retry-After.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainDigests } from '../../protocol/hash-chain.js';
import type { LogEvent } from '../../protocol/wire-types.js';
import { POSTGRES } from '../support/backends.js';
import { NGINX_UNAVAILABLE, startNginx, type Nginx } from '../support/nginx.js';
import { readLog } from '../support/runner-harness.js';
import { auditStoredLog, type FleetBuild } from './support/chaos-fleet.js';
import { startInstanceFleet, type InstanceFleet } from './support/instance-fleet.js';
import {
  auditReader,
  followRaw,
  followWithEventSource,
  followWithWebClient,
  recordingAppendFetch,
  startCliBuild,
  startLibraryBuild,
  type AppendAnswer,
  type EventReader,
} from './support/live-builds.js';
import { auditSequence, type ResumingReader } from './support/resuming-reader.js';
import { FULL, Scale } from './scale.js';

const LIBRARY_BUILDS = FULL ? 6 : 2;
const EVENTS_PER_SECOND = FULL ? 400 : 150;

describe.skipIf(POSTGRES.unavailable !== undefined || NGINX_UNAVAILABLE !== undefined)('I: three instances behind nginx', () => {
  let fleet: InstanceFleet;
  let nginx: Nginx;
  let spool: string;

  beforeAll(async () => {
    // Request logs on: the scenario's whole log is searched for every token it used.
    fleet = await startInstanceFleet(3, process.env.TEST_DATABASE_URL!, { RUNLOG_LOG_LEVEL: 'info' });
    nginx = await startNginx(fleet.instances.map((i) => i.port));
    spool = await mkdtemp(path.join(tmpdir(), 'runlog-nginx-spool-'));
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await fleet?.stop();
    await rm(spool, { recursive: true, force: true });
  });

  async function createBuild(buildId: string): Promise<FleetBuild> {
    const res = await fetch(`${nginx.url}/v1/builds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ buildId }),
    });
    const body = (await res.json()) as { tokens: { runner: string; viewer: string } };
    return { buildId, runner: body.tokens.runner, viewer: body.tokens.viewer };
  }

  /** A live instance to read the stored truth from, past nginx. */
  const anyUp = () => fleet.instances.find((i) => i.process() !== undefined)!.url;

  /** Runs the builds and readers through nginx, applies `fault` mid-build, finishes, audits. */
  async function scenario(name: string, fault: () => Promise<void>) {
    const answers: AppendAnswer[] = [];
    const accessBefore = (await nginx.accessLog()).length;
    const libraryBuilds = await Promise.all(Array.from({ length: LIBRARY_BUILDS }, (_, i) => createBuild(`${name}-lib-${i + 1}`)));
    const cliBuild = await createBuild(`${name}-cli`);
    const all = [...libraryBuilds, cliBuild];
    // Readers first: they follow each build from its first event.
    const readers = new Map<string, { es: EventReader; web: EventReader; raw: ResumingReader }>(
      all.map((b) => [b.buildId, { es: followWithEventSource(nginx.url, b), web: followWithWebClient(nginx.url, b), raw: followRaw(nginx.url, b) }]),
    );
    const live = await Promise.all(
      libraryBuilds.map((build) =>
        startLibraryBuild({ url: nginx.url, build, spoolDir: spool, fetch: recordingAppendFetch(answers), perSecond: EVENTS_PER_SECOND }),
      ),
    );
    const cli = startCliBuild({ url: nginx.url, build: cliBuild, spoolDir: spool });

    await new Promise((r) => setTimeout(r, 2500)); // mid-build: every build has acked events
    await fault();
    await new Promise((r) => setTimeout(r, 2500)); // and keeps going after the fault
    const finished = await Promise.all(live.map((l) => l.finish()));
    cli.stop();
    const cliResult = await cli.done;
    expect(cliResult.code, cliResult.stderr).toBe(0);

    for (const [buildId, r] of readers) {
      // Which reader hung, and where: the last seq each one got (and the raw reader's connections).
      const state = () =>
        `eventsource at ${r.es.events.at(-1)?.seq ?? 0}, web-client at ${r.web.events.at(-1)?.seq ?? 0}, ` +
        `raw at ${r.raw.received.at(-1) ?? 0} after ${r.raw.connections()} connections; eventsource errors: ${JSON.stringify(((globalThis as Record<string, unknown>).__esErrors as Map<string, string[]>).get(buildId))}`;
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the readers of ${buildId} did not finish: ${state()}`)), 60_000));
      await Promise.race([Promise.all([r.es.done, r.web.done, r.raw.done]), timeout]);
    }

    const report = { name, events: 0, appends: 0, answers5xx: 0, readers: 0, readerConnections: 0 };
    for (const [i, build] of libraryBuilds.entries()) {
      const { events, digest } = finished[i]!;
      const stored = await auditStoredLog(anyUp(), fleet.adminToken, build.buildId, events);
      expect(stored, build.buildId).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0, digest });
      report.events += events;
    }
    const cliLog = await readLog({ url: anyUp() }, cliBuild.buildId, fleet.adminToken);
    const lines = cliLog.slice(1, -1).map((e) => (e.data as { line: string }).line);
    expect(cliLog[0]?.type).toBe('start');
    expect(cliLog.at(-1)?.type).toBe('finish');
    expect(lines).toEqual(lines.map((_, k) => `cli line ${k + 1}`));
    expect(cliLog.map((e) => e.seq)).toEqual(cliLog.map((_, k) => k + 1));
    report.events += cliLog.length;

    for (const build of all) {
      const log: LogEvent[] = await readLog({ url: anyUp() }, build.buildId, fleet.adminToken);
      const serverBuild = (await (await fetch(`${anyUp()}/v1/builds/${build.buildId}`, { headers: { authorization: `Bearer ${fleet.adminToken}` } })).json()) as { digest: string };
      expect(chainDigests('', log), `chain over the stored log of ${build.buildId}`).toBe(serverBuild.digest);
      const r = readers.get(build.buildId)!;
      for (const reader of [r.es, r.web]) {
        expect(auditReader(reader, log.length, serverBuild.digest, log), `${reader.name} on ${build.buildId}`).toEqual({
          reader: reader.name,
          lost: 0,
          duplicated: 0,
          reordered: 0,
          digestMatches: true,
        });
      }
      expect(auditSequence(r.raw.received, log.length), `raw reader on ${build.buildId}`).toEqual({ lost: 0, duplicated: 0, reordered: 0 });
      report.readers += 3;
      report.readerConnections += r.raw.connections();
    }

    // No append answered 5xx without Retry-After: as the library runners saw it, and in nginx's
    // log for every runner (the CLI's included).
    const appendLines = (await nginx.accessLog()).slice(accessBefore).filter((l) => l.method === 'POST' && l.uri.endsWith('/events'));
    const bare5xx = [...answers.filter((a) => a.status >= 500 && !a.retryAfter), ...appendLines.filter((l) => l.status >= 500 && l.retryAfter === '')];
    expect(bare5xx).toEqual([]);
    // The instances' request logs over the whole scenario: no token of any build, nor the admin's.
    const logs = fleet.instances.map((i) => i.logs()).join('\n');
    expect(logs).toContain('"msg":"request"');
    for (const token of [fleet.adminToken, ...all.flatMap((b) => [b.runner, b.viewer])]) expect(logs.includes(token), `a token in the instances' logs`).toBe(false);
    report.appends = appendLines.length;
    report.answers5xx = appendLines.filter((l) => l.status >= 500).length;
    const upstreamRetries = appendLines.filter((l) => l.upstream.includes(',')).length;
    // Stream requests beyond one per reader: reconnects after a stream was cut by the fault.
    const streamRequests = (await nginx.accessLog()).slice(accessBefore).filter((l) => l.uri.endsWith('/stream')).length;
    console.log(
      `[${name}] ${report.events} events in ${all.length} builds: stored logs exact (0 lost, 0 duplicated, 0 reordered); ` +
        `${report.appends} appends through nginx, ${upstreamRetries} passed on to another instance after a failure, ${report.answers5xx} answered 5xx (all with Retry-After); ` +
        `${report.readers} readers complete and in order with chains equal to the digests, after ${streamRequests - 3 * all.length} stream reconnects through nginx`,
    );
    return report;
  }

  it(
    'keeps every log exact and every reader complete while one instance is killed with -9 mid-build',
    async () => {
      const victim = fleet.instances[1]!;
      await scenario('kill-one', async () => {
        expect(await victim.stop('SIGKILL')).toBe('SIGKILL');
      });
      await victim.start(); // for the next scenario
    },
    Scale.testTimeoutMs,
  );

  it(
    'keeps them exact through a rolling restart, and answers no append 5xx without Retry-After',
    async () => {
      await scenario('rolling', async () => {
        for (const instance of fleet.instances) {
          expect(await instance.stop('SIGTERM')).toBe(0);
          await instance.start();
        }
      });
    },
    Scale.testTimeoutMs,
  );
});
