import { sql } from 'kysely';
import type { Db } from '../db/database';
import { jstDate } from '../kernel/jst';
import { yen } from '../kernel/money';
import { feeRateOn } from './fee.repository';
import { feeMovement } from './fee-rule';
import { ACCOUNTS, merchantPayable, postEntry } from './ledger.repository';

/**
 * What each payment event books (settlement.md, Money model). Both are called inside the
 * transaction that applies the state change, after its conditional update succeeded.
 */

/**
 * A capture: Alipay+ now owes us the amount; the merchant is owed it less the fee, which is ours.
 *   Dr alipayplus_receivable  amount
 *   Cr merchant_payable:<m>   amount − fee
 *   Cr fee_revenue            fee
 */
export async function postCapture(db: Db, trackingId: string, at: Date): Promise<void> {
  const p = await db
    .selectFrom('payments')
    .select(['merchant_id', 'service_id', 'amount'])
    .where('tracking_id', '=', trackingId)
    .executeTakeFirstOrThrow();
  const amount = yen(p.amount);
  const rate = await feeRateOn(db, p.merchant_id, p.service_id, jstDate(at));
  const fee = feeMovement({ kind: 'capture', amount, rate });
  await postEntry(db, {
    kind: 'CAPTURE',
    sourceKey: `capture:${trackingId}`,
    merchantId: p.merchant_id,
    trackingId,
    memo: `capture ¥${amount}, fee ¥${fee} (${rate.rateBps} bp + ¥${rate.fixedFee})`,
    lines: [
      { account: ACCOUNTS.alipayplusReceivable, amount },
      { account: merchantPayable(p.merchant_id), amount: -(amount - fee) },
      { account: ACCOUNTS.feeRevenue, amount: -fee },
    ],
    at,
  });
}

/** Fee lines already booked for a payment: the capture's (net of reversals) and the refunds'. */
async function bookedFees(db: Db, trackingId: string): Promise<{ charged: number; returned: number }> {
  const rows = await db
    .selectFrom('ledger_lines as l')
    .innerJoin('ledger_entries as e', 'e.entry_id', 'l.entry_id')
    .select(['e.kind', sql<string | number>`sum(l.amount)`.as('total')])
    .where('e.tracking_id', '=', trackingId)
    .where('l.account_id', '=', ACCOUNTS.feeRevenue)
    .groupBy('e.kind')
    .execute();
  const total = (kind: string) => Number(rows.find((r) => r.kind === kind)?.total ?? 0);
  return { charged: -total('CAPTURE'), returned: total('REFUND') };
}

/**
 * A refund that succeeded: Alipay+ takes the amount back (netted at settlement), and the fee comes
 * back to the merchant by the rounding rule.
 *   Dr merchant_payable:<m>   amount − fee returned
 *   Dr fee_revenue            fee returned
 *   Cr refund_clearing        amount
 * Call it after the payment's `refunded_amount` includes this refund. On PostgreSQL that update
 * holds the payment's row lock until commit, so concurrent refunds of one payment read each
 * other's fee returns here in turn and the last one returns exactly what is left.
 */
export async function postRefundSucceeded(db: Db, refundId: string, at: Date): Promise<void> {
  const r = await db
    .selectFrom('refunds as r')
    .innerJoin('payments as p', 'p.tracking_id', 'r.tracking_id')
    .select(['r.tracking_id', 'r.amount', 'p.merchant_id', 'p.amount as payment_amount', 'p.refunded_amount'])
    .where('r.refund_id', '=', refundId)
    .executeTakeFirstOrThrow();
  const fees = await bookedFees(db, r.tracking_id);
  const returned = feeMovement({
    kind: 'refund',
    paymentAmount: yen(r.payment_amount),
    feeCharged: yen(fees.charged),
    refundedBefore: yen(r.refunded_amount - r.amount),
    feeReturnedBefore: yen(fees.returned),
    refundAmount: yen(r.amount),
  });
  await postEntry(db, {
    kind: 'REFUND',
    sourceKey: `refund:${refundId}`,
    merchantId: r.merchant_id,
    trackingId: r.tracking_id,
    refundId,
    memo: `refund ¥${r.amount}, fee returned ¥${returned}`,
    lines: [
      { account: merchantPayable(r.merchant_id), amount: r.amount - returned },
      { account: ACCOUNTS.feeRevenue, amount: returned },
      { account: ACCOUNTS.refundClearing, amount: -r.amount },
    ],
    at,
  });
}
