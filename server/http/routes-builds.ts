// Builds and tokens (PROTOCOL §Builds, §Auth `POST /v1/tokens`).
import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import { CreateBuildRequestSchema, CreateTokenRequestSchema, type CreateBuildResponse } from '../../protocol/schemas.js';
import { ReadDefaults } from '../../protocol/limits.js';
import { assertGeneration, authorize } from '../auth/permissions.js';
import { parseScope, type Scope } from '../auth/tokens.js';
import { ProblemError } from '../errors.js';
import type { BuildRecord } from '../log/log-store.js';
import type { AppDeps, AppEnv } from './app-env.js';
import { toBuild } from './build-view.js';
import { buildIdParam, integerParam, invalidParameter, readJsonBody, stringParam } from './request-input.js';
import { watchBuilds } from './watch-builds.js';
import { zodProblem } from './zod-problem.js';

/** The longest lifetime `POST /v1/tokens` grants. */
const MAX_TOKEN_TTL_SECONDS = 365 * 24 * 3600;

export function registerBuildRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  const { engine, config, signer, presence } = deps;

  const issue = (scope: Scope, build: BuildRecord | undefined, ttlSeconds = config.tokenTtlSeconds) => {
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    return { token: signer.sign(scope, expiresAt, build?.generation), expiresAt };
  };

  app.post('/v1/tokens', async (c) => {
    authorize(c.get('principal'), 'admin');
    const parsed = CreateTokenRequestSchema.safeParse(await readJsonBody(c, config.limits.maxBodyBytes));
    if (!parsed.success) throw zodProblem(parsed.error);
    const scope = parseScope(parsed.data.scope);
    if (!scope) throw new ProblemError('invalid_request', 'scope must be "read:*", "read:<buildId>" or "append:<buildId>".', { extra: { field: 'scope' } });
    const ttl = parsed.data.ttlSeconds ?? config.tokenTtlSeconds;
    if (ttl > MAX_TOKEN_TTL_SECONDS) throw new ProblemError('invalid_request', `ttlSeconds: at most ${MAX_TOKEN_TTL_SECONDS}.`, { extra: { field: 'ttlSeconds' } });
    const build = scope.kind === 'read-all' ? undefined : await engine.getBuild(scope.buildId);
    const { token, expiresAt } = issue(scope, build, ttl);
    return c.json({ token, scope: parsed.data.scope, expiresAt: expiresAt.toISOString() }, 201);
  });

  app.post('/v1/builds', async (c) => {
    authorize(c.get('principal'), 'admin');
    const parsed = CreateBuildRequestSchema.safeParse(await readJsonBody(c, config.limits.maxBodyBytes));
    if (!parsed.success) throw zodProblem(parsed.error);
    const buildId = parsed.data.buildId ?? newBuildId();
    const { build, created } = await engine.createBuild({
      buildId,
      generation: randomBytes(12).toString('base64url'),
      meta: parsed.data.meta ?? {},
    });
    const body: CreateBuildResponse = {
      build: toBuild(build, created ? null : await presence.of(buildId)),
      tokens: {
        runner: issue({ kind: 'append', buildId }, build).token,
        viewer: issue({ kind: 'read', buildId }, build).token,
      },
    };
    return c.json(body, created ? 201 : 200);
  });

  app.get('/v1/builds', async (c) => {
    authorize(c.get('principal'), 'list');
    const limit = integerParam(c, 'limit', 1, config.limits.maxListLimit, ReadDefaults.listLimit);
    const cursor = stringParam(c, 'cursor');
    const beforeOrder = cursor === undefined ? undefined : decodeListCursor(cursor);
    const watch = stringParam(c, 'watch');
    if (watch !== undefined && watch !== 'true' && watch !== 'false') throw invalidParameter('watch', 'must be true or false');
    const page = await engine.store.listBuilds(limit, beforeOrder);
    const runners = await presence.ofMany(page.map((b) => b.buildId));
    if (watch === 'true') return watchBuilds(c, deps, page, runners);
    const last = page.at(-1);
    return c.json({
      builds: page.map((b) => toBuild(b, runners.get(b.buildId) ?? null)),
      next: page.length === limit && last ? encodeListCursor(last.listOrder) : null,
    });
  });

  app.get('/v1/builds/:buildId', async (c) => {
    const principal = c.get('principal');
    authorize(principal, 'read-build', c.req.param('buildId'));
    const build = await engine.getBuild(buildIdParam(c));
    assertGeneration(principal, build.generation);
    return c.json(toBuild(build, await presence.of(build.buildId)));
  });

  app.delete('/v1/builds/:buildId', async (c) => {
    authorize(c.get('principal'), 'admin');
    await engine.deleteBuild(buildIdParam(c));
    return c.body(null, 204);
  });
}

function newBuildId(): string {
  return `b-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function encodeListCursor(listOrder: number): string {
  return Buffer.from(`o:${listOrder}`).toString('base64url');
}

function decodeListCursor(cursor: string): number {
  const match = /^o:(0|[1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw invalidParameter('cursor', 'is not a cursor this server gave out');
  return Number(match[1]);
}
