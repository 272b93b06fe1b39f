/**
 * CPU and SQLite work per completed payment, in one process: the gateway, the job worker and the
 * Alipay+ sandbox of the integration tests' stack (test/support/stack.ts), both on SQLite files.
 * Each payment goes in as A01-1, is paid through the sandbox's simulate API, and counts once the
 * merchant stub has received its A02-1. Prints the process's CPU per payment and, per database,
 * statements, writes, synced commits (a write outside a transaction is its own commit; the job
 * worker's unsynced bookkeeping, src/db/unsynced.ts, is not counted) and the time spent
 * inside SQLite per payment.
 * Not a test: numbers are printed, not asserted. Run under `node --cpu-prof` for a profile:
 *
 *   npx tsx bench/payment-cpu.ts [--payments 500] [--concurrency 8]
 *   node --import tsx --cpu-prof --cpu-prof-dir /tmp/prof bench/payment-cpu.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { simulatePay, startStack } from '../test/support/stack';

const { values } = parseArgs({
  options: {
    payments: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
  },
});
const payments = Number(values.payments);
const concurrency = Number(values.concurrency);

interface Counts {
  statements: number;
  writes: number;
  commits: number;
  /** Wall time inside better-sqlite3 (the calls are synchronous: SQLite's work, fsyncs included). */
  nanos: bigint;
}
const counts = new Map<string, Counts>();
const inTransaction = new WeakMap<SQLite.Database, boolean>();
/** Connections at `synchronous=NORMAL` for the job worker's bookkeeping (src/db/unsynced.ts). */
const unsynced = new WeakMap<SQLite.Database, boolean>();

/** Counts every statement better-sqlite3 runs, by database file, whoever prepared it. */
function countStatements(): void {
  const probe = new SQLite(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
  probe.close();
  for (const method of ['run', 'all', 'get', 'iterate'] as const) {
    const original = proto[method] as (this: SQLite.Statement, ...args: unknown[]) => unknown;
    proto[method] = function (this: SQLite.Statement, ...args: unknown[]) {
      const c = counts.get(this.database.name) ?? { statements: 0, writes: 0, commits: 0, nanos: 0n };
      counts.set(this.database.name, c);
      c.statements += 1;
      const verb = this.source.trimStart().slice(0, 8).toLowerCase();
      const synced = !unsynced.get(this.database);
      if (verb.startsWith('pragma')) {
        const setting = /synchronous = (\w+)/i.exec(this.source)?.[1]?.toUpperCase();
        if (setting) unsynced.set(this.database, setting === 'NORMAL');
      } else if (verb.startsWith('begin')) inTransaction.set(this.database, true);
      else if (verb.startsWith('commit') || verb.startsWith('rollback')) {
        inTransaction.set(this.database, false);
        if (synced) c.commits += 1;
      } else if (/^(insert|update|delete|replace)/.test(verb)) {
        c.writes += 1;
        if (!inTransaction.get(this.database) && synced) c.commits += 1;
      }
      const started = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        c.nanos += process.hrtime.bigint() - started;
      }
    };
  }
}

async function main(): Promise<void> {
  countStatements();
  const dir = mkdtempSync(join(tmpdir(), 'kessai-bench-'));
  const sandboxFile = join(dir, 'sandbox.sqlite');
  const stack = await startStack('sqlite', { env: { KESSAI_SANDBOX_DATABASE: `sqlite:${sandboxFile}` } });
  let received = stack.merchant.notifications.length;

  async function pay(): Promise<void> {
    const response = await stack.postPurchase();
    if (response.status !== 303) throw new Error(`purchase refused with HTTP ${response.status}`);
    const paid = await simulatePay(stack, { cashierUrl: response.headers.get('location')! });
    if (paid.status !== 'SUCCESS') throw new Error(`sandbox did not pay: ${paid.resultCode}`);
  }

  async function run(n: number): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          next += 1;
          await pay();
        }
      }),
    );
    received += n;
    await stack.merchant.waitForNotifications(received, 60_000);
  }

  await run(Math.min(50, payments)); // warm-up: JIT, caches
  counts.clear();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await run(payments);
  const used = process.cpuUsage(cpu);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;

  const perPayment = (n: number) => (n / payments).toFixed(2);
  console.log(`payments ${payments}, concurrency ${concurrency}, wall ${wallMs.toFixed(0)} ms`);
  console.log(
    `CPU per payment: ${perPayment((used.user + used.system) / 1000)} ms (user+system, whole process)`,
  );
  for (const [name, c] of counts) {
    const which = name === sandboxFile ? 'sandbox' : name === stack.database.url.slice(7) ? 'gateway' : name;
    console.log(
      `${which}: statements ${perPayment(c.statements)}, writes ${perPayment(c.writes)}, commits ${perPayment(c.commits)}, ` +
        `time in SQLite ${perPayment(Number(c.nanos) / 1e6)} ms per payment`,
    );
  }
  // Jobs still waiting once every payment has ended fire later, each a claim, a run and a finish.
  const pending = await stack.database.db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'PENDING')
    .executeTakeFirstOrThrow();
  console.log(`gateway: jobs left PENDING ${perPayment(Number(pending.n))} per payment`);
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
