import { sql } from 'kysely';
import { CompiledQueries, columnsOf, compiledQuery } from '../db/compiled-queries';
import type { Db, RefundRow, RefundTable } from '../db/database';
import { recordTransition } from '../payments/record-transition';
import { REFUNDABLE_STATUSES } from './refund-rules';

/**
 * Refund rows and the payment's refund totals. Reserving, completing and releasing change the
 * totals with one conditional UPDATE each that re-checks `refunded + reserved + Δ ≤ amount`, so no
 * interleaving of requests, on either database, can refund more than was captured
 * (payment-lifecycle.md, Refund totals).
 */

// The statements run on every refund are compiled once (compiled-queries.ts); the refund row's
// insert has one shape per set of columns given.
const insertQueries = new CompiledQueries();
const byReplayKey = compiledQuery((db: Db, arg) =>
  db.selectFrom('refunds').selectAll().where('replay_key', '=', arg(0)),
);
const byRefundId = compiledQuery((db: Db, arg) =>
  db.selectFrom('refunds').selectAll().where('refund_id', '=', arg(0)),
);
const reservation = compiledQuery((db: Db, arg) =>
  db
    .updateTable('payments')
    .set({
      refund_reserved_amount: sql<number>`refund_reserved_amount + ${arg(1)}`,
      updated_at: arg(2),
    })
    .where('tracking_id', '=', arg(0))
    .where('status', 'in', REFUNDABLE_STATUSES)
    .where(sql<boolean>`refunded_amount + refund_reserved_amount + ${arg(1)} <= amount`),
);
const refundClaim = compiledQuery((db: Db, arg) =>
  db
    .updateTable('refunds')
    .set({ status: arg(1), result_code: arg(2), updated_at: arg(3), completed_at: arg(3) })
    .where('refund_id', '=', arg(0))
    .where('status', '=', 'PROCESSING'),
);
const reservationRelease = compiledQuery((db: Db, arg) =>
  db
    .updateTable('payments')
    .set({ refund_reserved_amount: sql<number>`refund_reserved_amount - ${arg(1)}`, updated_at: arg(2) })
    .where('tracking_id', '=', arg(0))
    .where('refund_reserved_amount', '>=', arg(1)),
);

export async function insertRefund(db: Db, row: RefundTable): Promise<void> {
  const columns = columnsOf(row);
  await insertQueries.run(
    db,
    `insertRefund ${columns.names}`,
    (arg) => db.insertInto('refunds').values(columns.placeholders(arg)),
    columns.values,
  );
}

export async function findRefundByReplayKey(db: Db, replayKey: string): Promise<RefundRow | undefined> {
  return (await byReplayKey(db, replayKey)).rows[0];
}

export async function findRefund(db: Db, refundId: string): Promise<RefundRow | undefined> {
  return (await byRefundId(db, refundId)).rows[0];
}

export async function listRefundsOf(db: Db, trackingId: string): Promise<RefundRow[]> {
  return db
    .selectFrom('refunds')
    .selectAll()
    .where('tracking_id', '=', trackingId)
    .orderBy('created_at')
    .orderBy('refund_id')
    .execute();
}

/** Reserves `amount` for a new refund; false when it no longer fits (or the state changed). */
export async function reserveRefundAmount(
  db: Db,
  trackingId: string,
  amount: number,
  now: Date,
): Promise<boolean> {
  const result = await reservation(db, trackingId, amount, now.getTime());
  return Number(result.numAffectedRows) === 1;
}

/**
 * Moves a PROCESSING refund to its final state and the reserved amount with it: into
 * `refunded_amount` (and the payment's status from the new totals, in the same statement) when it
 * succeeded, back to what remains when it failed. False when another path finished it first.
 */
export async function finishRefund(
  db: Db,
  refund: Pick<RefundRow, 'refund_id' | 'tracking_id' | 'amount'>,
  outcome: { status: 'SUCCEEDED' } | { status: 'FAILED'; resultCode: string },
  now: Date,
): Promise<boolean> {
  const at = now.getTime();
  const resultCode = outcome.status === 'FAILED' ? outcome.resultCode : 'SUCCESS';
  const claimed = await refundClaim(db, refund.refund_id, outcome.status, resultCode, at);
  if (Number(claimed.numAffectedRows) !== 1) return false;

  const x = refund.amount;
  const outOfStep = () => new Error(`refund ${refund.refund_id}: payment totals out of step`);
  if (outcome.status === 'FAILED') {
    // Kysely answers an UPDATE that matched nothing with a result, not an error: the row count is
    // the guard. Throwing rolls the claim back, so the refund stays PROCESSING for a retry.
    const released = await reservationRelease(db, refund.tracking_id, x, at);
    if (Number(released.numAffectedRows) !== 1) throw outOfStep();
    return true;
  }
  const moved = await recordTransition(db, {
    trackingId: refund.tracking_id,
    refund: { refundId: refund.refund_id, amount: x },
    now,
  });
  if (!moved) throw outOfStep();
  return true;
}
