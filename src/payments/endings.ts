import type { PaymentRow } from '../db/database';
import type { PaymentServiceDeps } from './payment-context';
import type { PaidDetails } from './payment-provider';
import { type CancelState, cancelStateOf, closedUnpaidStatus, type PaymentStatus } from './payment-states';
import { recordTransition, type StatusChange } from './record-transition';

/** A02-1 error codes (merchant-link-type.md, res_err_code). */
const ERR_FAILED = '6101';
const ERR_SHOPPER_CANCELLED = '6102';
const ERR_DEADLINE = '6103';

/**
 * How a payment ends (CAPTURED, FAILED, CANCELED, EXPIRED): the final transition and the merchant's
 * result notification, written in one transaction so the merchant hears of every ending once.
 */
export interface Ending {
  to: PaymentStatus;
  cause: string;
  resultCode: string | null;
  notice: { result: 'OK' | 'NG' | 'CN'; errCode: string };
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
    notice: { result: 'OK', errCode: '' },
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
    notice: { result: 'NG', errCode: ERR_FAILED },
    set: { result_code: code, ...(wallet ? { wallet } : {}) },
  };
}

/** Closed unpaid at Alipay+: by the shopper's cancel (CANCELED, 6102) or otherwise (EXPIRED, 6103). */
export function closedEnding(payment: PaymentRow, cause: string, code: string): Ending {
  const to = closedUnpaidStatus(cancelStateOf(payment));
  return {
    to,
    cause,
    resultCode: code,
    notice: { result: 'CN', errCode: to === 'CANCELED' ? ERR_SHOPPER_CANCELLED : ERR_DEADLINE },
    set: { result_code: code },
  };
}

/** Ended before Alipay+ was involved: the shopper went back to the shop, or the screen idled out. */
export function unsentEnding(to: 'CANCELED' | 'EXPIRED', cause: string): Ending {
  return {
    to,
    cause,
    resultCode: null,
    notice: { result: 'CN', errCode: to === 'CANCELED' ? ERR_SHOPPER_CANCELLED : ERR_DEADLINE },
  };
}

/** Applies one ending with its A02-1 in the same transaction; false if another writer won. */
export async function applyEnding(
  deps: PaymentServiceDeps,
  payment: PaymentRow,
  ending: Ending,
): Promise<boolean> {
  const { db, clock, notifications } = deps;
  const now = clock.now();
  const from = payment.status as PaymentStatus;
  if (from !== 'REQUESTED' && from !== 'IN_PROGRESS') return false;
  const applied = await db.transaction().execute(async (tx) => {
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
    if (moved) await notifications.queue(tx, payment, ending.notice.result, ending.notice.errCode, now);
    return moved;
  });
  if (applied) deps.wakeJobs();
  return applied;
}
