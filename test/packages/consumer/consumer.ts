// Type-checked in a scratch project against the installed tarballs (test/packages/tarballs.test.ts),
// under `strict` with moduleResolution NodeNext and bundler: every public entry point, used the
// way the READMEs show.
import { openRunner, UploadRejectedError, type FinishResult, type RunnerOptions } from '@runlog/runner';
import {
  describeRunner,
  watchBuild,
  watchBuilds,
  type Build,
  type BuildState,
  type LogEvent,
  type RunnerDescription,
  type RunnerPresence,
  type WatchStatus,
} from '@runlog/web';
import { useBuild, useBuilds, type BuildView, type BuildsView } from '@runlog/web/react';
import { startRunlog, type RunningRunlog, type TestBuild } from 'runlog/testing';

export async function sendBuild(options: RunnerOptions, lines: readonly string[]): Promise<FinishResult> {
  const runner = await openRunner({ heartbeatIntervalMs: 1000, ...options });
  try {
    await runner.emit('start', {});
    for (const line of lines) await runner.emit('log', { stream: 'stdout', line });
    return await runner.finish({ status: 'succeeded' });
  } catch (error) {
    if (error instanceof UploadRejectedError) throw new Error(`the server refused the build: ${error.code}`);
    throw error;
  } finally {
    await runner.close();
  }
}

export function follow(url: string, token: string, buildId: string, onEvent: (event: LogEvent) => void): () => void {
  const watch = watchBuild({
    url,
    token,
    buildId,
    onEvent,
    onState: (state: BuildState, seq: number) => void [state.status, seq],
    onStatus: (status: WatchStatus) => void status.kind,
    onRunner: (runner: RunnerPresence | null) => void runner?.backlog.events,
  });
  const list = watchBuilds({
    url,
    token,
    onChange: (builds: readonly Build[]) => void builds.map((b) => describeRunner({ complete: b.status === 'complete', runner: b.runner }).text),
  });
  const words: RunnerDescription = describeRunner({ complete: false, runner: watch.runner });
  void words.kind;
  return () => {
    watch.close();
    list.close();
  };
}

export function useBoth(url: string, token: string, buildId: string): [BuildView, BuildsView, string] {
  const view = useBuild(buildId, { url, token });
  return [view, useBuilds({ url, token }), describeRunner({ complete: view.status.kind === 'complete', runner: view.runner }).text];
}

export async function withRunlog(body: (runlog: RunningRunlog, build: TestBuild) => Promise<void>): Promise<void> {
  const runlog = await startRunlog();
  try {
    await body(runlog, await runlog.createBuild('typed'));
  } finally {
    await runlog.stop();
  }
}
