// The shipped operating files hold together: every expression in deploy/alerts.yml and in
// deploy/grafana-dashboard.json names only metrics a running server exports, the dashboard is
// importable as is (datasource as an input, panels placed), README §Operating lists each
// metric, and deploy/nginx.conf keeps the directives streams and appends rely on.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configWith } from '../../server/config.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { PGLITE, POSTGRES, type BackendDatabase } from '../support/backends.js';
import { deriveNginxConf } from '../support/nginx.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

/** Metric names in a PromQL expression: identifiers followed by `{`, `[`, `)` or a space and not functions or labels. */
function metricNames(expr: string): string[] {
  const stripped = expr.replace(/\{[^}]*\}/g, '{}').replace(/"[^"]*"/g, '""');
  return [...stripped.matchAll(/\b((?:runlog|nodejs|process)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

/** What a histogram's series are called in queries. */
const series = (name: string) => [name, `${name}_bucket`, `${name}_sum`, `${name}_count`];

describe('deploy/ files', () => {
  let server: RunningServer;
  let db: BackendDatabase;
  let exported: Set<string>;
  beforeAll(async () => {
    // PostgreSQL when there is one: it starts in a fraction of PGlite's time.
    db = await (POSTGRES.unavailable === undefined ? POSTGRES : PGLITE).fresh();
    server = await startServer(configWith({ port: 0, databaseUrl: db.databaseUrl, databaseSchema: db.databaseSchema, dataDir: db.dataDir, logLevel: 'silent' }), {
      logger: pino({ level: 'silent' }),
      processMetrics: true,
      janitor: false,
    });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    exported = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap((m) => (m[2] === 'histogram' || m[2] === 'summary' ? series(m[1]!) : [m[1]!])));
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('alerts.yml: Prometheus rules whose every expression names exported metrics', () => {
    const doc = parse(read('deploy/alerts.yml')) as { groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }> }> };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^Runlog[A-Z]\w+$/);
      expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(0);
      const names = metricNames(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(exported.has(name), `${rule.alert} uses ${name}`).toBe(true);
    }
  });

  it('grafana-dashboard.json: importable as is, with the six required panels over exported metrics', () => {
    const dashboard = JSON.parse(read('deploy/grafana-dashboard.json')) as {
      __inputs: Array<{ name: string; type: string; pluginId: string }>;
      uid: string;
      panels: Array<{ title: string; gridPos: object; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
    };
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    expect(dashboard.uid).toBe('runlog-ops');
    const titles = dashboard.panels.map((p) => p.title);
    for (const wanted of ['Ingest rate', 'Commit latency', 'Delivery latency (commit to stream)', 'Open streams', 'Queue depth', '503s by code']) expect(titles).toContain(wanted);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid).toBe('${DS_PROMETHEUS}');
      expect(panel.gridPos).toMatchObject({ w: expect.any(Number), h: expect.any(Number) });
      for (const target of panel.targets) {
        const names = metricNames(target.expr);
        expect(names.length, panel.title).toBeGreaterThan(0);
        for (const name of names) expect(exported.has(name), `${panel.title} uses ${name}`).toBe(true);
      }
    }
  });

  it('README §Operating lists every runlog metric the server exports', () => {
    const readme = read('README.md');
    const operating = readme.slice(readme.indexOf('## Operating'));
    expect(operating.length).toBeGreaterThan(0);
    const own = [...exported].filter((n) => n.startsWith('runlog_') && !/_(bucket|sum|count)$/.test(n));
    for (const name of own) expect(operating, name).toContain(`\`${name}\``);
  });

  it('nginx.conf: unbuffered streams, a read timeout above the ping interval, the body limit, forwarded headers', () => {
    const conf = read('deploy/nginx.conf');
    expect(conf).toMatch(/^\s*proxy_buffering off;/m);
    const readTimeout = Number(/proxy_read_timeout (\d+)s;/.exec(conf)?.[1]);
    expect(readTimeout * 1000).toBeGreaterThan(configWith().pingIntervalMs);
    expect(readTimeout).toBeGreaterThan(60); // the longest long-poll wait
    expect(conf).toMatch(/client_max_body_size 1m;/);
    expect(configWith().limits.maxBodyBytes).toBe(1024 * 1024);
    for (const header of ['X-Forwarded-For', 'X-Forwarded-Proto', 'X-Request-Id', 'Host']) expect(conf).toContain(`proxy_set_header ${header} `);
    const directives = conf.replace(/#.*$/gm, '');
    expect(directives).not.toMatch(/\$request_uri|\$args|\$query_string/); // tokens ride in ?token=
    const derived = deriveNginxConf(conf, { port: 1234, upstreams: [1, 2], accessLog: '/tmp/x.log' });
    expect(derived).toContain('listen 127.0.0.1:1234;');
    expect(derived.match(/server 127\.0\.0\.1:\d+ max_fails=1 fail_timeout=2s;/g)).toHaveLength(2);
  });
});
