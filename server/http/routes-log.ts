// A build's log as lines (PROTOCOL §Log lines): read by line number, searched, and downloaded
// as plain text — streamed page by page as the socket takes it, so any log size costs the
// server one page of memory.
import type { Hono } from 'hono';
import { stripAnsi } from '../../protocol/ansi-text.js';
import { ContentTypes, Headers as H, QueryParams } from '../../protocol/headers.js';
import { LogLineLimits } from '../../protocol/limits.js';
import { logLineOf } from '../../protocol/log-line.js';
import { assertGeneration, authorize } from '../auth/permissions.js';
import { eventJson } from '../log/event-json.js';
import type { BuildRecord, LogStore } from '../log/log-store.js';
import type { AppContext, AppDeps, AppEnv } from './app-env.js';
import { afterParam, buildIdParam, integerParam, invalidParameter, stringParam } from './request-input.js';

export function registerLogRoutes(app: Hono<AppEnv>, deps: AppDeps): void {
  const { engine } = deps;

  /** The build after the auth checks, its line index current up to its ack. */
  const readableBuild = async (c: AppContext) => {
    const principal = c.get('principal');
    authorize(principal, 'read', c.req.param('buildId'));
    const buildId = buildIdParam(c);
    const build = await engine.getBuildWithLines(buildId);
    assertGeneration(principal, build.generation);
    return build;
  };

  app.get('/v1/builds/:buildId/log/lines', async (c) => {
    const build = await readableBuild(c);
    const after = afterParam(c);
    const limit = integerParam(c, QueryParams.limit, 1, LogLineLimits.maxLines, LogLineLimits.defaultLines);
    const lines = await engine.store.readLogLines(build, after, limit, LogLineLimits.pageBytes);
    // Each line is its event's JSON with `n` in front, spliced: data is never re-serialized.
    const json = lines.map((l) => `{"n":${l.n},${eventJson(l.event).slice(1)}`);
    const body = `{"lines":[${json.join(',')}],"total":${build.logLines.count},"ack":${build.ack},"final":${build.final ?? 'null'},"next":${lines.at(-1)?.n ?? after}}`;
    return c.body(body, 200, { [H.contentType]: ContentTypes.json });
  });

  app.get('/v1/builds/:buildId/log/search', async (c) => {
    const build = await readableBuild(c);
    const q = stringParam(c, QueryParams.q);
    if (q === undefined || q.length === 0 || q.length > LogLineLimits.maxQueryChars) {
      throw invalidParameter(QueryParams.q, `must be 1 to ${LogLineLimits.maxQueryChars} characters`);
    }
    const after = afterParam(c);
    const limit = integerParam(c, QueryParams.limit, 1, LogLineLimits.maxMatches, LogLineLimits.defaultMatches);
    const result = await engine.store.searchLogLines(build, q, after, limit);
    return c.json({ q, count: result.count, matches: result.matches, total: build.logLines.count, ack: build.ack });
  });

  app.get('/v1/builds/:buildId/log', async (c) => {
    const build = await readableBuild(c);
    const ansi = stringParam(c, QueryParams.ansi);
    if (ansi !== undefined && ansi !== 'strip' && ansi !== 'keep') throw invalidParameter(QueryParams.ansi, 'must be strip or keep');
    const body = rawLogStream(engine.store, build, ansi === 'strip');
    return new Response(body, {
      status: 200,
      headers: {
        [H.contentType]: `${ContentTypes.text}; charset=utf-8`,
        'Content-Disposition': `inline; filename="${build.buildId}.log"`,
        // Logs carry whatever a command printed: never let a browser read it as a page.
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; sandbox",
        [H.cacheControl]: 'no-store',
      },
    });
  });
}

/** Every line `1..total` as text, one a line, read one size-bounded page per pull. */
function rawLogStream(store: LogStore, build: BuildRecord, strip: boolean): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (after >= build.logLines.count) {
          controller.close();
          return;
        }
        const lines = await store.readLogLineData(build, after, LogLineLimits.maxLines, LogLineLimits.downloadStepBytes);
        if (lines.length === 0) {
          controller.close(); // the build was deleted while downloading
          return;
        }
        const parts: string[] = [];
        for (const { n, data } of lines) {
          const line = logLineOf(JSON.parse(data) as unknown)?.line ?? '';
          parts.push(strip ? stripAnsi(line) : line);
          after = n;
        }
        parts.push('');
        controller.enqueue(encoder.encode(parts.join('\n')));
      },
    },
    // One page read ahead while the socket takes the last: the database and the network work at
    // once, and memory stays at two pages whatever the log's size.
    { highWaterMark: 1 },
  );
}
