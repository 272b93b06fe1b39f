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

export function isFinal(status: PaymentStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function isPaymentStatus(value: string): value is PaymentStatus {
  return (PAYMENT_STATUSES as readonly string[]).includes(value);
}

/** Japanese labels for the console (payment-lifecycle.md). */
export const STATUS_LABELS_JA: Readonly<Record<PaymentStatus, string>> = {
  REQUESTED: '受付済',
  IN_PROGRESS: '処理中',
  CAPTURED: '売上済',
  PARTIALLY_REFUNDED: '一部返金済',
  REFUNDED: '返金済',
  FAILED: '失敗',
  CANCELED: 'キャンセル',
  EXPIRED: '期限切れ',
};
