// Checks real HTTP answers against openapi.yaml, so scenario tests fail when the server and the
// documented contract drift apart (PROTOCOL.md: "where the two disagree, fix one of them").
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

type JsonObject = Record<string, unknown>;

export interface SpecOperation {
  /** Upper case, e.g. `GET`. */
  readonly method: string;
  /** The path template, e.g. `/v1/builds/{buildId}`. */
  readonly path: string;
  /** Documented statuses, ascending. */
  readonly statuses: number[];
}

export interface SpecResponse {
  readonly status: number;
  readonly headers: Headers | Record<string, string>;
  /** Parsed JSON, or the text for text media types; `undefined`/`null`/`''` for no body. */
  readonly body: unknown;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const SPEC_URL = new URL('../../openapi.yaml', import.meta.url);
// Paths under this prefix authenticate first, then answer an undocumented method with 405;
// other paths answer it with 404.
const API_PREFIX = '/v1/';
// The whole document is added to Ajv under this id, so `#/components/...` refs inside any
// fragment resolve against it without rewriting.
const SPEC_ID = 'urn:runlog:openapi';
// Top-level OpenAPI members and OpenAPI's schema extensions: declared as annotation keywords
// so Ajv's strict mode accepts the document while still rejecting typos inside schemas.
const OPENAPI_KEYWORDS = [
  'openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags',
  'externalDocs', 'example', 'discriminator', 'xml',
];

let cachedSpec: JsonObject | undefined;
let cachedAjv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

/** The parsed openapi.yaml (read once per process). */
export function loadOpenApi(): JsonObject {
  cachedSpec ??= parse(readFileSync(SPEC_URL, 'utf8')) as JsonObject;
  return cachedSpec;
}

/** Every operation of the document with its documented statuses. */
export function specOperations(): SpecOperation[] {
  const out: SpecOperation[] = [];
  for (const [path, item] of Object.entries(paths())) {
    for (const method of HTTP_METHODS) {
      const op = asObject(item[method]);
      if (!op) continue;
      const statuses = Object.keys(asObject(op.responses) ?? {}).map(Number).sort((a, b) => a - b);
      out.push({ method: method.toUpperCase(), path, statuses });
    }
  }
  return out;
}

/**
 * Throws, naming the rule and the route, unless `response` is one the document allows for
 * `method` on `routePath` (a concrete path; query string and origin are ignored). A path no
 * template matches may only answer `404 not_found`; a method the path lacks only `405` on
 * `/v1/…` (or `401`, which comes first) and `404` elsewhere (info.description, §Errors).
 * HEAD is checked as a bodiless GET.
 */
export function assertMatchesSpec(method: string, routePath: string, response: SpecResponse): void {
  const pathname = toPathname(routePath);
  const label = `${method.toUpperCase()} ${pathname} → ${response.status}`;
  const match = matchPath(pathname);
  if (!match) {
    if (response.status === 404) return checkResponse(label, '/components/responses/RouteNotFound', response);
    throw new Error(`${label}: no path of openapi.yaml matches ${pathname}`);
  }
  const head = method.toLowerCase() === 'head' && !match.item.head;
  const specMethod = head ? 'get' : method.toLowerCase();
  const opPointer = `/paths/${escapePointer(match.template)}/${specMethod}`;
  const op = asObject(match.item[specMethod]);
  if (!op) {
    const answers: Record<number, string> = match.template.startsWith(API_PREFIX)
      ? { 401: 'Unauthorized', 405: 'MethodNotAllowed' }
      : { 404: 'RouteNotFound' };
    const name = answers[response.status];
    if (name) return checkResponse(label, `/components/responses/${name}`, response);
    const allowed = HTTP_METHODS.filter((m) => match.item[m]).map((m) => m.toUpperCase());
    throw new Error(
      `${label}: ${match.template} documents no ${method.toUpperCase()} (only ${allowed.join(', ')}), so only ${Object.keys(answers).join(' or ')} is allowed`,
    );
  }
  const responses = asObject(op.responses) ?? {};
  const key = String(response.status);
  if (!(key in responses)) {
    throw new Error(
      `${label}: status ${key} is not documented for ${method.toUpperCase()} ${match.template} ` +
        `(documented: ${Object.keys(responses).join(', ')}); body: ${preview(response.body)}`,
    );
  }
  checkResponse(`${label} (${method.toUpperCase()} ${match.template})`, `${opPointer}/responses/${key}`, response, head);
}

/** Throws unless `value` is valid against `#/components/schemas/<name>`. */
export function assertMatchesSchema(name: string, value: unknown): void {
  const pointer = `/components/schemas/${escapePointer(name)}`;
  if (!resolvePointer(loadOpenApi(), pointer)) throw new Error(`openapi.yaml has no schema ${name}`);
  const validate = schemaValidator(pointer);
  if (!validate(value)) throw new Error(`${name}: ${errorsText(validate)}; value: ${preview(value)}`);
}

/** Follows a local `$ref` (`#/…`) and any chain of them; returns the target and its pointer. */
export function resolveLocalRef(node: unknown, pointer: string): { node: unknown; pointer: string } {
  const seen = new Set<string>();
  let current = node;
  let at = pointer;
  for (;;) {
    const ref = asObject(current)?.$ref;
    if (typeof ref !== 'string') return { node: current, pointer: at };
    if (!ref.startsWith('#/')) throw new Error(`${at}: only local $refs are supported, got ${ref}`);
    if (seen.has(ref)) throw new Error(`${at}: $ref cycle through ${ref}`);
    seen.add(ref);
    at = decodeURIComponent(ref.slice(1));
    current = resolvePointer(loadOpenApi(), at);
    if (current === undefined) throw new Error(`$ref ${ref} does not resolve`);
  }
}

/** The value at a JSON pointer (`/components/schemas/Build`), or undefined. */
export function resolvePointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    const obj = asObject(node);
    if (!obj || !Object.hasOwn(obj, part)) return undefined;
    node = obj[part];
  }
  return node;
}

function checkResponse(label: string, responsePointer: string, response: SpecResponse, bodiless = false): void {
  const spec = loadOpenApi();
  const resolved = resolveLocalRef(resolvePointer(spec, responsePointer), responsePointer);
  const declared = asObject(resolved.node);
  if (!declared) throw new Error(`${label}: ${responsePointer} is not a response object`);
  const headers = headerReader(response.headers);
  checkHeaders(label, declared, headers);

  const content = asObject(declared.content);
  if (!content || bodiless) {
    // 204/304 (and any HEAD answer): no body.
    if (response.body !== undefined && response.body !== null && response.body !== '') {
      throw new Error(`${label}: documented without a body, got ${preview(response.body)}`);
    }
    if (!content) return;
  }
  const contentType = headers('content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  const documented = Object.keys(content);
  const key = documented.find((k) => k.toLowerCase() === mediaType);
  if (key === undefined) {
    throw new Error(`${label}: Content-Type ${contentType ?? '(none)'} is not documented (documented: ${documented.join(', ')})`);
  }
  const mediaPointer = `${resolved.pointer}/content/${escapePointer(key)}`;
  if (bodiless || !isJsonMediaType(key) || !asObject(content[key])?.schema) return;

  let body = response.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      throw new Error(`${label}: ${key} body is not JSON: ${preview(body)}`);
    }
  }
  const validate = schemaValidator(`${mediaPointer}/schema`);
  if (!validate(body)) throw new Error(`${label}: body does not match ${key} schema: ${errorsText(validate)}; body: ${preview(body)}`);
}

function checkHeaders(label: string, declared: JsonObject, headers: (name: string) => string | undefined): void {
  for (const [name, raw] of Object.entries(asObject(declared.headers) ?? {})) {
    // Content-Type is described by `content`, never by `headers` (OpenAPI 3.1 §4.8.17).
    if (name.toLowerCase() === 'content-type') continue;
    const header = asObject(resolveLocalRef(raw, '').node) ?? {};
    const value = headers(name);
    if (value === undefined) {
      if (header.required === true) throw new Error(`${label}: required header ${name} is missing`);
      continue;
    }
    const schema = asObject(header.schema) ?? {};
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      throw new Error(`${label}: header ${name}: ${JSON.stringify(value)} does not match /${schema.pattern}/`);
    }
    if ('const' in schema && String(schema.const) !== value) {
      throw new Error(`${label}: header ${name}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
    }
  }
}

/** The compiled Ajv validator of the schema at a JSON pointer into the document (cached). */
export function schemaValidator(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    const ref = `${SPEC_ID}#${pointer.split('/').map(encodeURIComponent).join('/')}`;
    validate = ajv().getSchema(ref);
    if (!validate) throw new Error(`openapi.yaml: no schema at ${pointer}`);
    validators.set(pointer, validate);
  }
  return validate;
}

function ajv(): Ajv2020 {
  if (!cachedAjv) {
    const instance = new Ajv2020({
      allErrors: true,
      // `type: [string, 'null']` is how 3.1 says nullable.
      allowUnionTypes: true,
      // Fragments such as `allOf: [{$ref: Problem}, {properties: …}]` rely on the $ref for their type.
      strictTypes: false,
    });
    // ajv-formats is CommonJS; its function is both module.exports and `.default`.
    addFormatsModule.default(instance);
    instance.addVocabulary(OPENAPI_KEYWORDS);
    instance.addSchema({ ...loadOpenApi(), $id: SPEC_ID });
    cachedAjv = instance;
  }
  return cachedAjv;
}

function matchPath(pathname: string): { template: string; item: JsonObject } | undefined {
  const segments = pathname.split('/');
  let best: { template: string; item: JsonObject; literals: number } | undefined;
  for (const [template, raw] of Object.entries(paths())) {
    const parts = template.split('/');
    if (parts.length !== segments.length) continue;
    let literals = 0;
    const ok = parts.every((part, i) => {
      const segment = segments[i] ?? '';
      if (/^\{[^}]+\}$/.test(part)) return segment !== '';
      literals++;
      return part === segment;
    });
    // OpenAPI: a concrete path beats a templated one of the same shape.
    if (ok && (!best || literals > best.literals)) best = { template, item: asObject(raw) ?? {}, literals };
  }
  return best && { template: best.template, item: best.item };
}

function paths(): Record<string, JsonObject> {
  return (asObject(loadOpenApi().paths) ?? {}) as Record<string, JsonObject>;
}

function toPathname(routePath: string): string {
  const url = new URL(routePath, 'http://spec.invalid');
  return url.pathname;
}

function headerReader(headers: Headers | Record<string, string>): (name: string) => string | undefined {
  if (typeof (headers as Headers).get === 'function') {
    return (name) => (headers as Headers).get(name) ?? undefined;
  }
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase());
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function escapePointer(part: string): string {
  return part.replaceAll('~', '~0').replaceAll('/', '~1');
}

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function errorsText(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${paramsText(e.params)}`).join('; ');
}

function paramsText(params: Record<string, unknown>): string {
  const interesting = ['additionalProperty', 'missingProperty', 'allowedValues', 'allowedValue'];
  const parts = interesting.filter((k) => k in params).map((k) => `${k}=${JSON.stringify(params[k])}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
