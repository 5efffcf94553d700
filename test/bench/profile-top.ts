// Summarises a V8 CPU profile (`npm run bench -- --profile DIR` writes one per server):
// the functions with the most self time, and the share of garbage collection and idle; with
// --inclusive, the time each function was on the stack (itself and what it called).
//
//   npx tsx test/bench/profile-top.ts DIR/CPU.*.cpuprofile [--top 30] [--inclusive]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' }, inclusive: { type: 'boolean', default: false } } });
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  const keyOf = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules\/|server\/|protocol\/)/, '$1')}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'} ${where}`.trim();
  };
  const byFunction = new Map<string, number>();
  for (const [id, us] of self) {
    // Inclusive: every function on the sample's stack, once however deep its recursion.
    const keys = new Set<string>([keyOf(id)]);
    if (values.inclusive) for (let p = parentOf.get(id); p !== undefined; p = parentOf.get(p)) keys.add(keyOf(p));
    for (const key of keys) byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const idle = byFunction.get('(idle)') ?? 0;
  const busy = total - idle;
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)} %)`);
  console.log(`${values.inclusive ? 'inclusive' : 'self'} % of busy time`);
  for (const [name, us] of [...byFunction].filter(([n]) => n !== '(idle)' && n !== '(root)').sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
    console.log(`${((100 * us) / busy).toFixed(1).padStart(5)} %  ${name}`);
  }
}
