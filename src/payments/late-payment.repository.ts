import type { Selectable } from 'kysely';
import type { Db, LatePaymentTable } from '../db/database';
import type { PaidDetails } from './payment-provider';

/**
 * Money Alipay+ reports paid for a payment that had already FAILED (payment-lifecycle.md: money
 * Alipay+ says moved is never left in a failed state). FAILED is final, so the payment stays as it
 * is and its merchant keeps the `NG` it was told; the report is kept here, shown to operators, and
 * reversed at Alipay+ by a cancel.
 */
export type LatePaymentStatus = 'REVERSING' | 'REVERSED' | 'NEEDS_OPERATOR';
export type LatePaymentRow = Selectable<LatePaymentTable>;

/** Records the first report for a payment; repeats of it change nothing. Returns whether it was new. */
export async function recordLatePayment(
  db: Db,
  report: { trackingId: string; merchantId: string; details: PaidDetails; at: Date },
): Promise<boolean> {
  const row = await db
    .insertInto('late_payments')
    .values({
      tracking_id: report.trackingId,
      merchant_id: report.merchantId,
      status: 'REVERSING' satisfies LatePaymentStatus,
      amount_value: report.details.amount?.value ?? null,
      amount_currency: report.details.amount?.currency ?? null,
      wallet: report.details.wallet,
      alipay_payment_id: report.details.providerPaymentId,
      reported_at: report.at.getTime(),
      resolved_at: null,
      note: null,
    })
    .onConflict((oc) => oc.column('tracking_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function findLatePayment(db: Db, trackingId: string): Promise<LatePaymentRow | undefined> {
  return db.selectFrom('late_payments').selectAll().where('tracking_id', '=', trackingId).executeTakeFirst();
}

/** Ends the reversal (`REVERSED`) or hands it to an operator (`NEEDS_OPERATOR`), once. */
export async function settleLatePayment(
  db: Db,
  settle: { trackingId: string; status: Exclude<LatePaymentStatus, 'REVERSING'>; note: string; at: Date },
): Promise<void> {
  await db
    .updateTable('late_payments')
    .set({
      status: settle.status,
      note: settle.note,
      resolved_at: settle.status === 'REVERSED' ? settle.at.getTime() : null,
    })
    .where('tracking_id', '=', settle.trackingId)
    .where('status', '=', 'REVERSING' satisfies LatePaymentStatus)
    .execute();
}
