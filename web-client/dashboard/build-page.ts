// The build page (/builds/:buildId): watches one build and renders its state as it streams —
// summary, the runner's presence, connection, errors, assistant text and reasoning, tool calls,
// output, counts, data.
// Renders at most once per animation frame, however fast events arrive.
import type { BuildState } from '../../protocol/build-state.js';
import type { RunnerPresence } from '../../protocol/wire-types.js';
import { watchBuild } from '../watch-build.js';
import type { BuildWatch } from '../watch-build-options.js';
import type { WatchStatus } from '../watch-status.js';
import { ApprovalBlock } from './approval-block.js';
import { BuildSummary } from './build-summary.js';
import { CountsSection, DataSection, ErrorsSection, TextSection } from './build-sections.js';
import { ConnectionIndicator, describeError } from './connection-indicator.js';
import { h, replaceChildren } from './dom.js';
import { LogPanel } from './log-panel.js';
import { SourcesFilesSection } from './sources-files.js';
import { RunnerStatus } from './runner-status.js';
import { tokenForm } from './token-form.js';
import { ToolTimeline } from './tool-timeline.js';

export interface PageContext {
  readonly origin: string;
  readonly token: string;
  /** Start again (after a new token was entered). */
  readonly restart: () => void;
}

export interface Page {
  close(): void;
}

export function mountBuildPage(root: HTMLElement, buildId: string, ctx: PageContext): Page {
  const indicator = new ConnectionIndicator();
  const runnerStatus = new RunnerStatus({ detail: true, testId: 'runner-status' });
  const summary = new BuildSummary(runnerStatus.el);
  const approvals = new ApprovalBlock();
  const errors = new ErrorsSection();
  const refs = new SourcesFilesSection();
  const text = new TextSection('Assistant', 'text');
  const reasoning = new TextSection('Reasoning', 'reasoning');
  const tools = new ToolTimeline();
  const log = new LogPanel({ origin: ctx.origin, token: ctx.token, buildId });
  const counts = new CountsSection();
  const data = new DataSection();
  const notice = h('div', { class: 'notice-slot' });

  replaceChildren(
    root,
    h(
      'header',
      { class: 'top' },
      h('a', { class: 'back', attrs: { href: '/' } }, '← Builds'),
      h('h1', null, h('span', { class: 'muted' }, 'build '), h('code', { class: 'build-id' }, buildId)),
      indicator.el,
    ),
    h(
      'main',
      { class: 'build-page' },
      notice,
      summary.el,
      approvals.el,
      errors.el,
      log.el,
      h('div', { class: 'columns' }, h('div', { class: 'col-main' }, text.el, reasoning.el, tools.el, refs.el), h('div', { class: 'col-side' }, counts.el, data.el)),
    ),
  );
  document.title = `${buildId} · runlog`;

  let latest: { state: BuildState; seq: number } | undefined;
  let frame: number | undefined;
  let watch: BuildWatch | undefined;
  const render = () => {
    frame = undefined;
    if (latest === undefined) return;
    const { state, seq } = latest;
    summary.render(state, seq);
    approvals.render(state.approvals);
    errors.render(state.errors);
    text.render(state.texts);
    reasoning.render(state.reasoning);
    tools.render(state.tools);
    refs.render(state.sources, state.files);
    log.render(state);
    counts.render(state.counts);
    data.render(state.data);
    if (watch) summary.renderStats(watch.stats);
    document.title = `${state.approvals.length > 0 ? 'waiting for approval' : state.status} · ${buildId} · runlog`;
  };

  // The runner's words: its latest report, and whether the build is complete (then "finished").
  let runner: RunnerPresence | null = null;
  let complete = false;
  const showRunner = () => runnerStatus.set(runner, complete);

  const onStatus = (status: WatchStatus) => {
    indicator.set(status);
    if (status.kind === 'complete' && !complete) {
      complete = true;
      showRunner();
    }
    root.dataset.conn = status.kind;
    if (status.kind !== 'error') return;
    replaceChildren(
      notice,
      status.code === 'unauthorized' || status.code === 'forbidden'
        ? tokenForm(`This page's token does not work: ${describeError(status)}.`, ctx.restart)
        : h('p', { class: 'notice' }, status.status === 404 ? `There is no build named “${buildId}”.` : `Stopped: ${describeError(status)}.`),
    );
  };

  watch = watchBuild({
    url: ctx.origin,
    buildId,
    token: ctx.token,
    messages: false, // the page renders the BuildState; UIMessages are for apps built on useChat components
    onStatus,
    onEvent: (event) => log.onEvent(event),
    onBuild: (build) => {
      summary.renderBuild(build);
      if (build.status === 'complete' && !complete) {
        complete = true;
        showRunner();
      }
    },
    onRunner: (latest) => {
      runner = latest;
      showRunner();
    },
    onState: (state, seq) => {
      latest = { state, seq };
      frame ??= requestAnimationFrame(render);
    },
  });

  const ticker = setInterval(() => {
    summary.tick();
    approvals.tick();
    indicator.tick();
    runnerStatus.tick();
  }, 1000);

  return {
    close() {
      clearInterval(ticker);
      if (frame !== undefined) cancelAnimationFrame(frame);
      watch?.close();
      log.close();
    },
  };
}
