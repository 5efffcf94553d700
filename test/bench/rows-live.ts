// Live builds: many viewers of one build while a runner appends, many small builds at once,
// the latency of one viewer, and a thousand long-polls woken by one append. Viewers connect
// before the runners start; delivery delays come from the emit time each event carries.
import { ascending, int, metricValue, ms, quantile, serverCpuMeter, sleep, type RowResult } from './bench-row.js';
import { clientCpuShare, type LoadPool, type TaskResult } from './load-pool.js';
import type { AppendFigures, LoadTask, ReaderFigures, ReaderRef } from './load-tasks.js';
import { commitGroupsNote, sampleRss, startBenchServer, type BenchDatabase, type BenchServer } from './server-under-test.js';

export interface LiveSizes {
  readonly fanOutViewers: number;
  readonly fanOutSeconds: number;
  readonly fairnessViewers: number;
  readonly fairnessSeconds: number;
  readonly smallBuilds: number;
  readonly smallSeconds: number;
  readonly latencySeconds: number;
  readonly longPolls: number;
  /** Seconds after an open-loop run's last tick before unanswered appends count as not accepted. */
  readonly giveUpSeconds: number;
}

const OPEN_END = Number.MAX_SAFE_INTEGER;

function appendsOf(results: readonly TaskResult[]): AppendFigures[] {
  return results.flatMap((r) => (r.figures.kind === 'append' ? [r.figures.append] : []));
}
function readersOf(results: readonly TaskResult[]): ReaderFigures[] {
  return results.flatMap((r) => (r.figures.kind === 'readers' ? r.figures.readers : []));
}

/** Viewers split over the first `lanes` load processes (connected while preparing). */
function viewerTasks(server: BenchServer, refs: readonly ReaderRef[], lanes: number, timeoutMs: number): LoadTask[] {
  return Array.from({ length: lanes }, (_, w) => ({ kind: 'sse' as const, url: server.url, readers: refs.filter((_, i) => i % lanes === w), connectOnRun: false, timeoutMs }));
}

export async function fanOutRows(pool: LoadPool, database: BenchDatabase, sizes: LiveSizes): Promise<RowResult[]> {
  const server = await startBenchServer({ backend: 'postgres', database });
  try {
    const build = await server.createBuild();
    const lanes = pool.size - 1;
    const refs = Array.from({ length: sizes.fanOutViewers }, () => ({ buildId: build.buildId, token: build.viewer, after: 0, until: OPEN_END }));
    const rss = sampleRss(server);
    const tasks: LoadTask[] = [
      ...viewerTasks(server, refs, lanes, sizes.fanOutSeconds * 1000 + 60_000),
      {
        kind: 'append-closed',
        url: server.url,
        runners: [{ buildId: build.buildId, token: build.runner, from: 1 }],
        batch: 100,
        inFlight: 4,
        durationMs: sizes.fanOutSeconds * 1000,
        eventBytes: 300,
        final: true,
      },
    ];
    const prepared = await pool.prepare(tasks);
    const meter = serverCpuMeter(server);
    const results = await prepared.run();
    const cpu = meter.done();
    const peakRss = rss.stop();
    const [runner] = appendsOf(results);
    const viewers = readersOf(results);
    const total = runner!.events;
    const everyOne = viewers.every((v) => v.inOrder && v.events === total);
    const deliveries = viewers.reduce((s, v) => s + v.events, 0);
    const seconds = (Math.max(...viewers.map((v) => v.doneUs)) - runner!.firstSentUs) / 1e6;
    const ingest = total / ((runner!.lastAnsweredUs - runner!.firstSentUs) / 1e6);
    const deliveryRate = deliveries / seconds;
    return [
      {
        id: 'fan-out',
        title: `fan-out: ${int(sizes.fanOutViewers)} SSE viewers of one build, runner appending as fast as accepted (batches of 100, 4 in flight), PostgreSQL`,
        figure: `${int(deliveryRate)} deliveries/s; ingest ${int(ingest)} events/s; append p99 ${ms(quantile(runner!.latenciesMs, 0.99))}`,
        target: '≥ 3 000 000 deliveries/s, ingest ≥ 2 000 events/s, all in order',
        met: deliveryRate >= 3_000_000 && ingest >= 2000 && everyOne,
        serverCpu: cpu,
        clientCpu: clientCpuShare(results),
        note: everyOne ? `every viewer got all ${int(total)} events once, in order` : 'A VIEWER MISSED EVENTS OR GOT THEM OUT OF ORDER',
        values: { deliveriesPerSecond: deliveryRate, ingestPerSecond: ingest, events: total, everyViewerInOrder: everyOne, appendP99Ms: quantile(runner!.latenciesMs, 0.99) },
      },
      {
        id: 'memory-viewers',
        title: `memory: ${int(sizes.fanOutViewers)} viewers streaming (the fan-out row)`,
        figure: `server RSS peak ${int(peakRss)} MiB`,
        target: '≤ 600 MiB',
        met: peakRss <= 600,
        values: { peakRssMiB: peakRss },
      },
    ];
  } finally {
    await server.stop();
  }
}

/** Viewers with emit stamps + open-loop runners; the figures every live row reports. */
async function liveRun(pool: LoadPool, server: BenchServer, viewerRefs: ReaderRef[], runnerTasks: LoadTask[], lanes: number, timeoutMs: number) {
  const prepared = await pool.prepare([...viewerTasks(server, viewerRefs, lanes, timeoutMs), ...runnerTasks]);
  const meter = serverCpuMeter(server);
  const groupsBefore = await server.commitGroups();
  const results = await prepared.run();
  const cpu = meter.done();
  const groups = commitGroupsNote(groupsBefore, await server.commitGroups());
  const appends = appendsOf(results);
  const viewers = readersOf(results);
  const latencies = ascending(appends.flatMap((a) => a.latenciesMs));
  const delays = ascending(viewers.flatMap((v) => v.delaysUs)).map((us) => us / 1000);
  const seconds = (Math.max(...appends.map((a) => a.lastAnsweredUs)) - Math.min(...appends.map((a) => a.firstSentUs))) / 1e6;
  return {
    cpu,
    client: clientCpuShare(results),
    events: appends.reduce((s, a) => s + a.events, 0),
    requests: appends.reduce((s, a) => s + a.requests, 0),
    refused: appends.reduce((s, a) => s + a.refused, 0),
    seconds,
    latencies,
    delays,
    complete: viewers.every((v) => v.inOrder && v.complete),
    inOrder: viewers.every((v) => v.inOrder),
    incomplete: viewers.filter((v) => !v.complete).length,
    groups,
  };
}

/** What the viewers got, for a row's note: order is a guarantee; completeness needs every append accepted. */
function viewersNote(r: { inOrder: boolean; incomplete: number; refused: number; groups: string }): string {
  if (!r.inOrder) return 'A VIEWER GOT EVENTS OUT OF ORDER';
  const got = r.incomplete === 0 ? 'every viewer got every event in order' : `every viewer in order; ${r.incomplete} did not get the events that were never accepted`;
  return `${got}${r.refused ? `; ${r.refused} appends refused or timed out and retried` : ''}; ${r.groups}`;
}

export async function fairnessRow(pool: LoadPool, database: BenchDatabase, sizes: LiveSizes): Promise<RowResult> {
  const server = await startBenchServer({ backend: 'postgres', database });
  try {
    const build = await server.createBuild();
    const perTick = 10;
    const intervalMs = 10;
    const ticks = Math.floor((sizes.fairnessSeconds * 1000) / intervalMs);
    const total = ticks * perTick;
    // Every tenth viewer reads the stamps; the rest count and check order.
    const refs = Array.from({ length: sizes.fairnessViewers }, (_, i) => ({ buildId: build.buildId, token: build.viewer, after: 0, until: total, stamps: i % 10 === 0 }));
    const runner: LoadTask = { kind: 'append-open', url: server.url, runners: [{ buildId: build.buildId, token: build.runner, from: 1 }], perTick, intervalMs, durationMs: sizes.fairnessSeconds * 1000, eventBytes: 300, giveUpMs: sizes.giveUpSeconds * 1000 };
    const r = await liveRun(pool, server, refs, [runner], pool.size - 1, sizes.fairnessSeconds * 1000 + 60_000);
    const offered = total / sizes.fairnessSeconds;
    const p99 = quantile(r.latencies, 0.99);
    const d50 = quantile(r.delays, 0.5);
    const d99 = quantile(r.delays, 0.99);
    return {
      id: 'fairness',
      title: `fairness: ${int(sizes.fairnessViewers)} viewers, runner offering ${int(offered)} events/s (${perTick} every ${intervalMs} ms), PostgreSQL`,
      figure: `accepted ${int(r.events)}/${int(total)}; append p99 ${ms(p99)}; delivery p50 ${ms(d50)}, p99 ${ms(d99)}`,
      target: 'all accepted; append p99 ≤ 50 ms; delivery p50 ≤ 25 ms, p99 ≤ 250 ms',
      met: r.refused === 0 && r.events === total && p99 <= 50 && d50 <= 25 && d99 <= 250 && r.complete,
      serverCpu: r.cpu,
      clientCpu: r.client,
      note: viewersNote(r),
      values: { accepted: r.events, offered: total, refused: r.refused, appendP99Ms: p99, deliveryP50Ms: d50, deliveryP99Ms: d99 },
    };
  } finally {
    await server.stop();
  }
}

export async function smallBuildsRow(pool: LoadPool, database: BenchDatabase, sizes: LiveSizes): Promise<RowResult> {
  const server = await startBenchServer({ backend: 'postgres', database });
  try {
    const builds: Array<{ buildId: string; runner: string; viewer: string }> = [];
    for (let i = 0; i < sizes.smallBuilds; i += 50) builds.push(...(await Promise.all(Array.from({ length: Math.min(50, sizes.smallBuilds - i) }, () => server.createBuild()))));
    const perTick = 2;
    const intervalMs = 100;
    const ticks = Math.floor((sizes.smallSeconds * 1000) / intervalMs);
    const refs = builds.map((b) => ({ buildId: b.buildId, token: b.viewer, after: 0, until: ticks * perTick, stamps: true }));
    const lanes = Math.max(1, pool.size - 1);
    const runnerLanes = pool.size;
    const runnerTasks: LoadTask[] = Array.from({ length: runnerLanes }, (_, w) => ({
      kind: 'append-open' as const,
      url: server.url,
      runners: builds.filter((_, i) => i % runnerLanes === w).map((b) => ({ buildId: b.buildId, token: b.runner, from: 1 })),
      perTick,
      intervalMs,
      durationMs: sizes.smallSeconds * 1000,
      eventBytes: 300,
      giveUpMs: sizes.giveUpSeconds * 1000,
    }));
    // Runner tasks go after the viewer lanes, so the pool's round-robin puts them on every process.
    const r = await liveRun(pool, server, refs, runnerTasks, lanes, sizes.smallSeconds * 1000 + 60_000);
    const offered = (sizes.smallBuilds * 1000) / intervalMs;
    const accepted = (r.requests - r.refused) / r.seconds;
    const p99 = quantile(r.latencies, 0.99);
    const d99 = quantile(r.delays, 0.99);
    return {
      id: 'small-builds',
      title: `many small builds: ${sizes.smallBuilds} builds × (${perTick} events every ${intervalMs} ms), one viewer each, PostgreSQL`,
      figure: `${int(accepted)} of ${int(offered)} requests/s accepted; append p50 ${ms(quantile(r.latencies, 0.5))}, p99 ${ms(p99)}; delivery p99 ${ms(d99)}`,
      target: `all ${int(offered)} requests/s; append p99 ≤ 50 ms; delivery p99 ≤ 100 ms`,
      met: r.refused === 0 && accepted >= offered * 0.97 && p99 <= 50 && d99 <= 100 && r.complete,
      serverCpu: r.cpu,
      clientCpu: r.client,
      note: viewersNote(r),
      values: { acceptedRequestsPerSecond: accepted, offeredRequestsPerSecond: offered, appendP99Ms: p99, deliveryP99Ms: d99, refused: r.refused },
    };
  } finally {
    await server.stop();
  }
}

export async function latencyRow(pool: LoadPool, database: BenchDatabase, sizes: LiveSizes, spoolDir: string): Promise<RowResult> {
  const server = await startBenchServer({ backend: 'postgres', database });
  try {
    const build = await server.createBuild();
    const viewer: LoadTask = { kind: 'sse', url: server.url, readers: [{ buildId: build.buildId, token: build.viewer, after: 0, until: OPEN_END, stamps: true }], connectOnRun: false, timeoutMs: 120_000 };
    const emitter: LoadTask = {
      kind: 'emit',
      url: server.url,
      runner: { buildId: build.buildId, token: build.runner, from: 1 },
      spoolDir,
      paced: { perTick: 20, intervalMs: 10, durationMs: sizes.latencySeconds * 1000 },
      eventBytes: 200,
    };
    const prepared = await pool.prepare([viewer, emitter]);
    const meter = serverCpuMeter(server);
    const groupsBefore = await server.commitGroups();
    const results = await prepared.run();
    const cpu = meter.done();
    const groups = commitGroupsNote(groupsBefore, await server.commitGroups());
    const delays = ascending(readersOf(results).flatMap((v) => v.delaysUs)).map((us) => us / 1000);
    const p50 = quantile(delays, 0.5);
    const p99 = quantile(delays, 0.99);
    return {
      id: 'latency',
      title: 'latency: runner library `emit()` → SSE receipt, 1 viewer, 2 000 events/s (20 every 10 ms), PostgreSQL',
      figure: `p50 ${ms(p50)}, p99 ${ms(p99)}`,
      target: 'p50 ≤ 5 ms, p99 ≤ 25 ms',
      met: p50 <= 5 && p99 <= 25,
      serverCpu: cpu,
      clientCpu: clientCpuShare(results),
      note: `${delays.length} events; default durability (group fsync); ${groups}`,
      values: { p50Ms: p50, p99Ms: p99, events: delays.length },
    };
  } finally {
    await server.stop();
  }
}

export async function longPollRow(pool: LoadPool, database: BenchDatabase, sizes: LiveSizes): Promise<RowResult> {
  const server = await startBenchServer({ backend: 'postgres', database });
  try {
    const build = await server.createBuild();
    const waiting = await pool.prepare([{ kind: 'long-poll', url: server.url, buildId: build.buildId, token: build.viewer, after: 0, count: sizes.longPolls, waitSeconds: 30 }]);
    const runWaiting = waiting.run();
    for (let i = 0; (await metricValue(server.url, 'runlog_long_polls_waiting')) < sizes.longPolls; i++) {
      if (i > 600) throw new Error('the long-polls never all waited');
      await sleep(50);
    }
    await sleep(200);
    const meter = serverCpuMeter(server);
    const [append] = await pool.runTogether([{ kind: 'append-once', url: server.url, runner: { buildId: build.buildId, token: build.runner, from: 1 }, count: 10 }], 1);
    const [polls] = await runWaiting;
    const cpu = meter.done();
    if (append!.figures.kind !== 'append-once' || polls!.figures.kind !== 'long-poll') throw new Error('unexpected figures');
    const once = append!.figures.once;
    const answered = polls!.figures.longPoll;
    const appendMs = (once.answeredUs - once.sentUs) / 1000;
    const allMs = (Math.max(...answered.answeredUs) - once.sentUs) / 1000;
    const ok = once.status === 200 && answered.statuses['200'] === sizes.longPolls;
    return {
      id: 'long-polls',
      title: `${int(sizes.longPolls)} long-polls waiting, one append, PostgreSQL`,
      figure: `append answered in ${ms(appendMs)}; all ${int(sizes.longPolls)} answered within ${ms(allMs)}`,
      target: 'append ≤ 20 ms; all within 150 ms',
      met: ok && appendMs <= 20 && allMs <= 150,
      serverCpu: cpu,
      clientCpu: clientCpuShare([append!, polls!]),
      note: ok ? undefined : `statuses ${JSON.stringify(answered.statuses)}, append ${once.status}`,
      values: { appendMs, allAnsweredMs: allMs },
    };
  } finally {
    await server.stop();
  }
}
