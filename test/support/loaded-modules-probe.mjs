// Preloaded into a server process (NODE_OPTIONS=--import=…) by test/startup-modules.test.ts:
// appends to $RUNLOG_TEST_LOADED_MODULES the URL of every module the process loads through
// `import`, as it loads it. Plain JavaScript: the compiled bin runs under plain Node.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

const file = process.env.RUNLOG_TEST_LOADED_MODULES;
if (!file) throw new Error('loaded-modules-probe: set RUNLOG_TEST_LOADED_MODULES to a file');

const hooks = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function load(url, context, next) { appendFileSync(file, url + '\\n'); return next(url, context); }
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { file } });
