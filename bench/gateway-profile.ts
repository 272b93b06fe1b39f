/**
 * A CPU profile of the gateway process alone (`kessai serve` on SQLite, the job worker
 * in-process), under the end-to-end purchase of `npm run bench`: the sandbox and the merchant
 * endpoint run in processes of their own, so nothing else is in the profile. Prints the gateway's
 * CPU ms per payment (from /proc) and where the profile's measured window starts; read it with
 * `bench/profile-summary.ts --skip <seconds>` so that start-up and warm-up are left out.
 * Not a test: numbers are printed, not asserted.
 *
 *   npx tsx bench/gateway-profile.ts --dir /tmp/prof [--seconds 15] [--concurrency 16]
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startSystem } from './system';
import { loop, newSteps, purchase, ready } from './workloads';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '/tmp/kessai-gateway-profile' },
    seconds: { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '16' },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
mkdirSync(values.dir, { recursive: true });

const system = await startSystem('sqlite', 'serve');
try {
  await ready(system); // the first start finishes setting up the demo merchant
  const profilingSince = performance.now();
  await system.restartGateway('serve', ['--cpu-prof', `--cpu-prof-dir=${values.dir}`]);
  await ready(system);
  await loop(concurrency, 3000, () => purchase(system, newSteps()));
  const skip = (performance.now() - profilingSince) / 1000;
  const before = system.gateway.sample().cpuMs;
  const run = await loop(concurrency, seconds * 1000, () => purchase(system, newSteps()));
  const cpuMs = system.gateway.sample().cpuMs - before;
  console.log(
    `${run.operations} payments in ${run.seconds.toFixed(1)} s at c=${concurrency} (${run.errors} errors): ` +
      `${(run.operations / run.seconds).toFixed(1)} payments/s, gateway CPU ${(cpuMs / run.operations).toFixed(2)} ms per payment`,
  );
  console.log(`measured window starts ${skip.toFixed(1)} s into the profile (--skip ${Math.ceil(skip)})`);
} finally {
  await system.close();
}
console.log(`profiles in ${values.dir}: ${readdirSync(values.dir).join(', ')}`);
