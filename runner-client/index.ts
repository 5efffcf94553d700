// runner-client: the library a build process embeds to write its event log to runlog.
export { openRunner, Runner, type EmitOptions, type FinishResult, type RunnerStats, type RunnerStatus } from './runner.js';
export { RunnerDefaults, type Durability, type FetchLike, type RunnerOptions } from './options.js';
export type { ConnectionState } from './uploader.js';
export { PipeUIMessageStreamDefaults, type PipeUIMessageStreamOptions, type PipeUIMessageStreamResult, type UIMessageChunkLike } from './ui-message-pipe.js';
export type { EventTime } from './event-input.js';
export { Backoff, BackoffDefaults, parseRetryAfter, type BackoffOptions } from './backoff.js';
export {
  IntegrityError,
  InvalidEventError,
  InvalidOptionError,
  LocalErrorCodes,
  RetryableError,
  RunnerError,
  SpoolError,
  UploadRejectedError,
  type LocalErrorCode,
  type RunnerErrorCode,
} from './errors.js';
