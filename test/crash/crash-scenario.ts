import { generator as prng } from '../../src/admin/demo-data';
import { loadConfig } from '../../src/app/config';
import { startRuntime } from '../../src/app/runtime';
import { OffsetClock } from '../../src/kernel/clock';
import { xmlApiRefund } from '../support/merchant-api';
import { PC_UA } from '../support/stack';

/**
 * The jobs that carry payments, refunds and notifications to their end. The recurring ones (the
 * daily settlement fetch and close, registration inquiries) always have a next run pending.
 */
const MONEY_PATH_JOBS = [
  JOB_EXPIRE_SELECTION,
  JOB_DEADLINE,
  JOB_CANCEL,
  JOB_REVERSE_LATE_PAYMENT,
  JOB_RESEND_REFUND,
  DELIVER_NOTIFICATION,
];

import { DELIVER_NOTIFICATION } from '../../src/notifications/notification.service';
import {
  JOB_CANCEL,
  JOB_DEADLINE,
  JOB_EXPIRE_SELECTION,
  JOB_REVERSE_LATE_PAYMENT,
} from '../../src/payments/payment-schedule';
import type { PaymentStatus } from '../../src/payments/payment-states';
import { JOB_RESEND_REFUND } from '../../src/refunds/refund.service';
import {
  ALIPAYPLUS_TIMEOUT_MS,
  type CrashSystem,
  type KessaiProcess,
  postPurchase,
  sleep,
  until,
} from './crash-system';

/**
 * What the crash suite does to the system (operations.md, Crash suite): a stream of payments and
 * refunds with the sandbox's faults on, processes killed with SIGKILL at random moments and started
 * again, then a settling phase in which time moves past every deadline and retry.
 */

/** Faults on every API and on notifications, each firing now and then (sandbox.md, Control API). */
const FAULTS = [
  { api: 'pay', mode: 'unknown', probability: 0.05 },
  { api: 'pay', mode: 'http500', probability: 0.03 },
  { api: 'pay', mode: 'drop', probability: 0.03 },
  { api: 'pay', mode: 'timeout', probability: 0.02, delayMs: ALIPAYPLUS_TIMEOUT_MS + 500 },
  { api: 'inquiryPayment', mode: 'unknown', probability: 0.05 },
  { api: 'inquiryPayment', mode: 'http500', probability: 0.03 },
  { api: 'cancelPayment', mode: 'unknown', probability: 0.05 },
  { api: 'cancelPayment', mode: 'http500', probability: 0.05 },
  { api: 'refund', mode: 'unknown', probability: 0.08 },
  { api: 'refund', mode: 'http500', probability: 0.04 },
  { api: 'refund', mode: 'drop', probability: 0.03 },
  { api: 'refund', mode: 'timeout', probability: 0.03, delayMs: ALIPAYPLUS_TIMEOUT_MS + 500 },
  { api: 'notify', mode: 'drop', probability: 0.1 },
  { api: 'notify', mode: 'delay', probability: 0.05, delayMs: 1500 },
  { api: 'notify', mode: 'duplicate', probability: 0.1 },
] as const;

export async function injectFaults(sandboxUrl: string): Promise<void> {
  for (const fault of FAULTS) {
    const response = await fetch(`${sandboxUrl}/sandbox/v1/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ count: 1_000_000, ...fault }),
    });
    if (response.status !== 201) throw new Error(`fault refused: ${await response.text()}`);
  }
}

/** Amounts: ordinary ones, and the sandbox's magic ones (a late, a lost and a repeated notification). */
const AMOUNTS = [1500, 2980, 10_000, 123_456, 5001, 5003, 5004, 5005, 6001, 6002, 4001];

export interface StreamReport {
  /** Purchase requests sent, and those a gateway took (a payment exists). */
  attempts: number;
  payments: number;
  refunds: number;
  /** Requests that reached no gateway (a gateway was down): not answers. */
  refused: number;
  /** Every answer body, for the `SQLITE_BUSY` check. */
  answers: string[];
  /** Answers with HTTP 500: an error nobody handled. */
  unhandled: string[];
}

/**
 * `lanes` shoppers and merchants in parallel until the gateways took `payments` purchases and `keepGoing`
 * says stop: buy, pay (or refuse, or cancel) at the sandbox, come back; refund some payments over
 * the XML API, partly, fully, or twice at once.
 */
export async function runStream(
  system: CrashSystem,
  seed: number,
  options: {
    lanes: number;
    payments: number;
    keepGoing: () => boolean;
    progress: (payments: number) => void;
  },
): Promise<StreamReport> {
  const report: StreamReport = {
    attempts: 0,
    payments: 0,
    refunds: 0,
    refused: 0,
    answers: [],
    unhandled: [],
  };
  const answered = async (response: Response): Promise<string> => {
    const text = await response.text();
    report.answers.push(text);
    if (response.status === 500) report.unhandled.push(`${response.url}: ${text.slice(0, 300)}`);
    return text;
  };
  const trackingIdOf = async (orderId: string): Promise<{ trackingId: string; amount: number } | null> => {
    const row = await system.database.db
      .selectFrom('payments')
      .select(['tracking_id', 'amount', 'status'])
      .where('order_id', '=', orderId)
      .executeTakeFirst();
    return row && row.status === 'CAPTURED' ? { trackingId: row.tracking_id, amount: row.amount } : null;
  };
  const refund = async (trackingId: string, amount: number | undefined) => {
    report.refunds++;
    try {
      const fields = await xmlApiRefund(system.gatewayUrl, trackingId, amount, new Date());
      report.answers.push(JSON.stringify(fields));
    } catch (error) {
      report.refused++;
      report.answers.push(String(error));
    }
  };

  const lane = async (laneNo: number) => {
    const random = prng(seed + laneNo);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    while (report.payments < options.payments || options.keepGoing()) {
      const orderId = `CRASH-${seed}-${laneNo}-${report.attempts}-${Date.now()}`;
      const amount = pick(AMOUNTS);
      const action = random();
      const refundPlan = random();
      report.attempts++;
      try {
        const purchase = await postPurchase(system, { order_id: orderId, amount: String(amount) });
        await answered(purchase);
        const cashierUrl = purchase.headers.get('location');
        if (purchase.status !== 303 || !cashierUrl) continue;
        report.payments++;
        options.progress(report.payments);
        if (report.payments % 100 === 0)
          console.log(`  ${report.payments} payments, ${report.refunds} refunds`);
        const paid = await fetch(`${system.sandboxUrl}/sandbox/v1/simulate/pay`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            cashierUrl,
            wallet: 'GCASH',
            user: action < 0.08 ? 'nofunds' : 'alice',
            action: action > 0.92 ? 'cancel' : 'pay',
          }),
        });
        const { redirectUrl, status } = JSON.parse(await answered(paid)) as {
          redirectUrl?: string;
          status?: string;
        };
        if (redirectUrl) {
          await answered(await fetch(redirectUrl, { redirect: 'manual', headers: { 'User-Agent': PC_UA } }));
        }
        if (status !== 'SUCCESS' || refundPlan > 0.5) continue;
        // The merchant refunds once the payment is captured (it learns so from the A02-1).
        let captured: { trackingId: string; amount: number } | null = null;
        for (let i = 0; i < 30 && !captured; i++) {
          captured = await trackingIdOf(orderId);
          if (!captured) await sleep(100);
        }
        if (!captured) continue;
        if (refundPlan < 0.15) {
          await refund(captured.trackingId, undefined);
        } else if (refundPlan < 0.3) {
          // Two partial refunds at once that together exceed the payment: one must be refused.
          const part = Math.ceil(captured.amount * 0.6);
          await Promise.all([refund(captured.trackingId, part), refund(captured.trackingId, part)]);
        } else {
          const part = Math.max(1, Math.floor(captured.amount * random() * 0.5));
          await refund(captured.trackingId, part);
          await refund(captured.trackingId, part);
        }
      } catch {
        // A process was killed under this request: the load balancer's next try is the next request.
        report.refused++;
        await sleep(300);
      }
    }
  };
  await Promise.all(Array.from({ length: options.lanes }, (_, i) => lane(i)));
  return report;
}

export interface ChaosReport {
  kills: Array<{ name: string; at: number }>;
}

/**
 * Kills one process after another with SIGKILL at random moments and starts it again, until every
 * process was killed `minKillsEach` times (in a seeded order) and `enough()` says so.
 */
export async function runChaos(
  system: CrashSystem,
  seed: number,
  options: { minKillsEach: number; enough: () => boolean; onRestart: (p: KessaiProcess) => Promise<void> },
): Promise<ChaosReport> {
  const random = prng(seed ^ 0x5eed);
  const planned = system.processes.flatMap((p) => Array.from({ length: options.minKillsEach }, () => p));
  for (let i = planned.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [planned[i], planned[j]] = [planned[j]!, planned[i]!];
  }
  const report: ChaosReport = { kills: [] };
  const started = Date.now();
  while (planned.length > 0 || !options.enough()) {
    // The planned kills come fast; after them, the stream gets longer stretches to make progress.
    await sleep(planned.length > 0 ? 1000 + random() * 3000 : 4000 + random() * 6000);
    if (planned.length === 0 && options.enough()) break;
    const victim = planned.shift() ?? system.processes[Math.floor(random() * system.processes.length)]!;
    await victim.stop('SIGKILL');
    report.kills.push({ name: victim.name, at: Date.now() - started });
    await sleep(random() * 1500);
    await victim.start();
    await options.onRestart(victim);
  }
  return report;
}

/** Payments that wait on nothing any more: paid (refunds may follow), or closed. */
export const SETTLED: PaymentStatus[] = [
  'CAPTURED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
  'FAILED',
  'CANCELED',
  'EXPIRED',
];

/**
 * Lets everything finish: faults off, every process up, the workers stopped with SIGTERM, then a
 * worker of this process whose clock moves forward (past the 10-minute deadlines, the 30-minute
 * selection lifetime, the refund and notification retry schedules) until nothing is left to do.
 */
export async function settle(system: CrashSystem): Promise<{ clockAdvancedMs: number }> {
  await fetch(`${system.sandboxUrl}/sandbox/v1/faults`, { method: 'DELETE' });
  for (const p of system.processes) if (!p.running) await p.start();
  const db = system.database.db;
  // What finishes on its own (notifications, refund re-sends due soon) is left to the processes.
  await sleep(5000);
  for (const p of system.processes) if (p.role === 'worker') await p.stop('SIGTERM');

  const clock = new OffsetClock();
  const config = loadConfig({ ...system.env, KESSAI_LOG_LEVEL: 'error' }, 'demo');
  const runtime = await startRuntime({
    config,
    components: { gateway: false, jobs: true, sandbox: false, shop: false },
    clock,
    ...(system.database.searchPath ? { searchPath: system.database.searchPath } : {}),
    jobPollIntervalMs: 100,
  });
  try {
    const unsettled = async () => {
      const open = await db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'not in', SETTLED)
        .executeTakeFirstOrThrow();
      const refunds = await db
        .selectFrom('refunds')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'PROCESSING')
        .executeTakeFirstOrThrow();
      const jobs = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['PENDING', 'RUNNING'])
        .where('kind', 'in', MONEY_PATH_JOBS)
        .executeTakeFirstOrThrow();
      return Number(open.n) + Number(refunds.n) + Number(jobs.n);
    };
    const running = async () =>
      Number(
        (
          await db
            .selectFrom('jobs')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('status', '=', 'RUNNING')
            .executeTakeFirstOrThrow()
        ).n,
      );
    // 35 minutes first (deadlines, selection lifetime, leases), then half an hour at a time, up to
    // a day and more (the last A02-1 retry comes about 24 h after the first attempt).
    clock.advance(35 * 60_000);
    await until(
      async () => {
        if ((await unsettled()) === 0) return true;
        await sleep(1500);
        if ((await unsettled()) === 0) return true;
        // Never under a running job: its lease would run out in a jump, and it would run twice.
        if (clock.offset < 26 * 3_600_000 && (await running()) === 0) clock.advance(30 * 60_000);
        return false;
      },
      150_000,
      'everything to settle',
    );
    return { clockAdvancedMs: clock.offset };
  } finally {
    await runtime.close();
  }
}
