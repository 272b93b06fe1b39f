import { DomainError } from '../kernel/errors';
import { MAX_PURCHASE_YEN, type Yen, yen } from '../kernel/money';

/**
 * The merchant's fee (settlement.md, Fees): a discount rate in basis points (325 = 3.25 %) and an
 * optional fixed yen fee per payment.
 */
export interface FeeRate {
  rateBps: number;
  fixedFee: number;
}

/** 100 % — a rate above it would take more than the payment. */
export const MAX_RATE_BPS = 10_000;

/**
 * Refuses a rate that could give a negative fee (or is not a whole number), with the reason; the
 * setting is then not recorded at all.
 */
export function checkFeeRate(rate: FeeRate): FeeRate {
  const { rateBps, fixedFee } = rate;
  if (!Number.isSafeInteger(rateBps) || !Number.isSafeInteger(fixedFee)) {
    throw new DomainError(
      'INVALID_FEE_SETTING',
      `a fee rate is whole basis points and whole yen (got ${rateBps} bp + ¥${fixedFee})`,
    );
  }
  if (rateBps < 0 || fixedFee < 0) {
    throw new DomainError(
      'INVALID_FEE_SETTING',
      `this fee setting would give a negative fee (${rateBps} bp + ¥${fixedFee}); rate and fixed fee must be ≥ 0`,
    );
  }
  if (rateBps > MAX_RATE_BPS) {
    throw new DomainError(
      'INVALID_FEE_SETTING',
      `a rate above 100 % (${rateBps} bp) would take more than the payment`,
    );
  }
  if (fixedFee > MAX_PURCHASE_YEN) {
    throw new DomainError(
      'INVALID_FEE_SETTING',
      `a fixed fee above ¥${MAX_PURCHASE_YEN} is not a fee (got ¥${fixedFee})`,
    );
  }
  return rate;
}

/** What a fee movement is for: the capture that charges it, or a refund that gives part of it back. */
export type FeeEvent =
  | { kind: 'capture'; amount: Yen; rate: FeeRate }
  | {
      kind: 'refund';
      /** The captured amount of the payment. */
      paymentAmount: Yen;
      /** The fee charged at its capture. */
      feeCharged: Yen;
      /** Refunds of this payment that succeeded before this one, and the fee they returned. */
      refundedBefore: Yen;
      feeReturnedBefore: Yen;
      refundAmount: Yen;
    };

/** ⌊n / d⌋ for non-negative safe integers, without a floating-point division. */
function floorDiv(n: number, d: number): number {
  return (n - (n % d)) / d;
}

/**
 * The one rounding rule of fees (settlement.md, Fees), in yen:
 * - capture: ⌊amount × rate / 10,000⌋ + fixed fee, floored per payment, and never more than the
 *   payment itself (a fixed fee larger than a tiny payment takes the whole payment, not more);
 * - a partial refund returns the proportional part of the fee charged, floored;
 * - the refund that completes the full amount returns whatever is left of the fee, so a payment
 *   refunded in full, in any number of parts, has cost the merchant nothing.
 * Flooring each partial return means their sum can never pass the fee charged
 * (Σ⌊f·rᵢ/A⌋ ≤ ⌊f·Σrᵢ/A⌋ ≤ f), so the last return is never negative.
 */
export function feeMovement(event: FeeEvent): Yen {
  if (event.kind === 'capture') {
    const { amount, rate } = event;
    checkFeeRate(rate);
    return yen(Math.min(amount, floorDiv(amount * rate.rateBps, MAX_RATE_BPS) + rate.fixedFee));
  }
  const { paymentAmount, feeCharged, refundedBefore, feeReturnedBefore, refundAmount } = event;
  if (refundAmount < 1 || refundedBefore + refundAmount > paymentAmount) {
    throw new RangeError(
      `refund of ¥${refundAmount} after ¥${refundedBefore} does not fit a payment of ¥${paymentAmount}`,
    );
  }
  if (feeCharged > paymentAmount || feeReturnedBefore > feeCharged) {
    throw new RangeError(
      `fee ¥${feeCharged} (¥${feeReturnedBefore} returned) does not fit ¥${paymentAmount}`,
    );
  }
  if (refundedBefore + refundAmount === paymentAmount) return yen(feeCharged - feeReturnedBefore);
  // The proof above needs the earlier returns to follow this rule; the cap keeps the bound for any
  // history (a reversed entry, an earlier rule).
  return yen(Math.min(floorDiv(feeCharged * refundAmount, paymentAmount), feeCharged - feeReturnedBefore));
}
