import { applyPaymentRollup } from '../admin/rollup.repository';
import type { Db, NewPayment, PaymentRow, PaymentTable } from '../db/database';
import { postCapture } from '../settlement/ledger-postings';
import type { ProviderExchange } from './payment-provider';
import { assertTransition, type PaymentStatus } from './payment-states';

/**
 * Payments in the database. State changes are conditional updates on the current state (plus the
 * cancel mark where the cancel-wins rule needs it), checked by row count, with the history row
 * written in the same transaction by the caller's transaction (payment-lifecycle.md).
 */
export async function insertPayment(db: Db, row: NewPayment): Promise<void> {
  await db.insertInto('payments').values(row).execute();
}

export async function findPaymentByToken(db: Db, token: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('token', '=', token).executeTakeFirst();
}

export async function findPaymentByTrackingId(db: Db, trackingId: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('tracking_id', '=', trackingId).executeTakeFirst();
}

export async function findPaymentByRequestId(
  db: Db,
  paymentRequestId: string,
): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('payment_request_id', '=', paymentRequestId)
    .executeTakeFirst();
}

export async function findPaymentByOrderId(
  db: Db,
  merchantId: string,
  serviceId: string,
  orderId: string,
): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('service_id', '=', serviceId)
    .where('order_id', '=', orderId)
    .executeTakeFirst();
}

/** Which way the cancel mark must be for a transition to apply (the cancel-wins rule). */
export type CancelMarkCondition = 'any' | 'not-requested' | 'requested';

export interface TransitionCommand {
  trackingId: string;
  from: PaymentStatus;
  to: PaymentStatus;
  cause: string;
  resultCode?: string | null;
  cancelMark?: CancelMarkCondition;
  set?: Partial<Omit<PaymentTable, 'tracking_id' | 'status'>>;
  now: Date;
}

/**
 * Applies one transition if the payment is still in `from` (and the cancel mark matches).
 * Returns false when another writer got there first; refuses transitions outside the table.
 */
export async function transitionPayment(db: Db, command: TransitionCommand): Promise<boolean> {
  assertTransition(command.from, command.to);
  const at = command.now.getTime();
  let update = db
    .updateTable('payments')
    .set({ ...command.set, status: command.to, updated_at: at })
    .where('tracking_id', '=', command.trackingId)
    .where('status', '=', command.from);
  if (command.cancelMark === 'not-requested') update = update.where('cancel_requested_at', 'is', null);
  if (command.cancelMark === 'requested') update = update.where('cancel_requested_at', 'is not', null);
  const result = await update.executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await db
    .insertInto('payment_events')
    .values({
      tracking_id: command.trackingId,
      from_status: command.from,
      to_status: command.to,
      cause: command.cause,
      result_code: command.resultCode ?? null,
      at,
    })
    .execute();
  await applyPaymentRollup(db, { trackingId: command.trackingId, to: command.to, at: command.now });
  if (command.to === 'CAPTURED') await postCapture(db, command.trackingId, command.now);
  return true;
}

/** Sets the cancel mark if the payment is still open and unmarked; false otherwise. */
export async function markCancelRequested(
  db: Db,
  trackingId: string,
  target: 'CANCELED' | 'EXPIRED',
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('payments')
    .set({ cancel_requested_at: now.getTime(), cancel_target: target, updated_at: now.getTime() })
    .where('tracking_id', '=', trackingId)
    .where('status', '=', 'IN_PROGRESS')
    .where('cancel_requested_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Records what `pay` answered for a payment still IN_PROGRESS. A later "unknown" never replaces
 * "created": a concurrent click may have got the cashier URL meanwhile.
 */
export async function recordPayOutcome(
  db: Db,
  trackingId: string,
  values: Pick<PaymentTable, 'pay_outcome'> &
    Partial<Pick<PaymentTable, 'redirect_url' | 'alipay_payment_id'>>,
  now: Date,
): Promise<void> {
  let update = db
    .updateTable('payments')
    .set({ ...values, updated_at: now.getTime() })
    .where('tracking_id', '=', trackingId)
    .where('status', '=', 'IN_PROGRESS');
  if (values.pay_outcome !== 'CREATED') {
    update = update.where((eb) => eb.or([eb('pay_outcome', 'is', null), eb('pay_outcome', '!=', 'CREATED')]));
  }
  // Matching no row is not an error here: the payment has ended meanwhile, and no money moves.
  await update.execute();
}

export async function recordExchange(
  db: Db,
  trackingId: string,
  exchange: ProviderExchange,
  outcome: string,
  now: Date,
): Promise<void> {
  await db
    .insertInto('alipay_messages')
    .values({
      tracking_id: trackingId,
      api: exchange.api,
      request_body: exchange.requestBody,
      response_status: exchange.responseStatus,
      response_body: exchange.responseBody,
      outcome,
      at: now.getTime(),
      duration_ms: exchange.durationMs,
    })
    .execute();
}
