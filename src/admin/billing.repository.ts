import type { Db, PaymentRow, RefundRow } from '../db/database';
import { findLatePayment, type LatePaymentRow } from '../payments/late-payment.repository';

/**
 * What the billing-information screen shows (admin.md, Screens 3). Every read starts from the
 * payment found within the actor's merchant, so nothing of another merchant's payment is read.
 */
export async function findScopedPayment(
  db: Db,
  scope: { merchantId: string | null },
  trackingId: string,
): Promise<PaymentRow | undefined> {
  if (!/^[0-9A-Za-z]{1,32}$/.test(trackingId)) return undefined;
  let q = db.selectFrom('payments').selectAll().where('tracking_id', '=', trackingId);
  if (scope.merchantId !== null) q = q.where('merchant_id', '=', scope.merchantId);
  return q.executeTakeFirst();
}

export interface NotificationWithAttempts {
  id: number;
  result: string;
  errCode: string;
  status: string;
  attempts: number;
  createdAt: number;
  attemptsMade: Array<{
    at: number;
    httpStatus: number | null;
    answer: string | null;
    error: string | null;
    durationMs: number;
  }>;
}

export interface BillingDetails {
  merchantName: string;
  serviceName: string;
  events: Array<{
    fromStatus: string;
    toStatus: string;
    cause: string;
    resultCode: string | null;
    at: number;
  }>;
  refunds: RefundRow[];
  notifications: NotificationWithAttempts[];
  messages: Array<{
    id: number;
    api: string;
    requestBody: string;
    responseStatus: number | null;
    responseBody: string | null;
    outcome: string;
    at: number;
    durationMs: number;
  }>;
  /** Alipay+ reported this payment paid after it had failed (see late-payment.repository.ts). */
  latePayment: LatePaymentRow | null;
}

export async function loadBillingDetails(db: Db, payment: PaymentRow): Promise<BillingDetails> {
  const id = payment.tracking_id;
  const [names, events, refunds, notifications, messages, latePayment] = await Promise.all([
    db
      .selectFrom('services as s')
      .innerJoin('merchants as m', 'm.merchant_id', 's.merchant_id')
      .select(['m.display_name as merchant', 's.display_name as service'])
      .where('s.merchant_id', '=', payment.merchant_id)
      .where('s.service_id', '=', payment.service_id)
      .executeTakeFirst(),
    db.selectFrom('payment_events').selectAll().where('tracking_id', '=', id).orderBy('id').execute(),
    db
      .selectFrom('refunds')
      .selectAll()
      .where('tracking_id', '=', id)
      .orderBy('created_at')
      .orderBy('refund_id')
      .execute(),
    db.selectFrom('notifications').selectAll().where('tracking_id', '=', id).orderBy('id').execute(),
    db.selectFrom('alipay_messages').selectAll().where('tracking_id', '=', id).orderBy('id').execute(),
    findLatePayment(db, id),
  ]);
  const attempts =
    notifications.length === 0
      ? []
      : await db
          .selectFrom('notification_attempts')
          .selectAll()
          .where(
            'notification_id',
            'in',
            notifications.map((n) => n.id),
          )
          .orderBy('id')
          .execute();
  return {
    merchantName: names?.merchant ?? payment.merchant_id,
    serviceName: names?.service ?? payment.service_id,
    events: events.map((e) => ({
      fromStatus: e.from_status,
      toStatus: e.to_status,
      cause: e.cause,
      resultCode: e.result_code,
      at: Number(e.at),
    })),
    refunds,
    notifications: notifications.map((n) => ({
      id: Number(n.id),
      result: n.result,
      errCode: n.err_code,
      status: n.status,
      attempts: n.attempts,
      createdAt: Number(n.created_at),
      attemptsMade: attempts
        .filter((a) => Number(a.notification_id) === Number(n.id))
        .map((a) => ({
          at: Number(a.at),
          httpStatus: a.http_status,
          answer: a.answer,
          error: a.error,
          durationMs: a.duration_ms,
        })),
    })),
    messages: messages.map((m) => ({
      id: Number(m.id),
      api: m.api,
      requestBody: m.request_body,
      responseStatus: m.response_status,
      responseBody: m.response_body,
      outcome: m.outcome,
      at: Number(m.at),
      durationMs: m.duration_ms,
    })),
    latePayment: latePayment ?? null,
  };
}

/** The newest result notification of a payment (the one "Re-send" sends again). */
export async function latestNotificationId(db: Db, trackingId: string): Promise<number | null> {
  const row = await db
    .selectFrom('notifications')
    .select('id')
    .where('tracking_id', '=', trackingId)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}
