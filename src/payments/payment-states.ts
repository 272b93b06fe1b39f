import { DomainError } from '../kernel/errors';

/**
 * The payment state machine as a table (payment-lifecycle.md, Payment states). Nothing outside it
 * is ever allowed: a transition not listed here is a bug and raises.
 */
export const PAYMENT_STATUSES = [
  'REQUESTED',
  'IN_PROGRESS',
  'CAPTURED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
  'FAILED',
  'CANCELED',
  'EXPIRED',
] as const;

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  REQUESTED: ['IN_PROGRESS', 'CANCELED', 'EXPIRED'],
  IN_PROGRESS: ['CAPTURED', 'FAILED', 'CANCELED', 'EXPIRED'],
  CAPTURED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  PARTIALLY_REFUNDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  REFUNDED: [],
  FAILED: [],
  CANCELED: [],
  EXPIRED: [],
};

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Refuses any transition not in the table. */
export function assertTransition(from: PaymentStatus, to: PaymentStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError('INVALID_TRANSITION', `payment cannot move from ${from} to ${to}`);
  }
}

/** The states of a payment whose money Alipay+ captured, refunded since or not. */
export const CAPTURED_STATUSES = [
  'CAPTURED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
] as const satisfies readonly PaymentStatus[];

export function isCaptured(status: PaymentStatus): boolean {
  return (CAPTURED_STATUSES as readonly PaymentStatus[]).includes(status);
}

export function isFinal(status: PaymentStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** The states a payment ends in, of which its merchant is told (payment-lifecycle.md, Notifications). */
export type EndedStatus = Extract<PaymentStatus, 'CAPTURED' | 'FAILED' | 'CANCELED' | 'EXPIRED'>;

/** The fact that a payment has ended, handed to whoever tells the merchant. */
export interface PaymentEnded {
  trackingId: string;
  merchantId: string;
  status: EndedStatus;
}

export function isPaymentStatus(value: string): value is PaymentStatus {
  return (PAYMENT_STATUSES as readonly string[]).includes(value);
}

/**
 * The cancel sub-state of an IN_PROGRESS payment (payment-lifecycle.md, Cancelling: cancel wins),
 * kept in `cancel_requested_at` and `cancel_target` and read only through `cancelStateOf`:
 *
 *   OPEN      --start cancelling--> REQUESTED(target)  under the capture's own condition: one wins
 *   OPEN      --capture (success notification or inquiry)--> CAPTURED
 *   REQUESTED --Alipay+ closed the order--> the target: CANCELED (shopper) or EXPIRED (deadline)
 *   REQUESTED --cancel refused, inquiry says paid--> CAPTURED, and the mark is cleared
 *
 * A success that finds REQUESTED does not capture: Alipay+ reverses that money.
 */
export type CancelTarget = 'CANCELED' | 'EXPIRED';

export type CancelState = { kind: 'OPEN' } | { kind: 'REQUESTED'; target: CancelTarget };

export function cancelStateOf(columns: {
  cancel_requested_at: number | null;
  cancel_target: string | null;
}): CancelState {
  if (columns.cancel_requested_at === null) return { kind: 'OPEN' };
  return { kind: 'REQUESTED', target: columns.cancel_target === 'CANCELED' ? 'CANCELED' : 'EXPIRED' };
}

/** An order Alipay+ closed unpaid ends CANCELED after the shopper's cancel, EXPIRED otherwise. */
export function closedUnpaidStatus(cancel: CancelState): CancelTarget {
  return cancel.kind === 'REQUESTED' ? cancel.target : 'EXPIRED';
}
