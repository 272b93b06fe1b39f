import { sql } from 'kysely';
import pg from 'pg';
import { encodeForm, signedPurchaseForm } from '../src/channels/link/link-form';
import { buildXmlApiRequest, readXmlApiResponse } from '../src/channels/xml-api/xml-client';
import { REFUND_FUNCTION } from '../src/channels/xml-api/xml-request';
import { openDatabase } from '../src/db/connection';
import type { Database } from '../src/db/database';
import { formatJstCompact } from '../src/kernel/jst';
import { JOB_DEADLINE, JOB_EXPIRE_SELECTION } from '../src/payments/payment-schedule';
import { sleep, until } from '../test/crash/crash-system';
import { XML_API_PASSWORD } from '../test/support/merchant-api';
import { SPEC_PURCHASE_FIELDS } from '../test/support/spec-vectors';
import { PC_UA, TEST_HASH_KEY } from '../test/support/stack';
import { closedLoop, http, Latencies, round } from './client';
import type { BenchProcess, Sample } from './processes';
import { POSTGRES_URL, type System } from './system';

/** The steps of one end-to-end payment, timed from the shopper's and the merchant's side. */
export const STEPS = ['purchase', 'cashier', 'pay', 'return', 'receipt', 'total'] as const;
export type Steps = Record<(typeof STEPS)[number], Latencies>;
export const newSteps = (): Steps =>
  Object.fromEntries(STEPS.map((step) => [step, new Latencies()])) as Steps;

/** A payment's amount: large, so that many 1-yen partial refunds fit in it. */
const AMOUNT = 100_000;
/** How long a payment may wait for its A02-1 before it counts as an error. */
const RECEIPT_TIMEOUT_MS = 60_000;

let orders = 0;
/** Order ids: `P…` for payments made to completion, `O…` for those left to go overdue. */
const nextOrderId = (prefix: 'P' | 'O') => `${prefix}${process.pid}-${Date.now()}-${++orders}`;

/** A01-1: the merchant's signed purchase request; answers the sandbox cashier's URL. */
async function postPurchase(system: System, orderId: string): Promise<string> {
  const fields = {
    ...SPEC_PURCHASE_FIELDS,
    order_id: orderId,
    amount: String(AMOUNT),
    success_url: `${system.merchantUrl}/success`,
    cancel_url: `${system.merchantUrl}/cancel`,
    error_url: `${system.merchantUrl}/error`,
    pagecon_url: `${system.merchantUrl}/pagecon`,
    request_date: formatJstCompact(new Date()),
  };
  const answer = await http(`${system.gatewayUrl}/f01/FepBuyInfoReceive.do`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': PC_UA },
    body: encodeForm(signedPurchaseForm(fields, TEST_HASH_KEY), 'windows-31j'),
  });
  const cashierUrl = answer.headers.location;
  if (answer.status !== 303 || !cashierUrl) {
    throw new Error(`A01-1 answered ${answer.status}: ${answer.body.toString('utf8').slice(0, 200)}`);
  }
  return cashierUrl;
}

/** One payment from A01-1 to the merchant's A02-1, each step timed into `steps`. */
export async function purchase(system: System, steps: Steps): Promise<void> {
  const orderId = nextOrderId('P');
  let timer: NodeJS.Timeout | undefined;
  const receipt = Promise.race([
    system.awaitReceipt(orderId),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no A02-1 for ${orderId}`)), RECEIPT_TIMEOUT_MS);
    }),
  ]);
  receipt.catch(() => undefined);
  try {
    const t0 = performance.now();
    const cashierUrl = await postPurchase(system, orderId);
    const t1 = performance.now();
    const cashier = await http(cashierUrl, { headers: { 'user-agent': PC_UA } });
    if (cashier.status !== 200) throw new Error(`cashier answered ${cashier.status}`);
    const t2 = performance.now();
    const paid = await http(`${system.sandboxUrl}/sandbox/v1/simulate/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cashierUrl, wallet: 'GCASH', user: 'alice', action: 'pay' }),
    });
    const { redirectUrl, status } = JSON.parse(paid.body.toString('utf8')) as {
      redirectUrl?: string;
      status?: string;
    };
    if (status !== 'SUCCESS' || !redirectUrl) throw new Error(`simulate/pay: ${paid.body.toString('utf8')}`);
    const t3 = performance.now();
    const back = await http(redirectUrl, { headers: { 'user-agent': PC_UA } });
    if (back.status >= 400) throw new Error(`return to the gateway answered ${back.status}`);
    const t4 = performance.now();
    // The A02-1 may come before the shopper is back: the payment is done when both are.
    const receivedAt = await receipt;
    steps.purchase.add(t1 - t0);
    steps.cashier.add(t2 - t1);
    steps.pay.add(t3 - t2);
    steps.return.add(t4 - t3);
    steps.receipt.add(receivedAt - t2);
    steps.total.add(Math.max(receivedAt, t4) - t0);
  } finally {
    clearTimeout(timer);
  }
}

/** What the processes used while `work` ran, per completed operation. */
export interface Measured {
  concurrency: number;
  operations: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  perSecond: number;
  /** CPU ms per operation, by process (the load generator included). */
  cpuMsPerOp: Record<string, number>;
  /** Statements and fsynced commits per operation, counted in the process (db-counters.mjs). */
  statementsPerOp: Record<string, number>;
  commitsPerOp: Record<string, number>;
  /** PostgreSQL: pg_stat_database.xact_commit per operation (every transaction, reads too). */
  pgXactCommitsPerOp: number | null;
  /** Resident memory at the end, and the most since the process started, MB, by process. */
  rssMb: Record<string, number>;
  peakRssMb: Record<string, number>;
}

function sampleAll(processes: BenchProcess[]): Map<string, Sample> {
  const samples = new Map<string, Sample>();
  for (const p of processes) samples.set(p.name, p.sample());
  const cpu = process.cpuUsage();
  samples.set('loadgen', {
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssMb: process.memoryUsage().rss / 2 ** 20,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    db: { statements: 0, commits: 0 },
  });
  return samples;
}

export async function pgXactCommits(database: string): Promise<number> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1',
      [database],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL's backends report their counts to pg_stat_database when idle, at the latest after
 * 10 s (PGSTAT_IDLE_INTERVAL): the full run waits that long around each measurement.
 */
const PG_STATS_SETTLE_MS = 11_000;

/**
 * Runs `run` (which does the operations and answers how many) and measures every process of
 * `system`. `settleStats` waits for pg_stat_database before and after (full runs).
 */
export async function measure(
  system: System,
  concurrency: number,
  run: () => Promise<{ operations: number; errors: number; firstError: string | null; seconds: number }>,
  settleStats: boolean,
): Promise<Measured> {
  const processes = [system.gateway, system.merchant, ...(system.sandbox ? [system.sandbox] : [])];
  const pgStats = system.pgDatabase !== null && settleStats;
  if (pgStats) await sleep(PG_STATS_SETTLE_MS);
  const xact0 = pgStats ? await pgXactCommits(system.pgDatabase!) : 0;
  const before = sampleAll(processes);
  const result = await run();
  // The counters file is rewritten every 200 ms.
  await sleep(pgStats ? PG_STATS_SETTLE_MS : 500);
  const after = sampleAll(processes);
  const xact1 = pgStats ? await pgXactCommits(system.pgDatabase!) : 0;
  const per = (value: number) => round(value / Math.max(result.operations, 1), 3);
  const byProcess = (read: (s: Sample) => number, only?: (name: string) => boolean) =>
    Object.fromEntries(
      [...after]
        .filter(([name]) => !only || only(name))
        .map(([name, sample]) => [name, per(read(sample) - read(before.get(name)!))]),
    );
  const hasDb = (name: string) => name === 'gateway' || name === 'sandbox';
  return {
    concurrency,
    operations: result.operations,
    errors: result.errors,
    firstError: result.firstError,
    seconds: round(result.seconds),
    perSecond: round(result.operations / result.seconds, 1),
    cpuMsPerOp: byProcess((s) => s.cpuMs),
    statementsPerOp: byProcess((s) => s.db.statements, hasDb),
    commitsPerOp: byProcess((s) => s.db.commits, hasDb),
    pgXactCommitsPerOp: pgStats ? per(xact1 - xact0) : null,
    rssMb: Object.fromEntries([...after].map(([name, s]) => [name, round(s.rssMb, 1)])),
    peakRssMb: Object.fromEntries([...after].map(([name, s]) => [name, round(s.peakRssMb, 1)])),
  };
}

/** `work` in `concurrency` lanes for `durationMs`, errors counted (a failed operation is not one). */
export async function loop(
  concurrency: number,
  durationMs: number,
  work: () => Promise<void>,
): Promise<{ operations: number; errors: number; firstError: string | null; seconds: number }> {
  let errors = 0;
  let firstError: string | null = null;
  const { completed, seconds } = await closedLoop(concurrency, durationMs, async () => {
    try {
      await work();
    } catch (error) {
      errors++;
      firstError ??= error instanceof Error ? error.message : String(error);
    }
  });
  return { operations: completed - errors, errors, firstError, seconds };
}

/** Waits until the demo merchant can take payments (its first-start registration is approved). */
export async function ready(system: System): Promise<void> {
  await until(
    async () => {
      try {
        await purchase(system, newSteps());
        return true;
      } catch {
        return false;
      }
    },
    60_000,
    'the first payment',
  );
}

export function openGatewayDatabase(system: System) {
  return openDatabase<Database>(system.databaseUrl);
}

/** XML API partial refunds of 1 yen, spread over the captured payments (never two at once on one). */
export async function refunds(system: System, concurrency: number, durationMs: number, settleStats: boolean) {
  const connection = openGatewayDatabase(system);
  const payments = await connection.db
    .selectFrom('payments')
    .select('tracking_id')
    .where('status', 'in', ['CAPTURED', 'PARTIALLY_REFUNDED'])
    .limit(5000)
    .execute();
  await connection.close();
  if (payments.length < concurrency) throw new Error(`only ${payments.length} captured payments to refund`);
  const latencies = new Latencies();
  let next = 0;
  const refundOne = async () => {
    const trackingId = payments[next++ % payments.length]!.tracking_id;
    const body = buildXmlApiRequest(
      REFUND_FUNCTION,
      {
        merchantId: '30000',
        serviceId: '001',
        trackingId,
        amount: '1',
        requestDate: formatJstCompact(new Date()),
      },
      TEST_HASH_KEY,
    );
    const started = performance.now();
    const answer = await http(`${system.gatewayUrl}/api/xmlapi.do`, {
      method: 'POST',
      headers: {
        'content-type': 'text/xml',
        authorization: `Basic ${Buffer.from(`30000001:${XML_API_PASSWORD}`).toString('base64')}`,
      },
      body,
    });
    const fields = readXmlApiResponse(answer.body).fields;
    if (answer.status !== 200 || fields.res_result !== 'OK') {
      throw new Error(`refund answered ${answer.status} ${JSON.stringify(fields)}`);
    }
    latencies.add(performance.now() - started);
  };
  const measured = await measure(
    system,
    concurrency,
    () => loop(concurrency, durationMs, refundOne),
    settleStats,
  );
  return { ...measured, latency: latencies.summary() };
}

/**
 * Makes `count` payments that wait on Alipay+ (A01-1 only: `pay` was sent, the shopper never pays)
 * and moves their jobs (the deadline; no selection expiry, as none ever saw a selection screen) 31
 * minutes into the past, as after a long outage. Answers how many jobs are now overdue.
 */
export async function overduePayments(system: System, count: number): Promise<number> {
  let made = 0;
  const lane = async () => {
    while (made < count) {
      made++;
      await postPurchase(system, nextOrderId('O'));
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  const connection = openGatewayDatabase(system);
  try {
    const moved = await connection.db
      .updateTable('jobs')
      .set({ due_at: sql`due_at - ${31 * 60_000}` })
      .where('status', '=', 'PENDING')
      .where('kind', 'in', [JOB_DEADLINE, JOB_EXPIRE_SELECTION])
      .executeTakeFirst();
    return Number(moved.numUpdatedRows);
  } finally {
    await connection.close();
  }
}

/** Payments made by overduePayments that are not final yet (REQUESTED or IN_PROGRESS). */
export async function openOverduePayments(system: System): Promise<number> {
  const connection = openGatewayDatabase(system);
  try {
    const row = await connection.db
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['REQUESTED', 'IN_PROGRESS'])
      .where('order_id', 'like', 'O%')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await connection.close();
  }
}
