import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/kernel/errors';
import { MAX_PURCHASE_YEN, yen } from '../../src/kernel/money';
import { checkFeeRate, type FeeRate, feeMovement } from '../../src/settlement/fee-rule';

const rate = (rateBps: number, fixedFee = 0): FeeRate => ({ rateBps, fixedFee });
const capture = (amount: number, r: FeeRate) =>
  feeMovement({ kind: 'capture', amount: yen(amount), rate: r });

/** Returns the fee given back by each refund of `parts` (in order), by the one rule. */
function feeReturns(amount: number, fee: number, parts: readonly number[]): number[] {
  let refunded = 0;
  let returned = 0;
  return parts.map((part) => {
    const back = feeMovement({
      kind: 'refund',
      paymentAmount: yen(amount),
      feeCharged: yen(fee),
      refundedBefore: yen(refunded),
      feeReturnedBefore: yen(returned),
      refundAmount: yen(part),
    });
    refunded += part;
    returned += back;
    return back;
  });
}

/** A payment, a fee rate and a split of part or all of the amount into refunds. */
const paymentWithRefunds = fc
  .record({
    amount: fc.integer({ min: 1, max: MAX_PURCHASE_YEN }),
    rateBps: fc.integer({ min: 0, max: 10_000 }),
    fixedFee: fc.integer({ min: 0, max: 1_000 }),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
    complete: fc.boolean(),
  })
  .map(({ amount, rateBps, fixedFee, cuts, complete }) => {
    // Sorted cut points of the amount give the refunds; without `complete` the last piece stays captured.
    const points = [...new Set(cuts.map((c) => Math.floor(c * amount)))].filter((p) => p > 0 && p < amount);
    points.sort((a, b) => a - b);
    const bounds = [0, ...points, amount];
    const parts = bounds.slice(1).map((b, i) => b - (bounds[i] as number));
    return { amount, rate: rate(rateBps, fixedFee), parts: complete ? parts : parts.slice(0, -1) };
  });

describe('the fee rounding rule', () => {
  it('floors the rate per payment and adds the fixed fee', () => {
    expect(capture(10_000, rate(325))).toBe(325);
    expect(capture(1_999, rate(325))).toBe(64); // 64.9675 → 64
    expect(capture(1_999, rate(325, 40))).toBe(104);
    expect(capture(1, rate(325))).toBe(0);
  });

  it('never takes more than the payment, even with a fixed fee larger than it', () => {
    expect(capture(30, rate(0, 40))).toBe(30);
    expect(capture(9_999_999, rate(10_000))).toBe(9_999_999);
  });

  it('returns the proportional fee, floored, on a partial refund and the rest on the completing one', () => {
    // ¥10,000 at 3.25 % = ¥325; refunds of ¥3,000 (97.5 → 97), ¥3,000 (97), then the last ¥4,000.
    expect(feeReturns(10_000, 325, [3_000, 3_000, 4_000])).toEqual([97, 97, 131]);
    expect(feeReturns(10_000, 325, [10_000])).toEqual([325]);
  });

  it('is never negative and never more than the payment', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_PURCHASE_YEN }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: MAX_PURCHASE_YEN }),
        (amount, bps, fixed) => {
          const fee = capture(amount, rate(bps, fixed));
          return Number.isSafeInteger(fee) && fee >= 0 && fee <= amount;
        },
      ),
    );
  });

  it("never returns more fee through refunds than the payment's fee, and all of it once fully refunded", () => {
    fc.assert(
      fc.property(paymentWithRefunds, ({ amount, rate: r, parts }) => {
        const fee = capture(amount, r);
        const returns = feeReturns(amount, fee, parts);
        const total = returns.reduce((s, x) => s + x, 0);
        const refunded = parts.reduce((s, x) => s + x, 0);
        expect(returns.every((x) => Number.isSafeInteger(x) && x >= 0)).toBe(true);
        expect(total).toBeLessThanOrEqual(fee);
        if (refunded === amount) expect(total).toBe(fee);
        // Each partial return is at most its proportional share: the merchant never gains by splitting.
        parts.forEach((part, i) => {
          if (refunded !== amount || i < parts.length - 1) {
            expect(returns[i]).toBeLessThanOrEqual((fee * part) / amount);
          }
        });
      }),
    );
  });

  it('refuses a refund that does not fit the payment (a bug in the caller)', () => {
    expect(() => feeReturns(1_000, 32, [600, 500])).toThrow(RangeError);
    expect(() => feeReturns(1_000, 32, [0])).toThrow(RangeError);
  });
});

describe('fee settings', () => {
  const refusal = (r: FeeRate): string => {
    try {
      checkFeeRate(r);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'INVALID_FEE_SETTING') return error.message;
      throw error;
    }
    return 'accepted';
  };

  it('refuses a setting that would give a negative fee, saying so', () => {
    expect(refusal(rate(-1))).toMatch(/negative fee/);
    expect(refusal(rate(325, -10))).toMatch(/negative fee/);
  });

  it('refuses rates above 100 %, fractions and absurd fixed fees', () => {
    expect(refusal(rate(10_001))).toMatch(/above 100 %/);
    expect(refusal(rate(3.25))).toMatch(/whole basis points/);
    expect(refusal(rate(0, 0.5))).toMatch(/whole basis points and whole yen/);
    expect(refusal(rate(0, 10_000_000))).toMatch(/fixed fee above/);
  });

  it('accepts zero and the usual rates', () => {
    for (const r of [rate(0), rate(325), rate(360, 40), rate(10_000)]) expect(refusal(r)).toBe('accepted');
  });
});
