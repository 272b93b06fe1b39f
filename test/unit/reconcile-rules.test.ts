import { describe, expect, it } from 'vitest';
import { mapTransactions } from '../../src/alipayplus/outcomes';
import type { PaymentRow, RefundRow } from '../../src/db/database';
import type { InquiryWithTransactions } from '../../src/payments/payment-provider';
import { parseSince } from '../../src/reconcile/reconcile-cli';
import { comparePayment } from '../../src/reconcile/reconcile-rules';

const ok = { resultStatus: 'S', resultCode: 'SUCCESS', resultMessage: '' };
const jpy = (value: number) => ({ currency: 'JPY', value: String(value) });

describe("reading Alipay+'s ledger of a payment (inquiryPayment transactions)", () => {
  it('reads each transaction tolerantly and leaves out entries without a type or status', () => {
    expect(
      mapTransactions({
        result: ok,
        transactions: [
          {
            transactionType: 'PAYMENT',
            transactionStatus: 'SUCCESS',
            transactionRequestId: 'P1',
            transactionAmount: jpy(1500),
          },
          { transactionType: 'REFUND', transactionStatus: 'FAIL', transactionRequestId: 'R1' },
          { transactionType: 'REFUND' },
          'garbage',
        ],
      }),
    ).toEqual([
      { type: 'PAYMENT', status: 'SUCCESS', requestId: 'P1', amount: jpy(1500) },
      { type: 'REFUND', status: 'FAIL', requestId: 'R1', amount: null },
    ]);
  });

  it('has no ledger when the inquiry did not succeed', () => {
    expect(mapTransactions({ result: { ...ok, resultStatus: 'U' }, transactions: [{}] })).toEqual([]);
    expect(mapTransactions(undefined)).toEqual([]);
  });
});

describe('comparing a payment with Alipay+', () => {
  const payment = (status: string, refunded = 0) =>
    ({
      tracking_id: 'T1',
      merchant_id: '30000',
      service_id: '001',
      order_id: 'O1',
      status,
      amount: 1500,
      refunded_amount: refunded,
      payment_request_id: 'P1',
    }) as PaymentRow & { payment_request_id: string };
  const refund = (status: string, amount: number, id = 'R1') =>
    ({ refund_request_id: id, status, amount }) as RefundRow;
  const paid = (refunds: Array<[string, string, number]> = []): InquiryWithTransactions => ({
    outcome: {
      kind: 'paid',
      details: {
        amount: jpy(1500),
        providerPaymentId: 'X',
        paidAt: null,
        wallet: null,
        quoteCurrencyPair: null,
        quotePrice: null,
        acquirerId: null,
      },
    },
    transactions: refunds.map(([id, status, amount]) => ({
      type: 'REFUND',
      status,
      requestId: id,
      amount: jpy(amount),
    })),
  });
  const kinds = (c: ReturnType<typeof comparePayment>) =>
    c.kind === 'differs' ? c.discrepancies.map((d) => d.kind) : c.kind;
  /** A payment partly refunded by R1 (500 yen), against Alipay+ refunding R1 by `theirs` yen. */
  const partlyRefunded = (theirs: number) =>
    kinds(
      comparePayment(
        payment('PARTIALLY_REFUNDED', 500),
        [refund('SUCCEEDED', 500)],
        paid([['R1', 'SUCCESS', theirs]]),
      ),
    );

  it('agrees when both say paid and the refunds match one by one', () => {
    expect(partlyRefunded(500)).toBe('agrees');
  });

  it('takes failed, closed and never created alike as "not charged"', () => {
    for (const outcome of [
      { kind: 'failed', code: 'RISK_REJECT', wallet: null },
      { kind: 'closed', code: 'ORDER_IS_CLOSED' },
      { kind: 'notCreated' },
    ] as const) {
      expect(kinds(comparePayment(payment('EXPIRED'), [], { outcome, transactions: [] }))).toBe('agrees');
    }
    expect(kinds(comparePayment(payment('CANCELED'), [], paid()))).toEqual(['PAYMENT_STATE']);
    expect(
      kinds(comparePayment(payment('FAILED'), [], { outcome: { kind: 'open' }, transactions: [] })),
    ).toEqual(['PAYMENT_STATE']);
  });

  it('counts a payment with a refund in flight as pending, without comparing the totals', () => {
    expect(
      kinds(comparePayment(payment('CAPTURED'), [refund('PROCESSING', 500)], paid([['R1', 'SUCCESS', 500]]))),
    ).toBe('pending');
  });

  it('reports a refund made for another amount than the gateway recorded', () => {
    expect(partlyRefunded(400)).toEqual(['REFUND_NOT_AT_ALIPAYPLUS', 'REFUND_TOTAL']);
  });

  it('reports an unreadable answer as unverified, whatever the gateway holds', () => {
    expect(
      kinds(
        comparePayment(payment('CAPTURED'), [], {
          outcome: { kind: 'unknown', reason: 'timeout' },
          transactions: [],
        }),
      ),
    ).toEqual(['UNVERIFIED']);
  });
});

describe('reconcile --since', () => {
  const now = new Date('2026-12-05T12:00:00Z');
  it('reads spans back from now, JST days and instants with an offset', () => {
    expect(parseSince('30m', now)).toEqual(new Date('2026-12-05T11:30:00Z'));
    expect(parseSince('24h', now)).toEqual(new Date('2026-12-04T12:00:00Z'));
    expect(parseSince('7d', now)).toEqual(new Date('2026-11-28T12:00:00Z'));
    expect(parseSince('2026-12-01', now)).toEqual(new Date('2026-11-30T15:00:00Z'));
    expect(parseSince('2026-12-01T09:00+09:00', now)).toEqual(new Date('2026-12-01T00:00:00Z'));
  });

  it('refuses a time without an offset, a future instant and anything else', () => {
    for (const text of ['2026-12-01T09:00', '2026-12-06', 'yesterday', '-1d', '2026-13-01', '']) {
      expect(() => parseSince(text, now)).toThrow(/expected a span back from now/);
    }
  });
});
