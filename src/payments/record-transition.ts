import { sql } from 'kysely';
import { CompiledQueries, columnsOf, compiledQuery } from '../db/compiled-queries';
import type { Db, PaymentTable } from '../db/database';
import { REFUNDABLE_STATUSES } from '../refunds/refund-rules';
import { applyPaymentRollup, applyRefundRollup } from '../reporting/rollup.repository';
import { postCapture, postRefundSucceeded } from '../settlement/ledger-postings';
import { assertTransition, type CancelState, type PaymentStatus } from './payment-states';

/**
 * The one way a payment's status changes (payment-lifecycle.md, Payment states): inside the
 * caller's transaction, a conditional UPDATE on the current state checked by row count, then the
 * history row, the dashboard's rollup and the ledger entry settlement books for it. A writer that
 * lost the race changes nothing and learns it from the result.
 */

/** A move from one state to another, applied only if the payment is still in `from`. */
export interface StatusChange {
  trackingId: string;
  from: PaymentStatus;
  to: PaymentStatus;
  cause: string;
  resultCode?: string | null;
  /** The cancel sub-state the payment must be in (cancel wins); any when absent. */
  cancel?: CancelState['kind'];
  set?: Partial<Omit<PaymentTable, 'tracking_id' | 'status'>>;
  now: Date;
}

/**
 * A refund that succeeded: its reserved amount moves into `refunded_amount`, and the status follows
 * from the new totals in the same statement, so concurrent completions cannot leave a stale status.
 */
export interface RefundCompletion {
  trackingId: string;
  refund: { refundId: string; amount: number };
  now: Date;
}

export type Transition = StatusChange | RefundCompletion;

interface Moved {
  from: PaymentStatus;
  to: PaymentStatus;
  cause: string;
  resultCode: string | null;
}

const insertEvent = compiledQuery((db: Db, arg) =>
  db.insertInto('payment_events').values({
    tracking_id: arg(0),
    from_status: arg(1),
    to_status: arg(2),
    cause: arg(3),
    result_code: arg(4),
    at: arg(5),
  }),
);

/** Applies one transition; false when another writer got there first. Refuses moves outside the table. */
export async function recordTransition(tx: Db, transition: Transition): Promise<boolean> {
  const moved =
    'refund' in transition ? await completeRefund(tx, transition) : await changeStatus(tx, transition);
  if (!moved) return false;
  const { trackingId, now } = transition;
  await insertEvent(tx, trackingId, moved.from, moved.to, moved.cause, moved.resultCode, now.getTime());
  // The console's dashboard reads rollups kept in step with every change, in the same transaction.
  await applyPaymentRollup(tx, { trackingId, to: moved.to, at: now });
  if ('refund' in transition) {
    await applyRefundRollup(tx, { trackingId, amount: transition.refund.amount, at: now });
    await postRefundSucceeded(tx, transition.refund.refundId, now);
  }
  if (moved.to === 'CAPTURED') await postCapture(tx, trackingId, now);
  return true;
}

/** The status updates, one per set of columns changed and cancel sub-state required. */
const statusUpdates = new CompiledQueries();

async function changeStatus(tx: Db, change: StatusChange): Promise<Moved | null> {
  assertTransition(change.from, change.to);
  const columns = columnsOf({ ...change.set, status: change.to, updated_at: change.now.getTime() });
  const n = columns.values.length;
  const result = await statusUpdates.run(
    tx,
    `changeStatus ${columns.names} cancel ${change.cancel ?? 'any'}`,
    (arg) => {
      const update = tx
        .updateTable('payments')
        .set(columns.placeholders(arg))
        .where('tracking_id', '=', arg(n))
        .where('status', '=', arg(n + 1));
      if (change.cancel === 'OPEN') return update.where('cancel_requested_at', 'is', null);
      if (change.cancel === 'REQUESTED') return update.where('cancel_requested_at', 'is not', null);
      return update;
    },
    [...columns.values, change.trackingId, change.from],
  );
  if (Number(result.numAffectedRows) !== 1) return null;
  return { from: change.from, to: change.to, cause: change.cause, resultCode: change.resultCode ?? null };
}

const refundCompletion = compiledQuery((db: Db, arg) =>
  db
    .updateTable('payments')
    .set({
      refunded_amount: sql<number>`refunded_amount + ${arg(1)}`,
      refund_reserved_amount: sql<number>`refund_reserved_amount - ${arg(1)}`,
      status: sql<PaymentStatus>`CASE WHEN refunded_amount + ${arg(1)} = amount THEN 'REFUNDED' ELSE 'PARTIALLY_REFUNDED' END`,
      updated_at: arg(2),
    })
    .where('tracking_id', '=', arg(0))
    .where('status', 'in', REFUNDABLE_STATUSES)
    .where('refund_reserved_amount', '>=', arg(1))
    .returning(['status', 'refunded_amount']),
);

async function completeRefund(tx: Db, completion: RefundCompletion): Promise<Moved | null> {
  const x = completion.refund.amount;
  const updated = (await refundCompletion(tx, completion.trackingId, x, completion.now.getTime())).rows[0];
  if (!updated) return null;
  // The status before this statement follows from the totals: refunds leave CAPTURED only when
  // the first one succeeds.
  const from: PaymentStatus = updated.refunded_amount - x === 0 ? 'CAPTURED' : 'PARTIALLY_REFUNDED';
  const to = updated.status;
  assertTransition(from, to);
  return { from, to, cause: `refund ${completion.refund.refundId} succeeded`, resultCode: 'SUCCESS' };
}
