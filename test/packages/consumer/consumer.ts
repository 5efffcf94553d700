// Type-checked in a scratch project against the installed tarballs (test/packages/tarballs.test.ts),
// under `strict` with moduleResolution NodeNext and bundler: every public entry point, used the
// way the READMEs show.
import { openRunner, UploadRejectedError, type FinishResult, type PipeUIMessageStreamResult, type Runner, type RunnerOptions } from '@runlog/runner';
import {
  describeRunner,
  watchBuild,
  watchBuilds,
  type Build,
  type BuildState,
  type LogEvent,
  type RunnerDescription,
  type RunnerPresence,
  type UIMessage,
  type WatchStatus,
} from '@runlog/web';
import { useBuild, useBuilds, type BuildView, type BuildsView } from '@runlog/web/react';
import { LogLines, VirtualRows, renderTerminalLine, stripAnsi, type LogLineEntry } from '@runlog/web/log';
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

/** An AI SDK stream's chunks (here made by hand: the scratch project has no `ai`), piped as events. */
export function pipeChunks(runner: Runner, chunks: ReadonlyArray<{ type: string; [field: string]: unknown }>): Promise<PipeUIMessageStreamResult> {
  const stream = new ReadableStream<{ type: string }>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return runner.pipeUIMessageStream(stream, { maxPending: 64 });
}

/** The text of each message, as a `useChat` app would render its parts. */
export function texts(messages: readonly UIMessage[]): string[] {
  return messages.map((m) => m.parts.map((part) => (part.type === 'text' ? part.text : '')).join(''));
}

export function followMessages(url: string, token: string, buildId: string): () => readonly UIMessage[] {
  const watch = watchBuild({ url, token, buildId, onMessages: (messages, seq) => void [messages.length, seq] });
  return () => watch.messages;
}

export function useMessages(url: string, token: string, buildId: string): readonly UIMessage[] {
  return useBuild(buildId, { url, token }).messages;
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

/** The log viewer's pieces: lines by number around a viewport, rendered as a terminal shows them. */
export function showLog(url: string, token: string, buildId: string, scroller: HTMLElement): () => void {
  const lines: LogLines = new LogLines({ url, token, buildId, onChange: () => rows.invalidate() });
  const rows = new VirtualRows({
    scroller,
    rowHeight: 20,
    render: (index, row) => {
      const entry: LogLineEntry | undefined = lines.get(index + 1);
      if (entry) row.appendChild(renderTerminalLine(document, entry.line));
    },
    onRange: (first, last) => lines.want(first + 1, last + 1),
  });
  lines.setTotal(1000);
  rows.setCount(1000);
  void stripAnsi('\x1b[31mred\x1b[0m');
  return () => lines.close();
}
