import type { Db, NewPayment, PaymentRow, PaymentTable } from '../db/database';
import type { ProviderExchange } from './payment-provider';

/**
 * Payments in the database. Status changes go through `recordTransition` (record-transition.ts);
 * the updates here touch only what a status change does not: the cancel mark and `pay`'s answer.
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
