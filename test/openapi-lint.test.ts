// openapi.yaml lints clean under Redocly's `recommended` rules (redocly.yaml) and Spectral's
// `spectral:oas` (.spectral.yaml), as issue #8 asks: 0 errors and 0 warnings. Each linter also
// lints a flawed document in the same run, so a linter that read nothing cannot pass.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
// No usage reports or update checks: tests reach no network but the npm registry at install.
const ENV = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };

/** An operation with an undeclared path parameter, no servers, no summary: errors for both linters. */
const FLAWED = `openapi: 3.1.0
info:
  title: flawed
  version: '1'
paths:
  /things/{id}:
    get:
      responses:
        '200':
          description: ok
`;

interface Finding {
  readonly file: string;
  readonly rule: string;
  readonly severity: 'error' | 'warning' | 'info' | 'hint';
  readonly message: string;
}

/** stdout of a linter that exits non-zero when it finds errors. */
async function output(file: string, args: string[]): Promise<string> {
  try {
    return (await run(file, args, { cwd: ROOT, env: ENV, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    if (!stdout) throw error;
    return stdout;
  }
}

async function redocly(files: string[]): Promise<Finding[]> {
  // One JSON report per file, printed one after the other.
  const text = await output(bin('redocly'), ['lint', ...files, '--format=json']);
  const reports = JSON.parse(`[${text.trim().replace(/\}\s*\{\s*"totals"/g, '},{"totals"')}]`) as Array<{
    problems: Array<{ ruleId: string; severity: 'error' | 'warn'; message: string; location: Array<{ source: { ref: string } }> }>;
  }>;
  expect(reports).toHaveLength(files.length);
  return reports.flatMap((report) =>
    report.problems.map((p) => ({
      file: path.resolve(ROOT, p.location[0]?.source.ref ?? '?'),
      rule: p.ruleId,
      severity: p.severity === 'warn' ? 'warning' : 'error',
      message: p.message,
    })),
  );
}

async function spectral(files: string[]): Promise<Finding[]> {
  const text = await output(bin('spectral'), ['lint', ...files, '--format=json', '--quiet']);
  const results = JSON.parse(text) as Array<{ code: string; severity: 0 | 1 | 2 | 3; message: string; source: string }>;
  const severities = ['error', 'warning', 'info', 'hint'] as const;
  return results.map((r) => ({ file: path.resolve(ROOT, r.source), rule: r.code, severity: severities[r.severity], message: r.message }));
}

describe('openapi.yaml lints clean', () => {
  const spec = path.join(ROOT, 'openapi.yaml');
  let dir: string;
  let flawed: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'runlog-lint-'));
    flawed = path.join(dir, 'flawed.yaml');
    await writeFile(flawed, FLAWED);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("under Redocly's recommended rules: 0 errors, 0 warnings", async () => {
    const findings = await redocly([spec, flawed]);
    expect(findings.filter((f) => f.file === spec)).toEqual([]);
    expect(findings.filter((f) => f.file === flawed).map((f) => f.rule)).toContain('path-parameters-defined');
  });

  it("under Spectral's spectral:oas: 0 errors, 0 warnings", async () => {
    const findings = await spectral([spec, flawed]);
    expect(findings.filter((f) => f.file === spec && (f.severity === 'error' || f.severity === 'warning'))).toEqual([]);
    expect(findings.filter((f) => f.file === flawed).map((f) => f.rule)).toContain('path-params');
  });

  it('turns rules off only with a reason on the same line', async () => {
    for (const config of ['redocly.yaml', '.spectral.yaml']) {
      const text = await readFile(path.join(ROOT, config), 'utf8');
      const off = text.split('\n').filter((line) => /^\s+[\w-]+:\s*off\b/.test(line));
      expect(off.length, config).toBeGreaterThan(0);
      for (const line of off) expect(line, config).toMatch(/:\s*off\s+#\s*\S.{20,}/);
    }
  });
});
