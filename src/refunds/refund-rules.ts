import type { PaymentRow } from '../db/database';
import { startOfJstDay } from '../kernel/jst';
import { type Yen, yen } from '../kernel/money';
import type { PaymentStatus } from '../payments/payment-states';

/**
 * Refund rules (payment-lifecycle.md, Refunds and Clocks), pure so every channel and the console
 * agree on them.
 */
export const REFUND_PERIOD_DAYS = 365;

/** The states a refund can start from (payment-lifecycle.md, Refunds). */
export const REFUNDABLE_STATUSES = [
  'CAPTURED',
  'PARTIALLY_REFUNDED',
] as const satisfies readonly PaymentStatus[];

export type NotRefundableReason = 'STATE' | 'NOTHING_LEFT' | 'PERIOD_ENDED';

export interface Refundability {
  refundable: boolean;
  reason: NotRefundableReason | null;
  /** The last instant a refund is possible: 23:59:59.999 JST of purchase date + 364 days. */
  deadline: Date;
  remaining: Yen;
}

/**
 * Refunds are possible until the 365th day counting the JST date the gateway received the
 * purchase as day 1 — not the merchant's `request_date`.
 */
export function refundDeadline(receivedAt: Date): Date {
  return new Date(startOfJstDay(receivedAt, REFUND_PERIOD_DAYS).getTime() - 1);
}

/** What is left to refund: captured minus succeeded minus processing (reserved) refunds. */
export function remainingAmount(
  payment: Pick<PaymentRow, 'amount' | 'refunded_amount' | 'refund_reserved_amount'>,
): Yen {
  return yen(Math.max(payment.amount - payment.refunded_amount - payment.refund_reserved_amount, 0));
}

export function refundability(payment: PaymentRow, now: Date): Refundability {
  const deadline = refundDeadline(new Date(payment.received_at));
  const remaining = remainingAmount(payment);
  const base = { deadline, remaining };
  // A REFUNDED payment has nothing left (510K1008); other states are not refundable at all.
  if (payment.status === 'REFUNDED') return { ...base, refundable: false, reason: 'NOTHING_LEFT' };
  if (!(REFUNDABLE_STATUSES as readonly string[]).includes(payment.status)) {
    return { ...base, refundable: false, reason: 'STATE' };
  }
  if (now.getTime() > deadline.getTime()) return { ...base, refundable: false, reason: 'PERIOD_ENDED' };
  if (remaining === 0) return { ...base, refundable: false, reason: 'NOTHING_LEFT' };
  return { ...base, refundable: true, reason: null };
}
