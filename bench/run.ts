import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DialectName } from '../src/db/connection';
import { sleep } from '../test/crash/crash-system';
import { round } from './client';
import { fastifyFloor, postgresCommitFloor, rsaFloor, sqliteCommitFloor } from './floors';
import { ROOT, useKessaiFrom } from './processes';
import { type BenchResults, chartSvg, type StepSummary, writeReadme } from './report';
import { type Layout, type System, startSystem } from './system';
import {
  loop,
  measure,
  newSteps,
  openOverduePayments,
  overduePayments,
  purchase,
  ready,
  refunds,
  STEPS,
  type Steps,
} from './workloads';

/**
 * `npm run bench` (bench/README.md): the end-to-end purchase, refunds, the deadline sweep and the
 * backlog, each part of Kessai in a process of its own, with the machine's floors measured in the
 * same run. `--quick` is the smoke test CI runs (under two minutes, figures meaningless).
 */
const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    sweep: { type: 'string' },
    backlog: { type: 'string' },
    label: { type: 'string' },
    kessai: { type: 'string' },
  },
});
const quick = options.quick;
const checkout = options.kessai ?? ROOT;
if (options.kessai) useKessaiFrom(options.kessai);
const plan = {
  levels: quick ? [16] : [1, 16, 64],
  seconds: Number(options.seconds ?? (quick ? 3 : 20)),
  warmupSeconds: quick ? 1 : 3,
  refundConcurrency: 16,
  sweepPayments: Number(options.sweep ?? (quick ? 100 : 100_000)),
  /** Two overdue jobs per payment: 15,000 payments make 30,000 overdue jobs. */
  backlogPayments: Number(options.backlog ?? (quick ? 100 : 30_000)),
  backlogConcurrency: 4,
  floorSeconds: quick ? 1 : 5,
  /** pg_stat_database is read after its counts settle (11 s each side), in full runs only. */
  settleStats: !quick,
};
const ms = (seconds: number) => seconds * 1000;
const log = (line: string) => process.stdout.write(`${line}\n`);
const summary = (steps: Steps) =>
  Object.fromEntries(STEPS.map((step) => [step, steps[step].summary()])) as StepSummary;

async function endToEnd(dialect: DialectName, layout: Layout, results: BenchResults): Promise<void> {
  log(`== end to end: ${dialect}, ${layout}`);
  const system = await startSystem(dialect, layout);
  try {
    await ready(system);
    for (const concurrency of plan.levels) {
      await loop(concurrency, ms(plan.warmupSeconds), () => purchase(system, newSteps()));
      const steps = newSteps();
      const measured = await measure(
        system,
        concurrency,
        () => loop(concurrency, ms(plan.seconds), () => purchase(system, steps)),
        plan.settleStats,
      );
      results.endToEnd.push({ dialect, layout, ...measured, steps: summary(steps) });
      log(
        `   c=${concurrency}: ${measured.perSecond} payments/s, p99 ${steps.total.summary().p99} ms, ${measured.errors} errors`,
      );
    }
    if (layout === 'serve') {
      const refunded = await refunds(system, plan.refundConcurrency, ms(plan.seconds), plan.settleStats);
      results.refunds.push({ dialect, ...refunded });
      log(`   refunds c=${plan.refundConcurrency}: ${refunded.perSecond}/s, p99 ${refunded.latency.p99} ms`);
    }
  } finally {
    await system.close();
  }
}

/**
 * Overdue work on one SQLite system: payments made while no worker runs, their jobs moved into the
 * past (as after an outage), then `kessai serve` with its worker started again.
 */
async function withOverdue(system: System, payments: number): Promise<number> {
  if (system.layout !== 'serve --no-jobs') await system.restartGateway('serve --no-jobs');
  const overdueJobs = await overduePayments(system, payments);
  await system.restartGateway('serve');
  return overdueJobs;
}

/** The deadline sweep: N payments past their deadline, until every one is final. */
async function sweep(system: System, results: BenchResults): Promise<void> {
  log(`== deadline sweep: ${plan.sweepPayments} payments`);
  const overdueJobs = await withOverdue(system, plan.sweepPayments);
  const measured = await measure(
    system,
    1,
    async () => {
      const started = performance.now();
      while ((await openOverduePayments(system)) > 0) await sleep(250);
      return {
        operations: plan.sweepPayments,
        errors: 0,
        firstError: null,
        seconds: (performance.now() - started) / 1000,
      };
    },
    false,
  );
  results.sweep = { dialect: 'sqlite', overdueJobs, ...measured };
  log(`   ${measured.perSecond} payments/s`);
}

/** Fresh purchases while the overdue jobs drain: how late is a fresh A02-1? */
async function backlog(system: System, results: BenchResults): Promise<void> {
  log(`== backlog: ${plan.backlogPayments} payments with overdue jobs`);
  const overdueJobs = await withOverdue(system, plan.backlogPayments);
  const started = performance.now();
  let drainedAfter: number | null = null;
  const steps = newSteps();
  const measured = await measure(
    system,
    plan.backlogConcurrency,
    async () => {
      const fresh = loop(plan.backlogConcurrency, ms(plan.seconds), () => purchase(system, steps));
      // The drain is watched until it is done, for at most 10 minutes.
      while (drainedAfter === null && performance.now() - started < ms(600)) {
        if ((await openOverduePayments(system)) === 0) drainedAfter = (performance.now() - started) / 1000;
        else await sleep(250);
      }
      return fresh;
    },
    false,
  );
  const receipt = steps.receipt;
  results.backlog = {
    dialect: 'sqlite',
    overdueJobs,
    drainedSeconds: drainedAfter === null ? null : round(drainedAfter),
    freshPayments: measured,
    receiptDelayMs: { ...receipt.summary(), max: round(receipt.percentile(100)) },
    steps: summary(steps),
  };
  log(
    `   fresh A02-1 after the pay request: p99 ${receipt.summary().p99} ms, max ${round(receipt.percentile(100))} ms`,
  );
}

/** Each overdue workload on a system of its own, so that one that fails leaves the other to run. */
async function overdueWork(
  workload: (system: System, results: BenchResults) => Promise<void>,
  results: BenchResults,
): Promise<void> {
  const system = await startSystem('sqlite', 'serve');
  try {
    await ready(system);
    await workload(system, results);
  } finally {
    await system.close();
  }
}

/**
 * Runs one workload; a failure (a gateway that does not start, a workload that breaks) is recorded
 * and shown with the results, and the run goes on to the next workload.
 */
async function attempt(workload: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results.failures.push({ workload, error: message.split('\n').slice(0, 3).join(' ').slice(0, 300) });
    log(`   ${workload} failed: ${message}`);
  }
}

const startedAt = new Date();
const results: BenchResults = {
  mode: quick ? 'quick' : 'full',
  label: options.label ?? null,
  code: {
    commit: execFileSync('git', ['-C', checkout, 'log', '-1', '--format=%h (%s)'], {
      encoding: 'utf8',
    }).trim(),
    baseline: options.kessai !== undefined,
  },
  machine: {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    date: startedAt.toISOString(),
    loadAverageAtStart: loadavg().map((value) => round(value)),
  },
  plan,
  floors: null,
  endToEnd: [],
  refunds: [],
  sweep: null,
  backlog: null,
  failures: [],
  seconds: 0,
};

log('== floors');
const floorMs = ms(plan.floorSeconds);
results.floors = {
  fastifyHello: await fastifyFloor(plan.levels, floorMs),
  sqliteCommits: sqliteCommitFloor(floorMs),
  postgresCommits: await postgresCommitFloor(16, floorMs),
  rsa2048: rsaFloor(floorMs),
};
log(`   ${JSON.stringify(results.floors)}`);
await attempt('end to end, sqlite serve', () => endToEnd('sqlite', 'serve', results));
await attempt('end to end, sqlite serve --processes 2', () =>
  endToEnd('sqlite', 'serve --processes 2', results),
);
await attempt('end to end, postgres serve', () => endToEnd('postgres', 'serve', results));
await attempt('end to end, sqlite start', () => endToEnd('sqlite', 'start', results));
await attempt('deadline sweep', () => overdueWork(sweep, results));
await attempt('backlog', () => overdueWork(backlog, results));
results.seconds = round((Date.now() - startedAt.getTime()) / 1000, 0);

// Every run's figures stay in bench/results/ (not committed); a full run also becomes the one
// bench/README.md shows: last-run.json, last-run.svg and the table, or for a baseline
// (`--kessai`) baseline-run.json, baseline-run.svg and the baseline's table.
const dir = join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const json = `${JSON.stringify(results, null, 2)}\n`;
writeFileSync(join(dir, `${stamp}-${results.mode}.json`), json);
writeFileSync(join(dir, `${stamp}-${results.mode}.svg`), chartSvg(results));
if (!quick) {
  const name = results.code.baseline ? 'baseline-run' : 'last-run';
  writeFileSync(join(ROOT, `bench/${name}.json`), json);
  writeFileSync(join(ROOT, `bench/${name}.svg`), chartSvg(results));
  writeReadme(join(ROOT, 'bench/README.md'), results, `${name}.svg`);
}
log(`== done in ${results.seconds} s: bench/results/${stamp}-${results.mode}.json`);

// No figure is judged, but a workload that completed nothing shows the benchmark (or the product)
// broken: the run fails, so that CI's smoke test means something.
const measured = [...results.endToEnd, ...results.refunds, results.backlog?.freshPayments];
const broken =
  measured.filter((m) => !m || m.operations === 0).length + (results.sweep ? 0 : 1) + results.failures.length;
for (const m of measured) if (m?.firstError) log(`   ${m.errors} errors, the first: ${m.firstError}`);
if (broken > 0) {
  log(`== ${broken} workloads completed nothing`);
  process.exitCode = 1;
}
