import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/kernel/errors';
import {
  assertTransition,
  cancelStateOf,
  canTransition,
  closedUnpaidStatus,
  isFinal,
  PAYMENT_STATUSES,
  type PaymentStatus,
} from '../../src/payments/payment-states';

const ALLOWED: Array<[PaymentStatus, PaymentStatus]> = [
  ['REQUESTED', 'IN_PROGRESS'],
  ['REQUESTED', 'CANCELED'],
  ['REQUESTED', 'EXPIRED'],
  ['IN_PROGRESS', 'CAPTURED'],
  ['IN_PROGRESS', 'FAILED'],
  ['IN_PROGRESS', 'CANCELED'],
  ['IN_PROGRESS', 'EXPIRED'],
  ['CAPTURED', 'PARTIALLY_REFUNDED'],
  ['CAPTURED', 'REFUNDED'],
  ['PARTIALLY_REFUNDED', 'PARTIALLY_REFUNDED'],
  ['PARTIALLY_REFUNDED', 'REFUNDED'],
];

describe('payment state table', () => {
  it.each(ALLOWED)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it('refuses every transition that is not in the table', () => {
    let refused = 0;
    for (const from of PAYMENT_STATUSES) {
      for (const to of PAYMENT_STATUSES) {
        if (ALLOWED.some(([f, t]) => f === from && t === to)) continue;
        expect(canTransition(from, to)).toBe(false);
        expect(() => assertTransition(from, to)).toThrow(DomainError);
        refused++;
      }
    }
    expect(refused).toBe(PAYMENT_STATUSES.length ** 2 - ALLOWED.length);
  });

  it.each([
    ['CAPTURED', 'FAILED'],
    ['EXPIRED', 'CAPTURED'],
    ['FAILED', 'CAPTURED'],
    ['REQUESTED', 'CAPTURED'],
    ['REFUNDED', 'PARTIALLY_REFUNDED'],
    ['CANCELED', 'IN_PROGRESS'],
  ] as Array<[PaymentStatus, PaymentStatus]>)('never lets a payment go %s → %s', (from, to) => {
    expect(() => assertTransition(from, to)).toThrow(/cannot move/);
  });

  it('knows the final states', () => {
    expect(PAYMENT_STATUSES.filter(isFinal)).toEqual(['REFUNDED', 'FAILED', 'CANCELED', 'EXPIRED']);
  });
});

describe('cancel sub-state (cancel wins)', () => {
  it('reads OPEN until a cancel is requested, then the target it was requested for', () => {
    expect(cancelStateOf({ cancel_requested_at: null, cancel_target: null })).toEqual({ kind: 'OPEN' });
    expect(cancelStateOf({ cancel_requested_at: 1, cancel_target: 'CANCELED' })).toEqual({
      kind: 'REQUESTED',
      target: 'CANCELED',
    });
    expect(cancelStateOf({ cancel_requested_at: 1, cancel_target: 'EXPIRED' })).toEqual({
      kind: 'REQUESTED',
      target: 'EXPIRED',
    });
  });

  it("ends an order Alipay+ closed unpaid CANCELED only after the shopper's cancel", () => {
    expect(closedUnpaidStatus({ kind: 'REQUESTED', target: 'CANCELED' })).toBe('CANCELED');
    expect(closedUnpaidStatus({ kind: 'REQUESTED', target: 'EXPIRED' })).toBe('EXPIRED');
    expect(closedUnpaidStatus({ kind: 'OPEN' })).toBe('EXPIRED');
  });
});
