// What watchBuild takes and gives: its options, checked before anything connects, and the
// watch it returns (PROTOCOL §State, §UI messages, §SSE).
import type { BuildState } from '../protocol/build-state.js';
import { BUILD_ID_PATTERN } from '../protocol/limits.js';
import type { UIMessage } from '../protocol/ui-message.js';
import type { Build, LogEvent, RunnerPresence } from '../protocol/wire-types.js';
import { checkTransportOptions, type TransportOptions } from './transport.js';
import { checkReconnectOptions, type ReconnectOptions, type WatchStatus } from './watch-status.js';

export interface WatchBuildOptions<M = UIMessage> extends TransportOptions, ReconnectOptions {
  readonly buildId: string;
  /** After the snapshot and after every applied run of events, with the seq the state is at. */
  readonly onState?: (state: BuildState, seq: number) => void;
  /**
   * Fold the build's AI SDK UIMessages too (one more request on load). @default true
   */
  readonly messages?: boolean;
  /** After the messages snapshot and after every run of events that changed them, with the seq they are at. */
  readonly onMessages?: (messages: readonly M[], seq: number) => void;
  /** Each event applied after the snapshot, in seq order, exactly once. */
  readonly onEvent?: (event: LogEvent) => void;
  readonly onStatus?: (status: WatchStatus) => void;
  /** The build's record, each time the watcher reads it (on start and when probing after an error). */
  readonly onBuild?: (build: Build) => void;
  /**
   * The runner's presence whenever a newer report arrives — with the build record, then from
   * the stream's `event: runner` frames. Describe it with `describeRunner`.
   */
  readonly onRunner?: (runner: RunnerPresence | null) => void;
  /** Events per JSON read while repairing a gap. @default 1000 */
  readonly repairPageEvents?: number;
}

export interface WatchStats {
  /** The seq of the /state snapshot the watch started from. */
  snapshotSeq: number;
  /** Event frames that arrived over streams (duplicates included). */
  streamEvents: number;
  /** Frames ignored because their seq was already applied. */
  duplicates: number;
  /** Events read from the JSON endpoint to fill gaps. */
  repairedEvents: number;
  /** EventSource objects this watcher created (the browser's own reconnects are not counted). */
  streamsOpened: number;
  /** Streams closed because nothing, not even a ping, arrived for two ping intervals. */
  deadStreams: number;
}

export interface BuildWatch<M = UIMessage> {
  readonly buildId: string;
  /** The seq the state is folded up to. */
  readonly seq: number;
  readonly state: BuildState;
  /**
   * The build's UIMessages, as AI SDK 7.x's readUIMessageStream assembles them (`[]` until
   * loaded, and with `messages: false`). `M` names your app's UIMessage type; runlog does not
   * check it.
   */
  readonly messages: readonly M[];
  readonly status: WatchStatus;
  /** The runner's latest presence (null before its first contact or before the build was read). */
  readonly runner: RunnerPresence | null;
  readonly stats: Readonly<WatchStats>;
  /** Stops watching: closes the stream, cancels timers and requests. */
  close(): void;
}

export const WatchBuildDefaults = {
  repairPageEvents: 1000, // a gap is normally a handful of events; 1000 bounds one read's size
} as const;

/** Throws a TypeError naming the first bad option, before anything connects. */
export function checkWatchBuildOptions<M>(options: WatchBuildOptions<M>): void {
  checkTransportOptions(options);
  checkReconnectOptions(options);
  if (typeof options.buildId !== 'string' || !BUILD_ID_PATTERN.test(options.buildId)) {
    throw new TypeError(`Expected \`buildId\` to match ${BUILD_ID_PATTERN}, got ${JSON.stringify(options.buildId)}`);
  }
  const page = options.repairPageEvents ?? WatchBuildDefaults.repairPageEvents;
  if (!Number.isInteger(page) || page < 1 || page > 10_000) {
    throw new TypeError(`Expected \`repairPageEvents\` to be an integer 1–10000, got ${page}`);
  }
  if (options.messages !== undefined && typeof options.messages !== 'boolean') {
    throw new TypeError(`Expected \`messages\` to be a boolean, got ${JSON.stringify(options.messages)}`);
  }
  for (const name of ['onState', 'onMessages', 'onEvent', 'onStatus', 'onBuild', 'onRunner'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`Expected \`${name}\` to be a function`);
  }
}
