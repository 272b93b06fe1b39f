import type { PaymentRow, RefundRow } from '../db/database';
import type { InquiryWithTransactions, ProviderTransaction } from '../payments/payment-provider';
import { isCaptured, isPaymentStatus, type PaymentStatus } from '../payments/payment-states';

/**
 * What the gateway holds about one payment, compared with what Alipay+ says about it through
 * `inquiryPayment` (alipayplus.md: `paymentResult` and `transactions[]`). Only final states are
 * compared: a payment or refund still on its way is the job worker's business and counts as
 * pending, not as a discrepancy.
 */
export type DiscrepancyKind =
  /** Alipay+ ended the payment differently (or not at all) from the gateway. */
  | 'PAYMENT_STATE'
  /** Both say paid, for different amounts. */
  | 'PAYMENT_AMOUNT'
  /** A refund the gateway counts as done that Alipay+ has not made (or made for another amount). */
  | 'REFUND_NOT_AT_ALIPAYPLUS'
  /** A refund Alipay+ made that the gateway does not count as done. */
  | 'REFUND_NOT_IN_GATEWAY'
  /** The payment's refunded total differs from the sum of Alipay+'s successful refunds. */
  | 'REFUND_TOTAL'
  /** Alipay+ gave no readable answer, so agreement could not be shown. */
  | 'UNVERIFIED';

export interface Discrepancy {
  kind: DiscrepancyKind;
  trackingId: string;
  merchantId: string;
  serviceId: string;
  orderId: string;
  paymentRequestId: string;
  refundRequestId?: string;
  /** The gateway's side, in words ("CAPTURED, 1500 JPY"). */
  gateway: string;
  /** Alipay+'s side, in words ("closed (ORDER_IS_CLOSED)"). */
  alipayplus: string;
}

export type Comparison =
  | { kind: 'agrees' }
  | { kind: 'pending' }
  | { kind: 'differs'; discrepancies: Discrepancy[] };

const ENDED_UNPAID: readonly PaymentStatus[] = ['FAILED', 'CANCELED', 'EXPIRED'];

function describeView(view: InquiryWithTransactions): string {
  const { outcome } = view;
  switch (outcome.kind) {
    case 'paid':
      return outcome.details.amount
        ? `paid, ${outcome.details.amount.value} ${outcome.details.amount.currency}`
        : 'paid';
    case 'closed':
    case 'failed':
      return `${outcome.kind} (${outcome.code})`;
    case 'open':
      return 'still in process';
    case 'notCreated':
      return 'no such payment (ORDER_NOT_EXIST)';
    case 'unknown':
      return `no readable answer: ${outcome.reason}`;
  }
}

function sameYen(amount: ProviderTransaction['amount'], yen: number): boolean {
  return amount !== null && amount.currency === 'JPY' && amount.value === String(yen);
}

/** Whether the gateway's state of this payment is final, so that there is something to compare. */
export function isSettledAtGateway(status: string): boolean {
  return isPaymentStatus(status) && (isCaptured(status) || ENDED_UNPAID.includes(status));
}

/** Compares a payment in a final state (see `isSettledAtGateway`) with Alipay+'s view of it. */
export function comparePayment(
  payment: PaymentRow & { payment_request_id: string },
  refunds: readonly RefundRow[],
  view: InquiryWithTransactions,
): Comparison {
  const base = {
    trackingId: payment.tracking_id,
    merchantId: payment.merchant_id,
    serviceId: payment.service_id,
    orderId: payment.order_id,
    paymentRequestId: payment.payment_request_id,
  };
  const paymentDiscrepancy = (kind: DiscrepancyKind): Comparison => ({
    kind: 'differs',
    discrepancies: [
      { kind, ...base, gateway: `${payment.status}, ${payment.amount} JPY`, alipayplus: describeView(view) },
    ],
  });
  const { outcome } = view;
  if (outcome.kind === 'unknown') return paymentDiscrepancy('UNVERIFIED');
  if (ENDED_UNPAID.includes(payment.status)) {
    // Failed, closed and never created all mean the shopper was not charged.
    return outcome.kind === 'paid' || outcome.kind === 'open'
      ? paymentDiscrepancy('PAYMENT_STATE')
      : { kind: 'agrees' };
  }
  if (outcome.kind !== 'paid') return paymentDiscrepancy('PAYMENT_STATE');
  if (!sameYen(outcome.details.amount, payment.amount)) return paymentDiscrepancy('PAYMENT_AMOUNT');
  const discrepancies = compareRefunds(payment, refunds, view.transactions, base);
  if (discrepancies.length) return { kind: 'differs', discrepancies };
  return refunds.some((r) => r.status === 'PROCESSING') ? { kind: 'pending' } : { kind: 'agrees' };
}

function compareRefunds(
  payment: PaymentRow,
  refunds: readonly RefundRow[],
  transactions: readonly ProviderTransaction[],
  base: Omit<Discrepancy, 'kind' | 'gateway' | 'alipayplus'>,
): Discrepancy[] {
  const alipayRefunds = new Map(
    transactions
      .filter((t) => t.type === 'REFUND' && t.requestId !== null)
      .map((t) => [t.requestId as string, t] as const),
  );
  const describe = (t: ProviderTransaction | undefined) =>
    t ? `${t.status}${t.amount ? `, ${t.amount.value} ${t.amount.currency}` : ''}` : 'no such refund';
  const discrepancies: Discrepancy[] = [];
  const ours = new Set<string>();
  for (const refund of refunds) {
    ours.add(refund.refund_request_id);
    const theirs = alipayRefunds.get(refund.refund_request_id);
    const entry = {
      ...base,
      refundRequestId: refund.refund_request_id,
      gateway: `refund ${refund.status}, ${refund.amount} JPY`,
      alipayplus: describe(theirs),
    };
    const theirsDone = theirs?.status === 'SUCCESS';
    if (refund.status === 'SUCCEEDED' && !(theirsDone && sameYen(theirs.amount, refund.amount))) {
      discrepancies.push({ kind: 'REFUND_NOT_AT_ALIPAYPLUS', ...entry });
    } else if (refund.status === 'FAILED' && theirsDone) {
      discrepancies.push({ kind: 'REFUND_NOT_IN_GATEWAY', ...entry });
    }
  }
  for (const [requestId, theirs] of alipayRefunds) {
    if (theirs.status !== 'SUCCESS' || ours.has(requestId)) continue;
    discrepancies.push({
      kind: 'REFUND_NOT_IN_GATEWAY',
      ...base,
      refundRequestId: requestId,
      gateway: 'no such refund',
      alipayplus: describe(theirs),
    });
  }
  // A refund still in flight may already be done at Alipay+: the totals are compared once none is.
  if (!refunds.some((r) => r.status === 'PROCESSING')) {
    const alipayTotal = [...alipayRefunds.values()]
      .filter((t) => t.status === 'SUCCESS' && t.amount?.currency === 'JPY')
      .reduce((sum, t) => sum + Number(t.amount?.value), 0);
    if (alipayTotal !== payment.refunded_amount) {
      discrepancies.push({
        kind: 'REFUND_TOTAL',
        ...base,
        gateway: `refunded ${payment.refunded_amount} JPY`,
        alipayplus: `refunded ${alipayTotal} JPY`,
      });
    }
  }
  return discrepancies;
}
