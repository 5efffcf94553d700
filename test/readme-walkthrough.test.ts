// The README's curl walkthrough, run as written against a fresh server (only the port differs),
// and its vitest example, which test/readme-example.test.ts runs: the docs cannot drift from
// the behaviour.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from './support/server-process.js';

const run = promisify(execFile);

async function walkthroughScript(): Promise<string> {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('## Walk through the protocol with curl')[1];
  const block = /```sh\n([\s\S]*?)```/.exec(section ?? '')?.[1];
  if (!block) throw new Error('README has no walkthrough block');
  return block;
}

describe('README walkthrough', () => {
  let dir: string;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'runlog-readme-'));
    server = await startServerProcess({ PORT: '0', RUNLOG_DATA_DIR: path.join(dir, 'data') });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs verbatim and shows what its comments say', async () => {
    const port = new URL(server.url).port;
    const script = (await walkthroughScript()).replaceAll('127.0.0.1:8787', `127.0.0.1:${port}`);
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, timeout: 30_000 });
    const lines = stdout.split(/(?<=\})(?=\{)|\n/).filter((l) => l.trim() !== '');
    const answers = lines.filter((l) => l.startsWith('{"ack"')).map((l) => JSON.parse(l));
    expect(answers.map((a) => [a.ack, a.final, a.missing])).toEqual([
      [2, null, []],
      [2, null, []],
      [2, 6, [[3, 4]]],
      [6, 6, []],
    ]);
    expect(answers[0].digest).toBe(answers[1].digest);
    // The first stream: every event, then end; the resumed one: 5 and 6, then end.
    const ids = [...stdout.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 5, 6]);
    expect([...stdout.matchAll(/^event: end$/gm)]).toHaveLength(2);
    // The output as text, then lines 3 and 4 by number, then the two lines that say npm.
    expect(stdout).toContain('npm install\nwarn: peer dep\nnpm run build\nbuilt\n');
    const page = JSON.parse(lines.find((l) => l.startsWith('{"lines"'))!);
    expect(page.lines.map((l: { n: number; data: { line: string } }) => [l.n, l.data.line])).toEqual([[3, 'npm run build'], [4, 'built']]);
    expect(JSON.parse(lines.find((l) => l.startsWith('{"q"'))!)).toMatchObject({ count: 2, matches: [1, 3], total: 4 });
    const state = lines.find((l) => l.startsWith('{"seq":6,"state"'));
    expect(JSON.parse(state!).state).toMatchObject({ status: 'succeeded', logs: { count: 4 } });
    expect(stdout).toContain('"status":"complete"');
  });
});

describe('README vitest example', () => {
  it('is test/readme-example.test.ts without its first comment line, so npm test runs what the README shows', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.split('## Test your app against runlog')[1];
    const block = /```ts\n([\s\S]*?)```/.exec(section ?? '')?.[1];
    expect(block, 'README has no vitest example').toBeDefined();
    const file = await readFile(new URL('./readme-example.test.ts', import.meta.url), 'utf8');
    expect(block).toBe(file.slice(file.indexOf('\n') + 1));
  });
});
