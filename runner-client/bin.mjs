#!/usr/bin/env node
// Entry point of `runlog-runner` (package.json `bin`): runs cli.ts through tsx, since the
// project ships its TypeScript sources.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
const code = await main(process.argv.slice(2));
// stdout/stderr to a pipe are asynchronous in Node: wait until what was written left the
// process, then exit at once so idle keep-alive sockets do not hold it open.
const drained = (stream) => new Promise((resolve) => stream.write('', () => resolve()));
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit(code);
