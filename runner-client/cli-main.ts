// The `runlog-runner` process: runs the command line and exits with its status.
import { main } from './cli.js';

const code = await main(process.argv.slice(2));
// stdout/stderr to a pipe are asynchronous in Node: wait until what was written left the
// process, then exit at once so idle keep-alive sockets do not hold it open.
const drained = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit(code);
