import { describe, expect, it } from 'vitest';
import { mapCancel, mapInquiry, mapNotification, mapPay } from '../../src/alipayplus/outcomes';

const result = (resultStatus: string, resultCode: string) => ({
  resultStatus,
  resultCode,
  resultMessage: '',
});

describe('Alipay+ outcome mapping (one per API)', () => {
  it('pay: U + PAYMENT_IN_PROCESS with a URL, or S, is created; paymentUrl is a synonym', () => {
    expect(
      mapPay({ result: result('U', 'PAYMENT_IN_PROCESS'), normalUrl: 'https://a/x', paymentId: 'P1' }),
    ).toEqual({
      kind: 'created',
      redirectUrl: 'https://a/x',
      providerPaymentId: 'P1',
    });
    expect(mapPay({ result: result('S', 'SUCCESS'), paymentUrl: 'https://a/y' }).kind).toBe('created');
  });

  it('pay: any F is failed', () => {
    expect(mapPay({ result: result('F', 'RISK_REJECT') })).toEqual({ kind: 'failed', code: 'RISK_REJECT' });
    expect(mapPay({ result: result('F', 'SOMETHING_NEW') })).toEqual({
      kind: 'failed',
      code: 'SOMETHING_NEW',
    });
  });

  it('pay: other U, a missing URL, a non-http URL, or an unreadable body is unknown', () => {
    for (const body of [
      { result: result('U', 'UNKNOWN_EXCEPTION') },
      { result: result('U', 'PAYMENT_IN_PROCESS') },
      { result: result('U', 'PAYMENT_IN_PROCESS'), normalUrl: 'javascript:alert(1)' },
      { result: result('X', 'SUCCESS') },
      { result: 'SUCCESS' },
      {},
      undefined,
    ]) {
      expect(mapPay(body as Record<string, unknown> | undefined).kind).toBe('unknown');
    }
  });

  it('inquiry: paid, closed, failed, open, not created, unknown', () => {
    const paid = mapInquiry({
      result: result('S', 'SUCCESS'),
      paymentResult: result('S', 'SUCCESS'),
      paymentId: 'P1',
      acquirerId: '1022188000000000001',
      pspId: '1022170000000000000',
      paymentTime: '2026-11-27T10:33:10+09:00',
      settlementQuote: { quoteCurrencyPair: 'JPY/PHP', quotePrice: '0.3871' },
    });
    expect(paid).toEqual({
      kind: 'paid',
      details: {
        amount: null,
        providerPaymentId: 'P1',
        paidAt: new Date('2026-11-27T01:33:10Z'),
        wallet: 'GCASH',
        quoteCurrencyPair: 'JPY/PHP',
        quotePrice: '0.3871',
        acquirerId: '1022188000000000001',
      },
    });
    expect(
      mapInquiry({ result: result('S', 'SUCCESS'), paymentResult: result('F', 'ORDER_IS_CLOSED') }).kind,
    ).toBe('closed');
    expect(mapInquiry({ result: result('S', 'SUCCESS'), paymentResult: result('F', 'RISK_REJECT') })).toEqual(
      {
        kind: 'failed',
        code: 'RISK_REJECT',
        wallet: null,
      },
    );
    expect(
      mapInquiry({ result: result('S', 'SUCCESS'), paymentResult: result('U', 'PAYMENT_IN_PROCESS') }).kind,
    ).toBe('open');
    expect(mapInquiry({ result: result('F', 'ORDER_NOT_EXIST') }).kind).toBe('notCreated');
    expect(mapInquiry({ result: result('F', 'ACCESS_DENIED') }).kind).toBe('unknown');
    expect(mapInquiry({ result: result('U', 'UNKNOWN_EXCEPTION') }).kind).toBe('unknown');
    expect(mapInquiry({ result: result('S', 'SUCCESS') }).kind).toBe('unknown');
  });

  it('cancel: S or ORDER_NOT_EXIST closes; other F is refused; U is unknown', () => {
    expect(mapCancel({ result: result('S', 'SUCCESS') }).kind).toBe('closed');
    expect(mapCancel({ result: result('F', 'ORDER_NOT_EXIST') }).kind).toBe('closed');
    expect(mapCancel({ result: result('F', 'CANCEL_WINDOW_EXCEED') })).toEqual({
      kind: 'refused',
      code: 'CANCEL_WINDOW_EXCEED',
    });
    expect(mapCancel({ result: result('U', 'UNKNOWN_EXCEPTION') }).kind).toBe('unknown');
    expect(mapCancel(undefined).kind).toBe('unknown');
  });

  it('notification: paid, closed, failed; a U result is not final', () => {
    expect(mapNotification({ paymentResult: result('S', 'SUCCESS'), walletBrandName: 'DANA' })).toMatchObject(
      {
        kind: 'paid',
        details: { wallet: 'DANA' },
      },
    );
    expect(mapNotification({ paymentResult: result('F', 'ORDER_IS_CLOSED') }).kind).toBe('closed');
    expect(mapNotification({ paymentResult: result('F', 'USER_BALANCE_NOT_ENOUGH') }).kind).toBe('failed');
    // The wallet the shopper chose is kept for a failure too: the console lists it.
    expect(
      mapNotification({ paymentResult: result('F', 'USER_BALANCE_NOT_ENOUGH'), walletBrandName: 'DANA' }),
    ).toEqual({ kind: 'failed', code: 'USER_BALANCE_NOT_ENOUGH', wallet: 'DANA' });
    expect(mapNotification({ paymentResult: result('U', 'PAYMENT_IN_PROCESS') }).kind).toBe('unknown');
    expect(mapNotification({}).kind).toBe('unknown');
  });
});
