// PROTOCOL request and response bodies as zod schemas: the server parses requests with
// them, clients parse answers with them, and openapi.yaml says the same in JSON Schema.
// Each schema infers exactly its plain type in wire-types.ts (checked below at compile time).
import * as z from 'zod';
import {
  BUILD_ID_PATTERN,
  EVENT_TYPE_PATTERN,
  HEARTBEAT_INTERVAL_MAX_MS,
  HEARTBEAT_INTERVAL_MIN_MS,
  MAX_SEQ,
  RUNNER_HOST_MAX_CHARS,
  RUNNER_VERSION_MAX_CHARS,
} from './limits.js';
import type * as Wire from './wire-types.js';

export type * from './wire-types.js';

/** `true` when `A` and `B` are the same type; `Check` compiles only for `true`. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Check<T extends true> = T;

export const BuildIdSchema = z.string().regex(BUILD_ID_PATTERN, 'buildId must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$');
export const EventTypeSchema = z.string().regex(EVENT_TYPE_PATTERN, 'type must match ^[A-Za-z][A-Za-z0-9._:-]{0,63}$');
export const SeqSchema = z.number().int().min(1).max(MAX_SEQ);
export const AckSchema = z.number().int().min(0).max(MAX_SEQ);
export const EpochSchema = z.number().int().min(0).max(MAX_SEQ);
/** ISO 8601 date-time, as the runner's clock wrote it; stored and returned verbatim. */
export const EventTimeSchema = z.iso.datetime({ offset: true });

/** One event as the runner sends it. `data` is any JSON value (size and depth are checked separately). */
export const EventInputSchema = z.strictObject({
  type: EventTypeSchema,
  data: z.unknown().optional(),
  time: EventTimeSchema.nullable().optional(),
});

export const AppendRequestSchema = z.strictObject({
  from: SeqSchema,
  events: z.array(EventInputSchema).min(1),
  final: z.boolean().optional(),
  epoch: EpochSchema.optional(),
});

export const MissingRangeSchema = z.tuple([SeqSchema, SeqSchema]);
export const AppendResponseSchema = z.object({
  ack: AckSchema,
  final: SeqSchema.nullable(),
  missing: z.array(MissingRangeSchema),
  digest: z.string(),
});

/** One committed event as readers receive it. */
export const LogEventSchema = z.object({
  seq: SeqSchema,
  type: z.string(),
  data: z.unknown(),
  time: z.string().nullable(),
  receivedAt: z.string(),
});

export const RunnerConnectionStateSchema = z.enum(['online', 'backoff', 'offline']);
export const RunnerBacklogSchema = z.object({
  events: z.number().int().min(0).max(MAX_SEQ),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
/**
 * A runner's report of itself. Not strict: members a later runner adds are dropped, so a newer
 * runner never has its appends refused by an older server over its `Runlog-Runner` header.
 */
export const RunnerReportSchema = z.object({
  backlog: RunnerBacklogSchema,
  state: RunnerConnectionStateSchema,
  host: z.string().min(1).max(RUNNER_HOST_MAX_CHARS),
  pid: z.number().int().min(0).max(2 ** 32 - 1),
  version: z.string().min(1).max(RUNNER_VERSION_MAX_CHARS),
  intervalMs: z.number().int().min(HEARTBEAT_INTERVAL_MIN_MS).max(HEARTBEAT_INTERVAL_MAX_MS),
});
export const RunnerPresenceSchema = z.object({
  lastSeenAt: z.string(),
  backlog: RunnerBacklogSchema,
  state: RunnerConnectionStateSchema,
  host: z.string(),
  pid: z.number().int().min(0),
  version: z.string(),
  intervalMs: z.number().int().min(1),
});
export const HeartbeatRequestSchema = z.strictObject({
  epoch: EpochSchema.optional(),
  runner: RunnerReportSchema,
});
export const RunnerFrameSchema = z.object({ buildId: z.string(), runner: RunnerPresenceSchema });

export const BuildStatusSchema = z.enum(['running', 'complete']);
export const BuildSchema = z.object({
  buildId: z.string(),
  meta: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  ack: AckSchema,
  final: SeqSchema.nullable(),
  status: BuildStatusSchema,
  lastEventAt: z.string().nullable(),
  epoch: EpochSchema,
  digest: z.string(),
  runner: RunnerPresenceSchema.nullable(),
});

export const CreateBuildRequestSchema = z.strictObject({
  buildId: BuildIdSchema.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});

export const CreateBuildResponseSchema = z.object({
  build: BuildSchema,
  tokens: z.object({ runner: z.string(), viewer: z.string() }),
});

export const BuildListSchema = z.object({
  builds: z.array(BuildSchema),
  next: z.string().nullable(),
});

export const EventsPageSchema = z.object({
  events: z.array(LogEventSchema),
  ack: AckSchema,
  final: SeqSchema.nullable(),
  next: AckSchema,
});

export const CreateTokenRequestSchema = z.strictObject({
  scope: z.string(),
  ttlSeconds: z.number().int().min(1).optional(),
});

export const TokenResponseSchema = z.object({
  token: z.string(),
  scope: z.string(),
  expiresAt: z.string(),
});

/** RFC 9457 problem details; `code` is stable, extra members may follow. */
export const ProblemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string().optional(),
});

export const EndFrameSchema = z.object({ final: SeqSchema });
export const DeletedFrameSchema = z.object({ buildId: z.string() });


// Compile-time proof that wire-types.ts and these schemas agree.
export type SchemasMatchWireTypes = [
  Check<Same<z.infer<typeof EventInputSchema>, Wire.EventInput>>,
  Check<Same<z.infer<typeof AppendRequestSchema>, Wire.AppendRequest>>,
  Check<Same<z.infer<typeof AppendResponseSchema>, Wire.AppendResponse>>,
  Check<Same<z.infer<typeof LogEventSchema>, Wire.LogEvent>>,
  Check<Same<z.infer<typeof BuildSchema>, Wire.Build>>,
  Check<Same<z.infer<typeof RunnerReportSchema>, Wire.RunnerReport>>,
  Check<Same<z.infer<typeof RunnerPresenceSchema>, Wire.RunnerPresence>>,
  Check<Same<z.infer<typeof HeartbeatRequestSchema>, Wire.HeartbeatRequest>>,
  Check<Same<z.infer<typeof RunnerFrameSchema>, Wire.RunnerFrame>>,
  Check<Same<z.infer<typeof CreateBuildRequestSchema>, Wire.CreateBuildRequest>>,
  Check<Same<z.infer<typeof CreateBuildResponseSchema>, Wire.CreateBuildResponse>>,
  Check<Same<z.infer<typeof BuildListSchema>, Wire.BuildList>>,
  Check<Same<z.infer<typeof EventsPageSchema>, Wire.EventsPage>>,
  Check<Same<z.infer<typeof CreateTokenRequestSchema>, Wire.CreateTokenRequest>>,
  Check<Same<z.infer<typeof TokenResponseSchema>, Wire.TokenResponse>>,
  Check<Same<z.infer<typeof ProblemSchema>, Wire.Problem>>,
  Check<Same<z.infer<typeof EndFrameSchema>, Wire.EndFrame>>,
  Check<Same<z.infer<typeof DeletedFrameSchema>, Wire.DeletedFrame>>,
];
