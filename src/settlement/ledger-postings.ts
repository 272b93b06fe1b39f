import { sql } from 'kysely';
import { compiledQuery } from '../db/compiled-queries';
import type { Db } from '../db/database';
import { jstDate } from '../kernel/jst';
import { yen } from '../kernel/money';
import { feeRateOn } from './fee.repository';
import { type FeeRate, feeMovement } from './fee-rule';
import { ACCOUNTS, merchantPayable, type NewEntry, postEntry } from './ledger.repository';

/**
 * What each payment event books (settlement.md, Money model). `postCapture` and
 * `postRefundSucceeded` are called inside the transaction that applies the state change, after
 * its conditional update succeeded; the entry builders are shared with the backfill.
 */
export interface CaptureFacts {
  trackingId: string;
  merchantId: string;
  amount: number;
}

/**
 * A capture: Alipay+ now owes us the amount; the merchant is owed it less the fee, which is ours.
 *   Dr alipayplus_receivable  amount
 *   Cr merchant_payable:<m>   amount − fee
 *   Cr fee_revenue            fee
 */
export function captureEntry(p: CaptureFacts, rate: FeeRate, at: Date): { entry: NewEntry; fee: number } {
  const amount = yen(p.amount);
  const fee = feeMovement({ kind: 'capture', amount, rate });
  const entry: NewEntry = {
    kind: 'CAPTURE',
    sourceKey: `capture:${p.trackingId}`,
    merchantId: p.merchantId,
    trackingId: p.trackingId,
    memo: `capture ¥${amount}, fee ¥${fee} (${rate.rateBps} bp + ¥${rate.fixedFee})`,
    lines: [
      { account: ACCOUNTS.alipayplusReceivable, amount },
      { account: merchantPayable(p.merchantId), amount: -(amount - fee) },
      { account: ACCOUNTS.feeRevenue, amount: -fee },
    ],
    at,
  };
  return { entry, fee };
}

export interface RefundFacts {
  refundId: string;
  trackingId: string;
  merchantId: string;
  amount: number;
  paymentAmount: number;
  /** Succeeded refunds of the payment before this one, and the fee charged and returned so far. */
  refundedBefore: number;
  feeCharged: number;
  feeReturnedBefore: number;
}

/**
 * A refund that succeeded: Alipay+ takes the amount back (netted at settlement), and the fee comes
 * back to the merchant by the rounding rule.
 *   Dr merchant_payable:<m>   amount − fee returned
 *   Dr fee_revenue            fee returned
 *   Cr refund_clearing        amount
 */
export function refundEntry(r: RefundFacts, at: Date): { entry: NewEntry; feeReturned: number } {
  const returned = feeMovement({
    kind: 'refund',
    paymentAmount: yen(r.paymentAmount),
    feeCharged: yen(r.feeCharged),
    refundedBefore: yen(r.refundedBefore),
    feeReturnedBefore: yen(r.feeReturnedBefore),
    refundAmount: yen(r.amount),
  });
  const entry: NewEntry = {
    kind: 'REFUND',
    sourceKey: `refund:${r.refundId}`,
    merchantId: r.merchantId,
    trackingId: r.trackingId,
    refundId: r.refundId,
    memo: `refund ¥${r.amount}, fee returned ¥${returned}`,
    lines: [
      { account: merchantPayable(r.merchantId), amount: r.amount - returned },
      { account: ACCOUNTS.feeRevenue, amount: returned },
      { account: ACCOUNTS.refundClearing, amount: -r.amount },
    ],
    at,
  };
  return { entry, feeReturned: returned };
}

// Read on every capture and succeeded refund: compiled once (compiled-queries.ts).
const captureFactsOf = compiledQuery((db: Db, arg) =>
  db.selectFrom('payments').select(['merchant_id', 'service_id', 'amount']).where('tracking_id', '=', arg(0)),
);
const feeLinesOf = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('ledger_lines as l')
    .innerJoin('ledger_entries as e', 'e.entry_id', 'l.entry_id')
    .select(['e.kind', sql<string | number>`sum(l.amount)`.as('total')])
    .where('e.tracking_id', '=', arg(0))
    .where('l.account_id', '=', ACCOUNTS.feeRevenue)
    .groupBy('e.kind'),
);
const refundFactsOf = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('refunds as r')
    .innerJoin('payments as p', 'p.tracking_id', 'r.tracking_id')
    .select(['r.tracking_id', 'r.amount', 'p.merchant_id', 'p.amount as payment_amount', 'p.refunded_amount'])
    .where('r.refund_id', '=', arg(0)),
);

export async function postCapture(db: Db, trackingId: string, at: Date): Promise<void> {
  const p = (await captureFactsOf(db, trackingId)).rows[0];
  if (!p) throw new Error(`capture of payment ${trackingId}: no such payment`);
  const rate = await feeRateOn(db, p.merchant_id, p.service_id, jstDate(at));
  const { entry } = captureEntry({ trackingId, merchantId: p.merchant_id, amount: p.amount }, rate, at);
  await postEntry(db, entry);
}

/** Fee lines already booked for a payment: the capture's (net of reversals) and the refunds'. */
async function bookedFees(db: Db, trackingId: string): Promise<{ charged: number; returned: number }> {
  const { rows } = await feeLinesOf(db, trackingId);
  const total = (kind: string) => Number(rows.find((r) => r.kind === kind)?.total ?? 0);
  return { charged: -total('CAPTURE'), returned: total('REFUND') };
}

/**
 * Call it after the payment's `refunded_amount` includes this refund. On PostgreSQL that update
 * holds the payment's row lock until commit, so concurrent refunds of one payment read each
 * other's fee returns here in turn and the last one returns exactly what is left.
 */
export async function postRefundSucceeded(db: Db, refundId: string, at: Date): Promise<void> {
  const r = (await refundFactsOf(db, refundId)).rows[0];
  if (!r) throw new Error(`refund ${refundId}: no such refund`);
  const fees = await bookedFees(db, r.tracking_id);
  const { entry } = refundEntry(
    {
      refundId,
      trackingId: r.tracking_id,
      merchantId: r.merchant_id,
      amount: r.amount,
      paymentAmount: r.payment_amount,
      refundedBefore: r.refunded_amount - r.amount,
      feeCharged: fees.charged,
      feeReturnedBefore: fees.returned,
    },
    at,
  );
  await postEntry(db, entry);
}
