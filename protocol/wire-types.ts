// PROTOCOL request and response bodies as plain TypeScript types. Clients (runner, web) and
// their published type declarations import these, so a package's `.d.ts` never needs zod;
// schemas.ts checks at compile time that each zod schema infers exactly the type here.

/** One event as the runner sends it (PROTOCOL §Append). */
export interface EventInput {
  type: string;
  /** Any JSON value; absent means `null`. */
  data?: unknown;
  /** ISO 8601, the runner's clock; absent means `null`. */
  time?: string | null | undefined;
}

export interface AppendRequest {
  from: number;
  events: EventInput[];
  final?: boolean | undefined;
  epoch?: number | undefined;
}

/** Inclusive `[a, b]` range of seqs the server is missing. */
export type MissingRange = [number, number];

export interface AppendResponse {
  ack: number;
  final: number | null;
  missing: MissingRange[];
  digest: string;
}

/** One committed event as readers receive it. */
export interface LogEvent {
  seq: number;
  type: string;
  data: unknown;
  time: string | null;
  receivedAt: string;
}

export type BuildStatusName = 'running' | 'complete';

export interface Build {
  buildId: string;
  meta: Record<string, unknown>;
  createdAt: string;
  ack: number;
  final: number | null;
  status: BuildStatusName;
  lastEventAt: string | null;
  epoch: number;
  digest: string;
  /** The runner's latest report, as the server last stored it; null before its first contact. */
  runner: RunnerPresence | null;
}

/** How the runner sees its connection to the server (`@runlog/runner`'s status state). */
export type RunnerConnectionState = 'online' | 'backoff' | 'offline';

/** Events the runner holds that the server has not acknowledged, and their bytes on its disk. */
export interface RunnerBacklog {
  events: number;
  bytes: number;
}

/** What a runner says of itself (PROTOCOL §Runner presence): a heartbeat's `runner`, or an append's `Runlog-Runner` header. */
export interface RunnerReport {
  backlog: RunnerBacklog;
  state: RunnerConnectionState;
  host: string;
  pid: number;
  version: string;
  /** The runner's heartbeat interval: readers call it silent after RUNNER_SILENT_AFTER_INTERVALS of these. */
  intervalMs: number;
}

/** `Build.runner`: the latest report, and when the server received it. */
export interface RunnerPresence {
  lastSeenAt: string;
  backlog: RunnerBacklog;
  state: RunnerConnectionState;
  host: string;
  pid: number;
  version: string;
  intervalMs: number;
}

/** `POST /v1/builds/{buildId}/heartbeat`. */
export interface HeartbeatRequest {
  /** The runner's epoch: an older one than the build's is `403 stale_epoch`. Absent means 0. */
  epoch?: number | undefined;
  runner: RunnerReport;
}

/** `event: runner` frame of a build stream and of the live build list. */
export interface RunnerFrame {
  buildId: string;
  runner: RunnerPresence;
}

export interface CreateBuildRequest {
  buildId?: string | undefined;
  meta?: Record<string, unknown> | undefined;
}

export interface CreateBuildResponse {
  build: Build;
  tokens: { runner: string; viewer: string };
}

export interface BuildList {
  builds: Build[];
  next: string | null;
}

export interface EventsPage {
  events: LogEvent[];
  ack: number;
  final: number | null;
  next: number;
}

export interface CreateTokenRequest {
  scope: string;
  ttlSeconds?: number | undefined;
}

export interface TokenResponse {
  token: string;
  scope: string;
  expiresAt: string;
}

/** RFC 9457 problem details; `code` is stable, extra members may follow. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string | undefined;
  [extra: string]: unknown;
}

/** `event: end` frame of a build stream. */
export interface EndFrame {
  final: number;
}

/** `event: deleted` frame of the live build list. */
export interface DeletedFrame {
  buildId: string;
}
