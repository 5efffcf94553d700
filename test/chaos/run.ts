// `npm run test:chaos [-- --full] [-- --seed N]`: the fault scenarios alone, optionally at full
// size. Sets the environment the scenarios read, then runs vitest on test/chaos.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const env = { ...process.env };
const rest: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--full') env.RUNLOG_CHAOS_FULL = '1';
  else if (args[i] === '--seed') env.RUNLOG_CHAOS_SEED = args[++i] ?? '';
  else rest.push(args[i]!);
}
const result = spawnSync('npx', ['vitest', 'run', 'test/chaos', ...rest], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
