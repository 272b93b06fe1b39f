import { type Insertable, sql } from 'kysely';
import { compiledQuery } from '../db/compiled-queries';
import type { Db, PaymentRollupTable } from '../db/database';
import { jstDate } from '../kernel/jst';
import type { PaymentStatus } from '../payments/payment-states';

/**
 * The dashboard's rollups (admin.md, Quality bar): counts and yen per merchant, service, JST day,
 * sub-brand and the status a payment entered, written in the transaction of each state change so
 * the dashboard never aggregates over payments. A succeeded refund is counted under `REFUND`.
 */
export const REFUND_ROLLUP = 'REFUND';

export type RollupStatus = PaymentStatus | typeof REFUND_ROLLUP;

export interface RollupDelta {
  merchantId: string;
  serviceId: string;
  /** `YYYY-MM-DD`, JST. */
  day: string;
  /** The Alipay+ wallet code, '' while unknown (before capture). */
  subBrand: string;
  status: RollupStatus;
  count: number;
  amount: number;
}

export interface PaymentRollupChange {
  trackingId: string;
  /** The status the payment has just entered. */
  to: PaymentStatus;
  at: Date;
}

export interface RefundRollupChange {
  trackingId: string;
  /** The yen amount of the refund that has just succeeded. */
  amount: number;
  at: Date;
}

function rollupKey(d: RollupDelta): string {
  return `${d.merchantId}\u0000${d.serviceId}\u0000${d.day}\u0000${d.subBrand}\u0000${d.status}`;
}

/**
 * Adds deltas to their rollup rows (insert or increment). Deltas for the same row are merged
 * first: PostgreSQL refuses to update one row twice in a single upsert.
 */
export async function addRollups(db: Db, deltas: readonly RollupDelta[]): Promise<void> {
  const merged = new Map<string, RollupDelta>();
  for (const d of deltas) {
    const key = rollupKey(d);
    const seen = merged.get(key);
    if (seen) {
      seen.count += d.count;
      seen.amount += d.amount;
    } else {
      merged.set(key, { ...d });
    }
  }
  const rows = [...merged.values()].map((d) => ({
    merchant_id: d.merchantId,
    service_id: d.serviceId,
    day: d.day,
    sub_brand: d.subBrand,
    status: d.status,
    count: d.count,
    amount: d.amount,
  }));
  // 7 parameters a row: 500 rows stay far below SQLite's limit of bound parameters.
  for (let i = 0; i < rows.length; i += 500) {
    await upsertRollups(db, rows.slice(i, i + 500)).execute();
  }
}

/** Inserts rollup rows, or adds their count and amount to the rows already there. */
function upsertRollups(db: Db, rows: Insertable<PaymentRollupTable>[]) {
  return db
    .insertInto('payment_rollups')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['merchant_id', 'service_id', 'day', 'sub_brand', 'status']).doUpdateSet((eb) => ({
        count: eb('payment_rollups.count', '+', eb.ref('excluded.count')),
        amount: eb('payment_rollups.amount', '+', eb.ref('excluded.amount')),
      })),
    );
}

// Run in the transaction of every state change: compiled once (compiled-queries.ts).
const rollupFactsOf = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('payments')
    .select(['merchant_id', 'service_id', 'amount', 'wallet'])
    .where('tracking_id', '=', arg(0)),
);
const countOne = compiledQuery((db: Db, arg) =>
  upsertRollups(db, [
    {
      merchant_id: arg(0),
      service_id: arg(1),
      day: arg(2),
      sub_brand: arg(3),
      status: arg(4),
      count: 1,
      amount: arg(5),
    },
  ]),
);

/** Adds one change of a payment to its row: `amount` yen, or the payment's whole amount. */
async function countChange(tx: Db, trackingId: string, at: Date, status: RollupStatus, amount?: number) {
  const p = (await rollupFactsOf(tx, trackingId)).rows[0];
  if (!p) throw new Error(`rollup of payment ${trackingId}: no such payment`);
  await countOne(tx, p.merchant_id, p.service_id, jstDate(at), p.wallet ?? '', status, amount ?? p.amount);
}

/** Counts a transition; call inside the transaction that applied it, after the update. */
export async function applyPaymentRollup(tx: Db, change: PaymentRollupChange): Promise<void> {
  await countChange(tx, change.trackingId, change.at, change.to);
}

/** Counts a refund that has succeeded; call inside the transaction that completed it. */
export async function applyRefundRollup(tx: Db, change: RefundRollupChange): Promise<void> {
  await countChange(tx, change.trackingId, change.at, REFUND_ROLLUP, change.amount);
}

export interface RollupCell {
  day: string;
  subBrand: string;
  status: string;
  count: number;
  amount: number;
}

/**
 * Rollups per JST day, sub-brand and status over `fromDay`..`toDay` (inclusive), summed over a
 * merchant's services, or over every merchant (operators). At most days × sub-brands × statuses rows.
 */
export async function rollupsByDay(
  db: Db,
  scope: { merchantId: string | null },
  fromDay: string,
  toDay: string,
): Promise<RollupCell[]> {
  let q = db
    .selectFrom('payment_rollups')
    .select([
      'day',
      'sub_brand',
      'status',
      // PostgreSQL sums BIGINT as NUMERIC, which its driver returns as a string.
      sql<string | number>`sum(count)`.as('count'),
      sql<string | number>`sum(amount)`.as('amount'),
    ])
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay);
  if (scope.merchantId !== null) q = q.where('merchant_id', '=', scope.merchantId);
  const rows = await q.groupBy(['day', 'sub_brand', 'status']).execute();
  return rows.map((r) => ({
    day: r.day,
    subBrand: r.sub_brand,
    status: r.status,
    count: Number(r.count),
    amount: Number(r.amount),
  }));
}
