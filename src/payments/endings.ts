import { deletePendingJobs } from '../jobs/job.repository';
import { DELIVER_NOTIFICATION } from '../notifications/notification.service';
import type { Payment } from './payment.repository';
import { type KeptExchange, keepExchangeIn, type PaymentServiceDeps } from './payment-context';
import type { PaidDetails } from './payment-provider';
import { jobsEndedBy } from './payment-schedule';
import { type CancelState, closedUnpaidStatus, type EndedStatus } from './payment-states';
import { recordTransition, type StatusChange } from './record-transition';

/**
 * How a payment ends (CAPTURED, FAILED, CANCELED, EXPIRED): the final transition and the merchant's
 * result notification, written in one transaction so the merchant hears of every ending once.
 */
export interface Ending {
  to: EndedStatus;
  cause: string;
  resultCode: string | null;
  /** The cancel sub-state the payment must be in (cancel wins); any when absent. */
  cancel?: CancelState['kind'];
  set?: StatusChange['set'];
}

/**
 * The capture: money Alipay+ says moved. `cancel` is OPEN for a success notification or inquiry,
 * REQUESTED for the capture after a refused cancel, which clears the mark: the money stays captured.
 */
export function capturedEnding(
  cause: string,
  details: PaidDetails,
  cancel: CancelState['kind'],
  now: Date,
): Ending {
  return {
    to: 'CAPTURED',
    cause,
    resultCode: 'SUCCESS',
    cancel,
    set: {
      paid_at: (details.paidAt ?? now).getTime(),
      wallet: details.wallet,
      ...(details.providerPaymentId ? { alipay_payment_id: details.providerPaymentId } : {}),
      quote_currency_pair: details.quoteCurrencyPair,
      quote_price: details.quotePrice,
      acquirer_id: details.acquirerId,
      result_code: 'SUCCESS',
      ...(cancel === 'REQUESTED' ? { cancel_requested_at: null, cancel_target: null } : {}),
    },
  };
}

/** `wallet`: the one the shopper chose before it failed, when Alipay+ says (the console shows it). */
export function failedEnding(cause: string, code: string, wallet: string | null = null): Ending {
  return {
    to: 'FAILED',
    cause,
    resultCode: code,
    set: { result_code: code, ...(wallet ? { wallet } : {}) },
  };
}

/** Closed unpaid at Alipay+: CANCELED after the shopper's cancel, EXPIRED otherwise. */
export function closedEnding(payment: Payment, cause: string, code: string): Ending {
  return {
    to: closedUnpaidStatus(payment.cancel),
    cause,
    resultCode: code,
    set: { result_code: code },
  };
}

/** Ended before Alipay+ was involved: the shopper went back to the shop, or the screen idled out. */
export function unsentEnding(to: 'CANCELED' | 'EXPIRED', cause: string): Ending {
  return { to, cause, resultCode: null };
}

/**
 * Applies one ending and queues the merchant's notification in the same transaction, which also
 * deletes the payment's jobs that could only run as no-ops from now on; false if
 * another writer won. `kept`: the exchange with Alipay+ that decided the ending, kept in that
 * transaction too (or alone when the payment has already ended).
 */
export async function applyEnding(
  deps: PaymentServiceDeps,
  payment: Payment,
  ending: Ending,
  kept?: KeptExchange,
): Promise<boolean> {
  const { db, clock, notifications } = deps;
  const now = clock.now();
  const from = payment.status;
  if (from !== 'REQUESTED' && from !== 'IN_PROGRESS') {
    await keepExchangeIn(db, deps, kept);
    return false;
  }
  const applied = await db.transaction().execute(async (tx) => {
    await keepExchangeIn(tx, deps, kept);
    const moved = await recordTransition(tx, {
      trackingId: payment.tracking_id,
      from,
      to: ending.to,
      cause: ending.cause,
      resultCode: ending.resultCode,
      cancel: ending.cancel,
      set: ending.set,
      now,
    });
    if (moved) {
      await deletePendingJobs(tx, jobsEndedBy(payment.tracking_id));
      const ended = { trackingId: payment.tracking_id, merchantId: payment.merchant_id, status: ending.to };
      await notifications.queue(tx, ended, now);
    }
    return moved;
  });
  if (applied) deps.wakeJobs(DELIVER_NOTIFICATION);
  return applied;
}
