// `@runlog/web/react`: the watchers as React hooks. Each hook opens its watcher in an effect,
// mirrors every callback into component state, and closes the watcher when the component
// unmounts or an option that shapes the connection changes. Options are checked during
// render, so a bad one throws a TypeError at once instead of at the first event.
import { useEffect, useState } from 'react';
import type { BuildState } from '../protocol/build-state.js';
import type { UIMessage } from '../protocol/ui-message.js';
import type { Build, RunnerPresence } from '../protocol/wire-types.js';
import type { TransportOptions } from './transport.js';
import { watchBuild } from './watch-build.js';
import { checkWatchBuildOptions } from './watch-build-options.js';
import { checkWatchBuildsOptions, watchBuilds } from './watch-builds.js';
import type { ReconnectOptions, WatchStatus } from './watch-status.js';

/** Where and how to connect: the server's origin, a read token, and optional overrides. */
export interface UseWatchOptions extends TransportOptions, ReconnectOptions {}

export interface BuildView<M = UIMessage> {
  /** The build's folded state; null until the first snapshot arrives. */
  readonly state: BuildState | null;
  /**
   * The build's AI SDK UIMessages as they stream — what `useChat` gives for a local chat, so the
   * same `messages.map(m => <Message …/>)` renders a remote build. `[]` until loaded.
   */
  readonly messages: readonly M[];
  /** The seq `state` is folded up to. */
  readonly seq: number;
  readonly status: WatchStatus;
  /** The build's record as last read (on start and after errors); null until then. */
  readonly build: Build | null;
  /** The runner's presence, kept current by the stream; null before its first contact. Describe it with `describeRunner`. */
  readonly runner: RunnerPresence | null;
}

export interface BuildsView {
  /** Newest first. */
  readonly builds: readonly Build[];
  readonly status: WatchStatus;
}

const CONNECTING: WatchStatus = { kind: 'connecting' };
const NO_MESSAGES: readonly never[] = [];
const INITIAL_BUILD_VIEW: BuildView<never> = { state: null, messages: NO_MESSAGES, seq: 0, status: CONNECTING, build: null, runner: null };
const INITIAL_BUILDS_VIEW: BuildsView = { builds: [], status: CONNECTING };

/** The options that shape a connection: when any of them changes, the hook opens a new watcher. */
const CONNECTION_KEYS = ['url', 'token', 'EventSource', 'fetch', 'reconnectBaseMs', 'reconnectMaxMs', 'requestTimeoutMs'] as const;

/** Only the connection options (undefined ones take the watchers' defaults). */
function connectionOf({ url, token, EventSource, fetch, reconnectBaseMs, reconnectMaxMs, requestTimeoutMs }: UseWatchOptions): UseWatchOptions {
  return { url, token, EventSource, fetch, reconnectBaseMs, reconnectMaxMs, requestTimeoutMs };
}

/**
 * Follows one build live (`watchBuild`): state, UIMessages, seq, connection status and the build
 * record. `M` names your app's UIMessage type (`useBuild<MyUIMessage>(…)`); runlog does not check it.
 */
export function useBuild<M = UIMessage>(buildId: string, options: UseWatchOptions): BuildView<M> {
  checkWatchBuildOptions({ ...options, buildId });
  const [view, setView] = useState<BuildView<M>>(INITIAL_BUILD_VIEW);
  useEffect(() => {
    setView(INITIAL_BUILD_VIEW);
    const watch = watchBuild<M>({
      ...connectionOf(options),
      buildId,
      onState: (state, seq) => setView((v) => ({ ...v, state, seq })),
      onMessages: (messages) => setView((v) => ({ ...v, messages })),
      onStatus: (status) => setView((v) => ({ ...v, status })),
      onBuild: (build) => setView((v) => ({ ...v, build })),
      onRunner: (runner) => setView((v) => ({ ...v, runner })),
    });
    return () => watch.close();
  }, [buildId, ...CONNECTION_KEYS.map((key) => options[key])]);
  return view;
}

/** Follows the build list live (`watchBuilds`); needs a `read:*` token (never the admin token: it would go into a URL). */
export function useBuilds(options: UseWatchOptions): BuildsView {
  checkWatchBuildsOptions({ ...options, onChange: () => {} });
  const [view, setView] = useState<BuildsView>(INITIAL_BUILDS_VIEW);
  useEffect(() => {
    setView(INITIAL_BUILDS_VIEW);
    const watch = watchBuilds({
      ...connectionOf(options),
      onChange: (builds) => setView((v) => ({ ...v, builds })),
      onStatus: (status) => setView((v) => ({ ...v, status })),
    });
    return () => watch.close();
  }, CONNECTION_KEYS.map((key) => options[key]));
  return view;
}

export type { BuildState, Build, RunnerPresence, UIMessage, WatchStatus };
