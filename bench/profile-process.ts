/**
 * A CPU profile of one process of the `npm run bench` system on SQLite (the gateway or the
 * sandbox), under the end-to-end purchase, with the other processes running as usual so that
 * nothing else is in the profile: the system starts, the process is restarted under
 * `node --cpu-prof`, warmed up, then the purchase runs at the given concurrency for N seconds.
 * Prints the process's CPU ms (from /proc), statements and commits per payment, and where the
 * measured window starts; read the profile with `bench/profile-summary.ts --skip <seconds>` so
 * that start-up and warm-up are left out. Used by gateway-profile.ts and sandbox-profile.ts.
 * Not a test: nothing is asserted.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type BenchProcess, useKessaiFrom } from './processes';
import { type System, startSystem } from './system';
import { loop, newSteps, purchase, ready } from './workloads';

export interface ProfiledProcess {
  name: string;
  /** Starts the process again with these Node options. */
  restart(system: System, nodeArgs: string[]): Promise<void>;
  process(system: System): BenchProcess;
}

/**
 * Reads `--dir`, `--seconds`, `--concurrency` and `--kessai <checkout>` (another checkout's
 * `kessai`, e.g. a baseline, as in run.ts), profiles `target` and prints what it measured.
 */
export async function profileUnderPurchase(target: ProfiledProcess): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: `/tmp/kessai-${target.name}-profile` },
      seconds: { type: 'string', default: '15' },
      concurrency: { type: 'string', default: '16' },
      kessai: { type: 'string' },
    },
  });
  if (values.kessai) useKessaiFrom(values.kessai);
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  mkdirSync(values.dir, { recursive: true });

  const system = await startSystem('sqlite', 'serve');
  try {
    await ready(system); // the first start finishes setting up the demo merchant
    const profilingSince = performance.now();
    await target.restart(system, ['--cpu-prof', `--cpu-prof-dir=${values.dir}`]);
    await ready(system);
    await loop(concurrency, 3000, () => purchase(system, newSteps()));
    const skip = (performance.now() - profilingSince) / 1000;
    const before = target.process(system).sample();
    const run = await loop(concurrency, seconds * 1000, () => purchase(system, newSteps()));
    const after = target.process(system).sample();
    const perPayment = (n: number) => (n / run.operations).toFixed(2);
    console.log(
      `${run.operations} payments in ${run.seconds.toFixed(1)} s at c=${concurrency} (${run.errors} errors): ` +
        `${(run.operations / run.seconds).toFixed(1)} payments/s; ${target.name} per payment: ` +
        `CPU ${perPayment(after.cpuMs - before.cpuMs)} ms, ` +
        `${perPayment(after.db.statements - before.db.statements)} statements, ` +
        `${perPayment(after.db.commits - before.db.commits)} commits`,
    );
    console.log(`measured window starts ${skip.toFixed(1)} s into the profile (--skip ${Math.ceil(skip)})`);
  } finally {
    await system.close();
  }
  console.log(`profiles in ${values.dir}: ${readdirSync(values.dir).join(', ')}`);
}
