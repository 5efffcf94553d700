// The browser library of runlog (PROTOCOL §SSE, §State, §Build list live): watch one build's
// state as it streams, or the list of builds. Browser ESM, no Node APIs; Node passes the
// `eventsource` package's EventSource.
export { watchBuild } from './watch-build.js';
export { WatchBuildDefaults, type BuildWatch, type WatchBuildOptions, type WatchStats } from './watch-build-options.js';
export { watchBuilds, compareNewestFirst, WatchBuildsDefaults, type BuildsWatch, type WatchBuildsOptions } from './watch-builds.js';
export { ReconnectDefaults, reconnectDelayMs, type ReconnectOptions, type WatchStatus, type WatchStatusKind } from './watch-status.js';
export { WebClientError, isFinalStatus, type WebClientErrorCode } from './errors.js';
export { describeRunner, formatQuiet, silentAfterMs, type RunnerDescription, type RunnerPresenceKind } from './runner-presence.js';
export type { EventSourceConstructor, EventSourceLike, FetchLike, TransportOptions } from './transport.js';
export type { BuildState, Tool, ToolApproval, PendingApproval, SourceEntry, FileEntry, LogLine } from '../protocol/build-state.js';
export type * from '../protocol/ui-message.js';
export type { Build, LogEvent, RunnerBacklog, RunnerConnectionState, RunnerPresence } from '../protocol/wire-types.js';
