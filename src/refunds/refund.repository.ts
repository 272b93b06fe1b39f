import { sql } from 'kysely';
import type { Db, RefundRow, RefundTable } from '../db/database';
import { recordTransition } from '../payments/record-transition';
import { REFUNDABLE_STATUSES } from './refund-rules';

/**
 * Refund rows and the payment's refund totals. Reserving, completing and releasing change the
 * totals with one conditional UPDATE each that re-checks `refunded + reserved + Δ ≤ amount`, so no
 * interleaving of requests, on either database, can refund more than was captured
 * (payment-lifecycle.md, Refund totals).
 */

export async function insertRefund(db: Db, row: RefundTable): Promise<void> {
  await db.insertInto('refunds').values(row).execute();
}

export async function findRefundByReplayKey(db: Db, replayKey: string): Promise<RefundRow | undefined> {
  return db.selectFrom('refunds').selectAll().where('replay_key', '=', replayKey).executeTakeFirst();
}

export async function findRefund(db: Db, refundId: string): Promise<RefundRow | undefined> {
  return db.selectFrom('refunds').selectAll().where('refund_id', '=', refundId).executeTakeFirst();
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
  const result = await db
    .updateTable('payments')
    .set({
      refund_reserved_amount: sql<number>`refund_reserved_amount + ${amount}`,
      updated_at: now.getTime(),
    })
    .where('tracking_id', '=', trackingId)
    .where('status', 'in', REFUNDABLE_STATUSES)
    .where(sql<boolean>`refunded_amount + refund_reserved_amount + ${amount} <= amount`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
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
  const claimed = await db
    .updateTable('refunds')
    .set({
      status: outcome.status,
      result_code: outcome.status === 'FAILED' ? outcome.resultCode : 'SUCCESS',
      updated_at: at,
      completed_at: at,
    })
    .where('refund_id', '=', refund.refund_id)
    .where('status', '=', 'PROCESSING')
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return false;

  const x = refund.amount;
  const outOfStep = () => new Error(`refund ${refund.refund_id}: payment totals out of step`);
  if (outcome.status === 'FAILED') {
    // Kysely answers an UPDATE that matched nothing with a result, not an error: the row count is
    // the guard. Throwing rolls the claim back, so the refund stays PROCESSING for a retry.
    const released = await db
      .updateTable('payments')
      .set({ refund_reserved_amount: sql<number>`refund_reserved_amount - ${x}`, updated_at: at })
      .where('tracking_id', '=', refund.tracking_id)
      .where('refund_reserved_amount', '>=', x)
      .executeTakeFirst();
    if (Number(released.numUpdatedRows) !== 1) throw outOfStep();
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
