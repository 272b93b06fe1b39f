import { describe, expect, it } from 'vitest';
import type { PaymentRow } from '../../src/db/database';
import type { PaymentStatus } from '../../src/payments/payment-states';
import { refundability, refundDeadline } from '../../src/refunds/refund-rules';

const jst = (text: string) => new Date(`${text}+09:00`);

function payment(overrides: Partial<PaymentRow>): PaymentRow {
  return {
    status: 'CAPTURED',
    amount: 1500,
    refunded_amount: 0,
    refund_reserved_amount: 0,
    received_at: jst('2026-01-01T10:00:00').getTime(),
    ...overrides,
  } as PaymentRow;
}

describe('refund period (365 days, the purchase date in JST as day 1)', () => {
  it('ends at 23:59:59.999 JST of the purchase date + 364 days', () => {
    expect(refundDeadline(jst('2026-01-01T10:00:00')).toISOString()).toBe(
      jst('2026-12-31T23:59:59.999').toISOString(),
    );
    expect(refundDeadline(jst('2027-03-01T00:00:00')).toISOString()).toBe(
      jst('2028-02-28T23:59:59.999').toISOString(),
    );
    // Received just before midnight JST: the purchase date is that day, not the UTC one.
    expect(refundDeadline(jst('2026-06-30T23:59:59')).toISOString()).toBe(
      jst('2027-06-29T23:59:59.999').toISOString(),
    );
  });

  it('accepts at the last millisecond and refuses one millisecond later', () => {
    const p = payment({});
    expect(refundability(p, jst('2026-12-31T23:59:59.999')).refundable).toBe(true);
    expect(refundability(p, jst('2027-01-01T00:00:00.000'))).toMatchObject({
      refundable: false,
      reason: 'PERIOD_ENDED',
    });
  });
});

describe('refundability', () => {
  it.each<PaymentStatus>(['REQUESTED', 'IN_PROGRESS', 'FAILED', 'CANCELED', 'EXPIRED'])(
    'refuses a %s payment by state',
    (status) => {
      expect(refundability(payment({ status }), jst('2026-01-02T00:00:00')).reason).toBe('STATE');
    },
  );

  it('has nothing left on a REFUNDED payment, or when everything is reserved', () => {
    expect(
      refundability(payment({ status: 'REFUNDED', refunded_amount: 1500 }), jst('2026-01-02T00:00:00'))
        .reason,
    ).toBe('NOTHING_LEFT');
    const reserved = refundability(
      payment({ status: 'PARTIALLY_REFUNDED', refunded_amount: 500, refund_reserved_amount: 1000 }),
      jst('2026-01-02T00:00:00'),
    );
    expect(reserved).toMatchObject({ refundable: false, reason: 'NOTHING_LEFT', remaining: 0 });
  });

  it('counts processing refunds against what remains', () => {
    const r = refundability(
      payment({ status: 'PARTIALLY_REFUNDED', refunded_amount: 500, refund_reserved_amount: 300 }),
      jst('2026-01-02T00:00:00'),
    );
    expect(r).toMatchObject({ refundable: true, remaining: 700 });
  });
});
