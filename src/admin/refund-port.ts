import type { PaymentRow } from '../db/database';
import type { Yen } from '../kernel/money';

/**
 * What the console needs of the refund domain (payment-lifecycle.md, Refunds); the refund
 * service (`src/refunds/refund.service.ts`) provides it. The console never changes refund totals
 * itself: every rule — state, remaining amount, period, concurrency — is the domain's.
 */
export interface ConsoleRefundCommand {
  merchantId: string;
  serviceId: string;
  trackingId: string;
  /** Null: the whole remaining amount. */
  amount: Yen | null;
  channel: 'CONSOLE';
  /** The e-mail of the person who pressed the button. */
  requestedBy: string;
  /** The form's one-time nonce: a double submit makes one refund. */
  replayKey: string | null;
}

export interface ConsoleRefundOutcome {
  refund: {
    refundId: string;
    amount: number;
    status: 'PROCESSING' | 'SUCCEEDED' | 'FAILED';
    resultCode: string | null;
  };
  replayed: boolean;
  totals: { captured: number; refunded: number; reserved: number; remaining: number };
}

export interface ConsoleRefundability {
  refundable: boolean;
  reason: 'STATE' | 'NOTHING_LEFT' | 'PERIOD_ENDED' | null;
  /** The last instant a refund is possible (23:59:59.999 JST of purchase date + 364 days). */
  deadline: Date;
}

export interface RefundPort {
  refund(command: ConsoleRefundCommand): Promise<ConsoleRefundOutcome>;
  refundability(payment: PaymentRow, now: Date): ConsoleRefundability;
}
