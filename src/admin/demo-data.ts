import { randomBytes } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { DialectName } from '../db/connection';
import type { Database, NewPayment, RefundTable } from '../db/database';
import { jstDate } from '../kernel/jst';
import type { PaymentStatus } from '../payments/payment-states';
import { addRollups, REFUND_ROLLUP, type RollupDelta } from '../reporting/rollup.repository';
import { backfillLedger } from '../settlement/ledger-backfill';

/**
 * Realistic payments in bulk for demos and benchmarks (`kessai demo-data --payments 1000000`):
 * a year of finished payments of one service — captured, refunded in part or whole, failed,
 * cancelled, expired — with their state history, refunds and rollups, written by multi-row
 * inserts in transactions. Times rise through the year so every index is appended to, not
 * scattered into. A seeded generator makes a run reproducible.
 */
export interface SeedPaymentsOptions {
  count: number;
  merchantId: string;
  serviceId: string;
  /** The newest payment is just before this (default: now). */
  now?: Date;
  /** Spread over this many days up to `now` (default 364: all still refundable). */
  days?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedPaymentsResult {
  inserted: number;
  from: Date;
  to: Date;
}

const BATCH = 20_000;
/**
 * Rows per INSERT, under each database's limit on bound parameters (SQLite 32,766, PostgreSQL
 * 65,535): a payment has 37 columns, an event 6, a refund 15.
 */
const PAYMENTS_PER_STATEMENT: Record<DialectName, number> = { sqlite: 800, postgres: 1_700 };
const EVENTS_PER_STATEMENT: Record<DialectName, number> = { sqlite: 5_000, postgres: 10_000 };
const MAX_COUNT = 9_999_999;

const WALLETS: ReadonlyArray<readonly [string, number]> = [
  ['ALIPAY_CN', 35],
  ['ALIPAY_HK', 10],
  ['KAKAOPAY', 12],
  ['GCASH', 8],
  ['TNG', 6],
  ['TRUEMONEY', 8],
  ['DANA', 6],
  ['BOOST', 5],
  ['BPI', 4],
  ['RABBIT_LINE_PAY', 6],
];

type Ending = 'CAPTURED' | 'PARTIALLY_REFUNDED' | 'REFUNDED' | 'FAILED' | 'CANCELED' | 'EXPIRED' | 'IDLE';
const ENDINGS: ReadonlyArray<readonly [Ending, number]> = [
  ['CAPTURED', 72],
  ['PARTIALLY_REFUNDED', 3],
  ['REFUNDED', 4],
  ['FAILED', 4],
  ['CANCELED', 6],
  ['EXPIRED', 6],
  // Left on the selection screen: expired without ever reaching Alipay+.
  ['IDLE', 5],
];

const ITEMS: ReadonlyArray<readonly [string, string]> = [
  ['MATCHA-01', '抹茶セット'],
  ['SENCHA-02', '静岡煎茶 100g'],
  ['WAGASHI-03', '和菓子詰め合わせ'],
  ['KIMONO-04', '浴衣（藍染）'],
  ['KNIFE-05', '関の包丁 三徳'],
  ['SAKE-06', '純米吟醸 720ml'],
  ['CERAMIC-07', '有田焼 湯呑み'],
  ['TOWEL-08', '今治タオル ギフト'],
];

/** mulberry32: small, fast and good enough for test data (and the crash suite's choices). */
export function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, weighted: ReadonlyArray<readonly [T, number]>): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [value, weight] of weighted) {
    r -= weight;
    if (r < 0) return value;
  }
  return weighted[weighted.length - 1]![0];
}

interface Built {
  payment: NewPayment;
  events: Array<{
    tracking_id: string;
    from_status: PaymentStatus;
    to_status: PaymentStatus;
    cause: string;
    result_code: string | null;
    at: number;
  }>;
  refund: RefundTable | null;
  rollups: RollupDelta[];
}

export async function seedPayments(
  db: Kysely<Database>,
  dialect: DialectName,
  options: SeedPaymentsOptions,
): Promise<SeedPaymentsResult> {
  const { count, merchantId, serviceId } = options;
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new RangeError(`count must be 1–${MAX_COUNT}`);
  }
  const service = await db
    .selectFrom('services')
    .select('service_id')
    .where('merchant_id', '=', merchantId)
    .where('service_id', '=', serviceId)
    .executeTakeFirst();
  if (!service) throw new Error(`no service ${serviceId} of merchant ${merchantId}`);

  const random = generator(options.seed ?? 20260101);
  // Six digits of this run in every id: runs never collide with each other (nor, in practice,
  // with the gateway's random 14-digit tracking ids).
  const run = String(100_000 + Math.floor(random() * 900_000));
  const end = (options.now ?? new Date()).getTime() - 60_000;
  const span = (options.days ?? 364) * 86_400_000;
  const start = end - span;
  const step = span / count;

  // Hosted-page tokens must stay unguessable; drawing them 4,096 at a time keeps that cheap.
  let tokens = Buffer.alloc(0);
  let used = 0;
  const nextToken = () => {
    if (used === tokens.length) {
      tokens = randomBytes(24 * 4096);
      used = 0;
    }
    used += 24;
    return tokens.subarray(used - 24, used).toString('base64url');
  };

  const build = (i: number): Built => {
    const seq = String(i).padStart(7, '0');
    const trackingId = `8${run}${seq}`;
    const received = Math.floor(start + (i + random() * 0.9) * step);
    const ending = pick(random, ENDINGS);
    const wallet = pick(random, WALLETS);
    const amount = Math.max(
      100,
      Math.round(Math.exp(Math.log(300) + random() * Math.log(50_000 / 300)) / 10) * 10,
    );
    const [itemId, itemName] = ITEMS[Math.floor(random() * ITEMS.length)]!;
    const sent = ending !== 'IDLE';
    const inProgressAt = received + 15_000 + Math.floor(random() * 60_000);
    const endedAt =
      ending === 'IDLE' ? received + 30 * 60_000 : inProgressAt + 20_000 + Math.floor(random() * 120_000);
    const captured = ending === 'CAPTURED' || ending === 'PARTIALLY_REFUNDED' || ending === 'REFUNDED';
    const refunded =
      ending === 'REFUNDED'
        ? amount
        : ending === 'PARTIALLY_REFUNDED'
          ? Math.max(1, Math.floor(amount / 3))
          : 0;
    const finalStatus = ending === 'IDLE' ? 'EXPIRED' : ending;
    const capturedStatus = captured ? 'CAPTURED' : finalStatus;
    const refundAt = Math.min(endedAt + Math.floor(random() * 14 * 86_400_000), end);
    const payment: NewPayment = {
      tracking_id: trackingId,
      token: nextToken(),
      transaction_id: `KSDEMO${run}${seq}`.padEnd(32, '0'),
      merchant_id: merchantId,
      service_id: serviceId,
      order_id: `DEMO-${run}-${seq}`,
      status: finalStatus,
      amount,
      cust_code: `C${String(Math.floor(random() * 20_000)).padStart(6, '0')}`,
      item_id: itemId,
      item_name: itemName,
      request_fields: JSON.stringify({
        order_id: `DEMO-${run}-${seq}`,
        item_id: itemId,
        item_name: itemName,
        amount: String(amount),
      }),
      details: '[]',
      free_csv: '',
      charset: 'windows-31j',
      terminal_type: random() < 0.7 ? 'WAP' : 'WEB',
      os_type: null,
      user_agent: 'demo-data',
      client_ip: '203.0.113.10',
      received_at: received,
      updated_at: refunded ? refundAt : endedAt,
      in_progress_at: sent ? inProgressAt : null,
      deadline_at: sent ? inProgressAt + 600_000 : null,
      payment_request_id: sent ? `KSPDEMO${run}${seq}` : null,
      pay_outcome: sent ? 'CREATED' : null,
      redirect_url: null,
      alipay_payment_id: captured ? `2026DEMO${run}${seq}` : null,
      wallet: captured || ending === 'FAILED' ? wallet : null,
      paid_at: captured ? endedAt : null,
      cancel_requested_at: null,
      cancel_target: null,
      result_code: captured
        ? 'SUCCESS'
        : ending === 'FAILED'
          ? 'USER_BALANCE_NOT_ENOUGH'
          : sent
            ? 'ORDER_IS_CLOSED'
            : null,
      quote_currency_pair: captured ? 'JPY/CNY' : null,
      quote_price: captured ? '0.0482' : null,
      refunded_amount: refunded,
      refund_reserved_amount: 0,
    };
    const events: Built['events'] = [];
    const rollups: RollupDelta[] = [];
    const roll = (status: RollupDelta['status'], at: number, subBrand: string, value: number) =>
      rollups.push({
        merchantId,
        serviceId,
        day: jstDate(new Date(at)),
        subBrand,
        status,
        count: 1,
        amount: value,
      });
    if (sent) {
      events.push({
        tracking_id: trackingId,
        from_status: 'REQUESTED',
        to_status: 'IN_PROGRESS',
        cause: 'shopper chose Alipay+',
        result_code: null,
        at: inProgressAt,
      });
      roll('IN_PROGRESS', inProgressAt, '', amount);
    }
    events.push({
      tracking_id: trackingId,
      from_status: sent ? 'IN_PROGRESS' : 'REQUESTED',
      to_status: capturedStatus,
      cause: sent ? 'notification from Alipay+' : 'selection screen idle for 30 minutes',
      result_code: payment.result_code ?? null,
      at: endedAt,
    });
    roll(capturedStatus, endedAt, payment.wallet ?? '', amount);
    let refund: RefundTable | null = null;
    if (refunded > 0) {
      const refundId = `RFDEMO${run}${seq}`.padEnd(32, '0');
      refund = {
        refund_id: refundId,
        tracking_id: trackingId,
        merchant_id: merchantId,
        service_id: serviceId,
        amount: refunded,
        status: 'SUCCEEDED',
        refund_request_id: `KSRDEMO${run}${seq}`,
        replay_key: null,
        channel: 'CONSOLE',
        requested_by: 'demo-data',
        result_code: 'SUCCESS',
        processing_datetime: null,
        created_at: refundAt,
        updated_at: refundAt,
        completed_at: refundAt,
      };
      events.push({
        tracking_id: trackingId,
        from_status: 'CAPTURED',
        to_status: finalStatus,
        cause: `refund ${refundId} succeeded`,
        result_code: 'SUCCESS',
        at: refundAt,
      });
      roll(finalStatus as RollupDelta['status'], refundAt, wallet, amount);
      roll(REFUND_ROLLUP, refundAt, wallet, refunded);
    }
    return { payment, events, refund, rollups };
  };

  // Bulk data is not worth a sync per commit, and the customer-code indexes are written in random
  // order: while seeding, SQLite syncs at checkpoints only and keeps a large page cache.
  const restore: string[] = [];
  if (dialect === 'sqlite') {
    for (const [pragma, value] of [
      ['synchronous', 'NORMAL'],
      ['cache_size', '-262144'],
    ] as const) {
      const row = (await sql.raw<Record<string, number>>(`PRAGMA ${pragma}`).execute(db)).rows[0];
      restore.push(`PRAGMA ${pragma} = ${Number(row?.[pragma])}`);
      await sql.raw(`PRAGMA ${pragma} = ${value}`).execute(db);
    }
  }
  try {
    for (let done = 0; done < count; ) {
      const size = Math.min(BATCH, count - done);
      const batch = Array.from({ length: size }, (_, k) => build(done + k));
      await db.transaction().execute((tx) => insertBatch(tx, dialect, batch));
      done += size;
      options.onProgress?.(done, count);
    }
  } finally {
    for (const statement of restore) await sql.raw(statement).execute(db);
  }
  // The ledger books these payments the way the capture and refund hooks would have.
  await backfillLedger(db);
  // Fresh planner statistics for the search's index choices.
  await sql`ANALYZE`.execute(db);
  return { inserted: count, from: new Date(start), to: new Date(end) };
}

async function insertBatch(tx: Transaction<Database>, dialect: DialectName, batch: Built[]): Promise<void> {
  const payments = batch.map((b) => b.payment);
  const perPayments = PAYMENTS_PER_STATEMENT[dialect];
  for (let i = 0; i < payments.length; i += perPayments) {
    await tx
      .insertInto('payments')
      .values(payments.slice(i, i + perPayments))
      .execute();
  }
  const events = batch.flatMap((b) => b.events);
  const perEvents = EVENTS_PER_STATEMENT[dialect];
  for (let i = 0; i < events.length; i += perEvents) {
    await tx
      .insertInto('payment_events')
      .values(events.slice(i, i + perEvents))
      .execute();
  }
  const refunds = batch.flatMap((b) => (b.refund ? [b.refund] : []));
  for (let i = 0; i < refunds.length; i += perPayments) {
    await tx
      .insertInto('refunds')
      .values(refunds.slice(i, i + perPayments))
      .execute();
  }
  await addRollups(
    tx,
    batch.flatMap((b) => b.rollups),
  );
}
