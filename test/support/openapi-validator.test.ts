// The contract checker checks what it claims, and openapi.yaml agrees with protocol/ (limits,
// patterns, problem codes), so the document cannot drift from the code that enforces it.
import { describe, expect, it } from 'vitest';
import { BUILD_ID_PATTERN, EVENT_TYPE_PATTERN, LimitDefaults, MAX_SEQ, ReadDefaults } from '../../protocol/limits.js';
import { ProblemCodes, problemType, type ProblemCode } from '../../protocol/problem-codes.js';
import { AppendRequestSchema, CreateBuildRequestSchema, EventTimeSchema } from '../../protocol/schemas.js';
import {
  HTTP_METHODS,
  assertMatchesSchema,
  assertMatchesSpec,
  loadOpenApi,
  resolvePointer,
  schemaValidator,
  specOperations,
} from './openapi-validator.js';

const JSON_HEADERS = { 'content-type': 'application/json; charset=UTF-8' };
const PROBLEM_HEADERS = { 'content-type': 'application/problem+json' };

const build = {
  buildId: 'build-42',
  meta: { repo: 'acme/web' },
  createdAt: '2026-11-27T18:00:00.000Z',
  ack: 3,
  final: null,
  status: 'running',
  lastEventAt: '2026-11-27T18:00:01.000Z',
  epoch: 0,
  digest: 'a'.repeat(64),
  runner: null,
};

function problem(code: ProblemCode, extra: Record<string, unknown> = {}) {
  return { type: problemType(code), title: code, status: ProblemCodes[code], code, detail: 'for people', ...extra };
}

type Json = Record<string, unknown>;
const obj = (value: unknown) => value as Json;

/** Every value in the document with the JSON pointer where it sits. */
function* walk(node: unknown, pointer = ''): Generator<[unknown, string]> {
  yield [node, pointer];
  if (typeof node !== 'object' || node === null) return;
  for (const [key, child] of Object.entries(node)) {
    yield* walk(child, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
  }
}

/** A `$ref`'s target in openapi.yaml, or the node itself. */
const deref = (node: unknown): Json => {
  const ref = obj(node).$ref;
  return obj(typeof ref === 'string' ? resolvePointer(loadOpenApi(), ref.slice(1)) : node);
};

/** The `<Code>Problem` schemas a problem response admits: its schema, or each of its `oneOf` branches. */
function problemSchemasOf(response: Json): Json[] {
  const schema = deref(obj(obj(response.content)['application/problem+json']).schema);
  return ((schema.oneOf as unknown[] | undefined) ?? [schema]).map(deref);
}

/** The codes a problem response admits: `properties.code.const` of each of its schemas. */
function problemCodesOf(response: Json): string[] {
  return problemSchemasOf(response)
    .map((schema) => obj(obj(schema.properties ?? {}).code ?? {}).const)
    .filter((code): code is string => typeof code === 'string');
}

describe('assertMatchesSpec', () => {
  it('accepts a valid Build answer, whatever the query string', () => {
    expect(() =>
      assertMatchesSpec('GET', '/v1/builds/build-42?token=abc', { status: 200, headers: JSON_HEADERS, body: build }),
    ).not.toThrow();
  });

  it('accepts a Headers object and a JSON body given as text', () => {
    const headers = new Headers({ 'Content-Type': 'application/json' });
    expect(() => assertMatchesSpec('get', '/v1/builds/b1', { status: 200, headers, body: JSON.stringify(build) })).not.toThrow();
  });

  it('rejects an append answer without ack', () => {
    const body = { final: null, missing: [], digest: '' };
    expect(() => assertMatchesSpec('POST', '/v1/builds/b1/events', { status: 200, headers: JSON_HEADERS, body })).toThrow(
      /missingProperty="ack"/,
    );
    expect(() =>
      assertMatchesSpec('POST', '/v1/builds/b1/events', { status: 200, headers: JSON_HEADERS, body: { ...body, ack: 0 } }),
    ).not.toThrow();
  });

  it('rejects a missing range that is not an [a, b] pair', () => {
    const body = { ack: 3, final: null, missing: [[5]], digest: '' };
    expect(() => assertMatchesSpec('POST', '/v1/builds/b1/events', { status: 200, headers: JSON_HEADERS, body })).toThrow(
      /missing\/0/,
    );
  });

  it('rejects a status the operation does not document', () => {
    expect(() => assertMatchesSpec('GET', '/v1/builds/b1', { status: 418, headers: JSON_HEADERS, body: build })).toThrow(
      /status 418 is not documented for GET \/v1\/builds\/\{buildId\}/,
    );
    // 409 exists on append but not on read.
    const conflict = problem('seq_conflict', { seq: 4, ack: 3 });
    expect(() => assertMatchesSpec('GET', '/v1/builds/b1/events', { status: 409, headers: PROBLEM_HEADERS, body: conflict })).toThrow(
      /not documented/,
    );
  });

  it('rejects a content type the status does not document', () => {
    expect(() =>
      assertMatchesSpec('GET', '/v1/builds/b1', { status: 200, headers: { 'content-type': 'text/html' }, body: '<p>' }),
    ).toThrow(/Content-Type text\/html is not documented/);
    // Problems are application/problem+json, not application/json.
    expect(() =>
      assertMatchesSpec('GET', '/v1/builds/b1', { status: 404, headers: JSON_HEADERS, body: problem('build_not_found') }),
    ).toThrow(/Content-Type/);
  });

  it('rejects a problem code that belongs to another status or route', () => {
    expect(() =>
      assertMatchesSpec('GET', '/v1/builds/b1', { status: 404, headers: PROBLEM_HEADERS, body: problem('not_found') }),
    ).toThrow(/code/);
    expect(() =>
      assertMatchesSpec('GET', '/v1/builds/b1', { status: 404, headers: PROBLEM_HEADERS, body: problem('build_not_found') }),
    ).not.toThrow();
  });

  it("requires each code's own members: seq and ack on seq_conflict, ack and final on build_closed, epoch on stale_epoch", () => {
    const at = '/v1/builds/b1/events';
    const check = (status: number, body: unknown) => () => assertMatchesSpec('POST', at, { status, headers: PROBLEM_HEADERS, body });
    expect(check(409, problem('seq_conflict'))).toThrow(/missingProperty="seq"/);
    expect(check(409, problem('seq_conflict', { seq: 4 }))).toThrow(/missingProperty="ack"/);
    expect(check(409, problem('build_closed', { ack: 3 }))).toThrow(/missingProperty="final"/);
    expect(check(409, problem('gap_too_large'))).toThrow(/missingProperty="ack"/);
    expect(check(403, problem('stale_epoch'))).toThrow(/missingProperty="epoch"/);
    const ok: Array<[number, unknown]> = [
      [409, problem('seq_conflict', { seq: 4, ack: 3 })],
      [409, problem('build_closed', { ack: 3, final: 3 })],
      [409, problem('build_closed', { ack: 3, final: null })],
      [409, problem('gap_too_large', { ack: 3 })],
      [403, problem('stale_epoch', { epoch: 2 })],
      [403, problem('forbidden')],
    ];
    for (const [status, body] of ok) expect(check(status, body)).not.toThrow();
  });

  it('rejects a member the code does not document, and a problem without detail', () => {
    const at = '/v1/builds/b1/events';
    const check = (status: number, body: unknown) => () => assertMatchesSpec('POST', at, { status, headers: PROBLEM_HEADERS, body });
    expect(check(409, problem('gap_too_large', { ack: 3, final: 5 }))).toThrow(/must NOT have unevaluated properties/);
    expect(check(403, problem('forbidden', { epoch: 2 }))).toThrow(/must NOT have unevaluated properties/);
    expect(check(409, problem('seq_conflict', { seq: 4, ack: 3, detail: undefined }))).toThrow(/missingProperty="detail"/);
  });

  it('requires the documented headers: Retry-After on 503, ETag on /state, Allow on 405', () => {
    const unavailable = { status: 503, body: problem('overloaded') };
    expect(() => assertMatchesSpec('POST', '/v1/builds/b1/events', { ...unavailable, headers: PROBLEM_HEADERS })).toThrow(
      /Retry-After is missing/,
    );
    expect(() =>
      assertMatchesSpec('POST', '/v1/builds/b1/events', { ...unavailable, headers: { ...PROBLEM_HEADERS, 'retry-after': '1' } }),
    ).not.toThrow();
    expect(() => assertMatchesSpec('GET', '/v1/builds/b1/state', { status: 304, headers: {}, body: '' })).toThrow(/ETag/);
    expect(() => assertMatchesSpec('GET', '/v1/builds/b1/state', { status: 304, headers: { etag: '"kD3x_9-Q:3"' }, body: '' })).not.toThrow();
    // The seq alone is not a /state ETag: it would match a re-created build's (clarification (e)).
    expect(() => assertMatchesSpec('GET', '/v1/builds/b1/state', { status: 304, headers: { etag: '"3"' }, body: '' })).toThrow(
      /does not match/,
    );
    expect(() =>
      assertMatchesSpec('GET', '/v1/builds/b1/state', { status: 304, headers: { etag: 'W/3' }, body: undefined }),
    ).toThrow(/does not match/);
    const notAllowed = problem('method_not_allowed');
    expect(() => assertMatchesSpec('PUT', '/v1/builds/b1', { status: 405, headers: PROBLEM_HEADERS, body: notAllowed })).toThrow(
      /Allow/,
    );
    expect(() =>
      assertMatchesSpec('PUT', '/v1/builds/b1', { status: 405, headers: { ...PROBLEM_HEADERS, allow: 'GET, DELETE' }, body: notAllowed }),
    ).not.toThrow();
  });

  it('rejects a body on a status documented without one', () => {
    expect(() => assertMatchesSpec('DELETE', '/v1/builds/b1', { status: 204, headers: {}, body: undefined })).not.toThrow();
    expect(() => assertMatchesSpec('DELETE', '/v1/builds/b1', { status: 204, headers: JSON_HEADERS, body: build })).toThrow(
      /without a body/,
    );
  });

  it('lets an unknown path answer only 404 not_found', () => {
    expect(() => assertMatchesSpec('GET', '/v2/nothing', { status: 404, headers: PROBLEM_HEADERS, body: problem('not_found') })).not.toThrow();
    expect(() => assertMatchesSpec('GET', '/v2/nothing', { status: 200, headers: JSON_HEADERS, body: {} })).toThrow(/no path/);
    expect(() => assertMatchesSpec('GET', '/v2/nothing', { status: 404, headers: PROBLEM_HEADERS, body: problem('build_not_found') })).toThrow(
      /code/,
    );
  });

  it('lets an unknown method answer only 405 (or 401) on /v1 paths and only 404 elsewhere', () => {
    const allow = { ...PROBLEM_HEADERS, allow: 'GET, DELETE' };
    expect(() => assertMatchesSpec('PATCH', '/v1/builds/b1', { status: 405, headers: allow, body: problem('method_not_allowed') })).not.toThrow();
    expect(() => assertMatchesSpec('PATCH', '/v1/builds/b1', { status: 401, headers: PROBLEM_HEADERS, body: problem('unauthorized') })).not.toThrow();
    expect(() => assertMatchesSpec('PATCH', '/v1/builds/b1', { status: 404, headers: PROBLEM_HEADERS, body: problem('not_found') })).toThrow(
      /only 401 or 405/,
    );
    expect(() => assertMatchesSpec('PATCH', '/v1/builds/b1', { status: 200, headers: JSON_HEADERS, body: build })).toThrow(/405/);
    expect(() => assertMatchesSpec('POST', '/healthz', { status: 404, headers: PROBLEM_HEADERS, body: problem('not_found') })).not.toThrow();
    expect(() => assertMatchesSpec('POST', '/healthz', { status: 405, headers: allow, body: problem('method_not_allowed') })).toThrow(
      /only 404/,
    );
  });

  it('checks HEAD as a GET without a body', () => {
    expect(() => assertMatchesSpec('HEAD', '/v1/builds/b1', { status: 200, headers: JSON_HEADERS, body: '' })).not.toThrow();
    expect(() => assertMatchesSpec('HEAD', '/v1/builds/b1', { status: 200, headers: JSON_HEADERS, body: build })).toThrow(/without a body/);
    expect(() => assertMatchesSpec('HEAD', '/v1/builds/b1', { status: 200, headers: { 'content-type': 'text/html' }, body: '' })).toThrow(
      /Content-Type/,
    );
  });

  it('checks text answers by media type only', () => {
    const sse = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' };
    expect(() => assertMatchesSpec('GET', '/v1/builds/b1/stream?after=3', { status: 200, headers: sse, body: 'retry: 1500\n\n' })).not.toThrow();
    expect(() => assertMatchesSpec('GET', '/v1/builds?watch=true', { status: 200, headers: sse, body: '' })).not.toThrow();
    expect(() =>
      assertMatchesSpec('GET', '/metrics', { status: 200, headers: { 'content-type': 'text/plain; version=0.0.4' }, body: '# HELP' }),
    ).not.toThrow();
  });
});

describe('assertMatchesSchema', () => {
  it('applies the request rules: strict members, type pattern, RFC 3339 time with offset', () => {
    const event = { type: 'tool-input-available', data: { toolCallId: 'c1' }, time: '2026-11-27T18:00:00.000Z' };
    expect(() => assertMatchesSchema('AppendRequest', { from: 101, events: [event], final: false })).not.toThrow();
    expect(() => assertMatchesSchema('AppendRequest', { from: 1, events: [{ ...event, extra: 1 }] })).toThrow(/additionalProperty/);
    expect(() => assertMatchesSchema('AppendRequest', { from: 1, events: [{ ...event, type: '1bad' }] })).toThrow(/type/);
    expect(() => assertMatchesSchema('AppendRequest', { from: 1, events: [{ ...event, time: '2026-11-27T18:00:00' }] })).toThrow(
      /date-time/,
    );
    expect(() => assertMatchesSchema('AppendRequest', { from: 1, events: [] })).toThrow(/events/);
    expect(() => assertMatchesSchema('AppendRequest', { from: 0, events: [event] })).toThrow(/from/);
  });
});

describe('openapi.yaml and protocol/schemas.ts', () => {
  const accepts = (name: string, value: unknown) => {
    try {
      assertMatchesSchema(name, value);
      return true;
    } catch {
      return false;
    }
  };

  it('accept exactly the same event times', () => {
    const times = [
      '2026-11-27T18:00:00.000Z',
      '2026-11-27T18:00:00+01:00',
      '2026-11-27T18:00:00.123456789-05:30',
      '2026-11-27T18:00Z',
      '2026-11-27T18:00:00+0100',
      '2026-11-27T18:00:00+01',
      '2026-11-27t18:00:00z',
      '2026-11-27 18:00:00Z',
      '2026-11-27T18:00:00',
      '2026-02-30T18:00:00Z',
      '2026-11-27T24:00:00Z',
      'yesterday',
    ];
    for (const time of times) {
      const event = { seq: 1, type: 'log', data: null, time, receivedAt: '2026-11-27T18:00:00.000Z' };
      expect(accepts('LogEvent', event), time).toBe(EventTimeSchema.safeParse(time).success);
    }
  });

  it('accept and reject the same request bodies', () => {
    const event = { type: 'log', data: { stream: 'stdout', line: 'hi' } };
    const appends = [
      { from: 1, events: [event] },
      { from: 1, events: [event], final: true, epoch: 2 },
      { from: 1, events: [{ type: 'x' }] },
      { from: 1, events: [{ ...event, time: null }] },
      { from: 1, events: [] },
      { from: 0, events: [event] },
      { from: 1.5, events: [event] },
      { from: 1, events: [event], epoch: -1 },
      { from: 1, events: [event], extra: true },
      { from: 1, events: [{ ...event, seq: 1 }] },
      { from: 1, events: [{ type: 'bad type' }] },
      { events: [event] },
    ];
    for (const body of appends) expect(accepts('AppendRequest', body), JSON.stringify(body)).toBe(AppendRequestSchema.safeParse(body).success);
    const creates = [{}, { buildId: 'b-1.2_3' }, { meta: { a: 1 } }, { buildId: '-b' }, { buildId: 'b'.repeat(129) }, { meta: [] }, { other: 1 }];
    for (const body of creates) {
      expect(accepts('CreateBuildRequest', body), JSON.stringify(body)).toBe(CreateBuildRequestSchema.safeParse(body).success);
    }
  });
});

describe('openapi.yaml', () => {
  const spec = loadOpenApi();

  it('gives every path at least one operation, and every operation a success status', () => {
    const paths = Object.entries(obj(spec.paths));
    expect(paths.length).toBeGreaterThan(0);
    for (const [path, item] of paths) {
      expect(HTTP_METHODS.some((m) => m in obj(item)), path).toBe(true);
    }
    for (const op of specOperations()) {
      expect(op.statuses.some((s) => s >= 200 && s < 300), `${op.method} ${op.path}`).toBe(true);
    }
  });

  it('documents every route of PROTOCOL.md', () => {
    const routes = specOperations().map((op) => `${op.method} ${op.path}`);
    expect(routes.sort()).toEqual(
      [
        'POST /v1/tokens',
        'POST /v1/builds',
        'GET /v1/builds',
        'GET /v1/builds/{buildId}',
        'DELETE /v1/builds/{buildId}',
        'POST /v1/builds/{buildId}/events',
        'GET /v1/builds/{buildId}/events',
        'GET /v1/builds/{buildId}/stream',
        'GET /v1/builds/{buildId}/state',
        'GET /v1/builds/{buildId}/messages',
        'GET /v1/builds/{buildId}/log',
        'GET /v1/builds/{buildId}/log/lines',
        'GET /v1/builds/{buildId}/log/search',
        'POST /v1/builds/{buildId}/heartbeat',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.yaml',
        'GET /docs',
        'GET /',
        'GET /builds/{buildId}',
      ].sort(),
    );
  });

  it('resolves every $ref', () => {
    const refs = [...walk(spec)].filter(([node]) => typeof obj(node)?.$ref === 'string');
    expect(refs.length).toBeGreaterThan(50);
    for (const [node, at] of refs) {
      const ref = obj(node).$ref as string;
      expect(ref.startsWith('#/'), `${at}: ${ref}`).toBe(true);
      expect(resolvePointer(spec, ref.slice(1)), `${at}: ${ref}`).toBeDefined();
    }
  });

  it('compiles every schema under Ajv strict mode', () => {
    // Component schemas, and the `schema` of every parameter, header and media type.
    const isSchema = (at: string) =>
      /^\/components\/schemas\/[^/]+$/.test(at) || (!at.startsWith('/components/schemas/') && at.endsWith('/schema'));
    const schemas = [...walk(spec)].filter(([, at]) => isSchema(at));
    expect(schemas.length).toBeGreaterThan(20);
    for (const [, at] of schemas) expect(() => schemaValidator(at), at).not.toThrow();
  });

  it('declares every {parameter} of a path template', () => {
    for (const [path, item] of Object.entries(obj(spec.paths))) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = ((obj(item).parameters as Json[] | undefined) ?? [])
        .map((p) => obj(resolvePointer(spec, String(p.$ref ?? '').slice(1)) ?? p))
        .filter((p) => p.in === 'path')
        .map((p) => p.name);
      expect(declared.sort(), path).toEqual(names.sort());
    }
  });

  it('lists exactly the problem codes of protocol/problem-codes.ts', () => {
    const codeEnum = obj(resolvePointer(spec, '/components/schemas/ProblemCode')).enum as string[];
    expect([...codeEnum].sort()).toEqual(Object.keys(ProblemCodes).sort());
  });

  it('has one schema per problem code, closed, whose status is the one protocol/ assigns the code', () => {
    const schemas = Object.entries(obj(obj(spec.components).schemas)).filter(([name]) => name.endsWith('Problem') && name !== 'Problem');
    const byCode = new Map<string, string>();
    for (const [name, raw] of schemas) {
      const schema = obj(raw);
      const props = obj(schema.properties);
      const code = obj(props.code).const as ProblemCode;
      expect(byCode.has(code), `${name}: ${code} twice`).toBe(false);
      byCode.set(code, name);
      expect(obj(props.status).const, name).toBe(ProblemCodes[code]);
      expect(schema.allOf, name).toEqual([{ $ref: '#/components/schemas/Problem' }]);
      expect(schema.unevaluatedProperties, name).toBe(false);
      expect(schema.required, name).toEqual(expect.arrayContaining(['status', 'code']));
    }
    expect([...byCode.keys()].sort()).toEqual(Object.keys(ProblemCodes).sort());
  });

  it('offers ?token= (tokenQuery) only where a browser cannot send a header: the two EventSource streams and the raw log link', () => {
    const withQueryToken = specOperations()
      .filter((op) => {
        const security = obj(resolvePointer(spec, `/paths/${op.path.replaceAll('/', '~1')}/${op.method.toLowerCase()}`)).security;
        return ((security as Json[] | undefined) ?? []).some((requirement) => 'tokenQuery' in requirement);
      })
      .map((op) => `${op.method} ${op.path}`);
    expect(withQueryToken.sort()).toEqual(['GET /v1/builds', 'GET /v1/builds/{buildId}/log', 'GET /v1/builds/{buildId}/stream']);
  });

  it('documents 401 on every /v1 operation', () => {
    const apiOps = specOperations().filter((op) => op.path.startsWith('/v1/'));
    expect(apiOps.length).toBeGreaterThan(5);
    for (const op of apiOps) expect(op.statuses, `${op.method} ${op.path}`).toContain(401);
  });

  it('references every component but those no operation can: SSE frame data and the answers to unknown paths and methods', () => {
    const text = JSON.stringify(spec);
    // Security schemes are named by security requirements (`- bearerAuth: []`), the rest by $ref.
    const used = (kind: string, name: string) =>
      kind === 'securitySchemes' ? text.includes(`{${JSON.stringify(name)}:[]}`) : text.includes(JSON.stringify(`#/components/${kind}/${name}`));
    const unused: string[] = [];
    for (const [kind, members] of Object.entries(obj(spec.components))) {
      for (const name of Object.keys(obj(members))) if (!used(kind, name)) unused.push(`${kind}/${name}`);
    }
    expect(unused.sort()).toEqual(['responses/MethodNotAllowed', 'responses/RouteNotFound', 'schemas/DeletedFrame', 'schemas/EndFrame', 'schemas/PingFrame', 'schemas/RunnerFrame']);
  });

  it('answers each problem code only with the status protocol/ assigns it', () => {
    const seen = new Set<string>();
    for (const op of specOperations()) {
      for (const status of op.statuses.filter((s) => s >= 400)) {
        const at = `/paths/${op.path.replaceAll('/', '~1')}/${op.method.toLowerCase()}/responses/${status}`;
        const raw = obj(resolvePointer(spec, at));
        const response = obj(typeof raw.$ref === 'string' ? resolvePointer(spec, raw.$ref.slice(1)) : raw);
        const codes = problemCodesOf(response);
        expect(codes.length, `${op.method} ${op.path} ${status}`).toBeGreaterThan(0);
        for (const code of codes) {
          expect(ProblemCodes[code as ProblemCode], `${op.method} ${op.path} ${status} ${code}`).toBe(status);
          seen.add(code);
        }
      }
    }
    // not_found and method_not_allowed belong to no operation: they answer paths and methods the document lacks.
    for (const name of ['RouteNotFound', 'MethodNotAllowed']) {
      for (const code of problemCodesOf(obj(resolvePointer(spec, `/components/responses/${name}`)))) seen.add(code);
    }
    expect([...seen].sort()).toEqual(Object.keys(ProblemCodes).sort());
  });

  it('states the limits and patterns of protocol/limits.ts', () => {
    const at = (pointer: string) => obj(resolvePointer(spec, pointer));
    const param = (name: string) => obj(at(`/components/parameters/${name}`).schema);
    expect(param('After')).toMatchObject({ minimum: 0, maximum: MAX_SEQ, default: 0 });
    expect(param('EventsLimit')).toMatchObject({ minimum: 1, maximum: LimitDefaults.maxReadLimit, default: ReadDefaults.limit });
    expect(param('Wait')).toMatchObject({ minimum: 0, maximum: LimitDefaults.maxWaitSeconds, default: 0 });
    expect(param('ListLimit')).toMatchObject({ minimum: 1, maximum: LimitDefaults.maxListLimit, default: ReadDefaults.listLimit });
    expect(param('LastEventId')).toMatchObject({ minimum: 0, maximum: MAX_SEQ });
    expect(at('/components/schemas/Seq')).toMatchObject({ minimum: 1, maximum: MAX_SEQ });
    expect(at('/components/schemas/BuildId').pattern).toBe(BUILD_ID_PATTERN.source);
    expect(at('/components/schemas/EventType').pattern).toBe(EVENT_TYPE_PATTERN.source);
    expect(obj(at('/components/schemas/AppendRequest').properties).events).toMatchObject({
      minItems: 1,
      maxItems: LimitDefaults.maxBatchEvents,
    });
  });

  it('states the clarifications where PROTOCOL.md is silent', () => {
    const description = String(obj(spec.info).description);
    expect(description).toContain('## Clarifications');
    for (const label of ['(a)', '(b)', '(c)', '(d)', '(e)', '(n)', '(r)']) expect(description).toContain(`**${label}**`);
  });
});
