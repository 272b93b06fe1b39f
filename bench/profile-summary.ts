/**
 * The functions with the most self time in a V8 CPU profile (`node --cpu-prof`), as shares of the
 * sampled time, idle excluded. better-sqlite3's native calls appear under their JavaScript names
 * (`prepare`, `run`, `all`).
 *
 * `--skip` leaves out the profile's first seconds (start-up and warm-up; bench/gateway-profile.ts
 * prints how many).
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 20] [--skip 0]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '20' }, skip: { type: 'string', default: '0' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--top N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const frameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
const selfMicros = new Map<string, number>();
let busyMicros = 0;
let sampledMicros = 0;
const skipMicros = Number(values.skip) * 1e6;
profile.samples.forEach((id, i) => {
  const frame = frameOf.get(id);
  const delta = profile.timeDeltas[i] ?? 0;
  sampledMicros += delta;
  if (sampledMicros < skipMicros) return;
  if (!frame || frame.functionName === '(idle)' || frame.functionName === '(program)') return;
  const where = frame.url ? `${frame.url.replace(/^.*node_modules\//, '')}:${frame.lineNumber + 1}` : '';
  const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
  selfMicros.set(key, (selfMicros.get(key) ?? 0) + delta);
  busyMicros += delta;
});

console.log(`busy ${(busyMicros / 1000).toFixed(0)} ms sampled (idle and (program) excluded)`);
for (const [key, micros] of [...selfMicros].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(`${((micros / busyMicros) * 100).toFixed(1).padStart(5)}%  ${key}`);
}
