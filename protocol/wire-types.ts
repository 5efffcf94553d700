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
