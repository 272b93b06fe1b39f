import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { payBody, type RunningSandbox, startSandbox } from '../support/sandbox-harness';

let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ timeFactor: 0.001 });
});

afterAll(async () => {
  await sandbox.close();
});

afterEach(async () => {
  await sandbox.control('POST', '/sandbox/v1/clock', { offsetMs: 0 });
});

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

async function create(amount: number, overrides: Record<string, unknown> = {}) {
  const body = payBody(amount, overrides);
  const created = await sandbox.call('pay', body);
  expect(created.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');
  return { body, paymentId: created.body.paymentId as string };
}

async function simulate(paymentId: string, wallet = 'GCASH', user = 'alice', action = 'pay') {
  return (await sandbox.control('POST', '/sandbox/v1/simulate/pay', { paymentId, wallet, user, action }))
    .body;
}

async function moveClock(offsetMs: number) {
  const moved = await sandbox.control('POST', '/sandbox/v1/clock', { offsetMs });
  expect(moved.status).toBe(200);
}

describe('sandbox cancelPayment', () => {
  it('closes an unpaid order; inquiry then says ORDER_IS_CLOSED, and a repeat cancel is S again', async () => {
    const { body, paymentId } = await create(1500);
    const cancel = await sandbox.call('cancelPayment', { paymentRequestId: body.paymentRequestId });
    expect(cancel.verified).toBe(true);
    expect(cancel.body).toMatchObject({ result: { resultCode: 'SUCCESS', resultStatus: 'S' }, paymentId });
    const inquiry = await sandbox.call('inquiryPayment', { paymentRequestId: body.paymentRequestId });
    expect(inquiry.body.result.resultStatus).toBe('S');
    expect(inquiry.body.paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    const again = await sandbox.call('cancelPayment', { paymentRequestId: body.paymentRequestId });
    expect(again.body.result.resultCode).toBe('SUCCESS');
    expect(await simulate(paymentId)).toMatchObject({ status: 'FAIL', resultCode: 'ORDER_IS_CLOSED' });
  });

  it('reverses a paid order (cancel wins)', async () => {
    const { body, paymentId } = await create(1500);
    expect((await simulate(paymentId)).status).toBe('SUCCESS');
    const cancel = await sandbox.call('cancelPayment', { paymentId });
    expect(cancel.body.result.resultCode).toBe('SUCCESS');
    const inquiry = await sandbox.call('inquiryPayment', { paymentRequestId: body.paymentRequestId });
    expect(inquiry.body.paymentResult.resultCode).toBe('ORDER_IS_CLOSED');
    const types = inquiry.body.transactions.map(
      (t: { transactionType: string; transactionStatus: string }) => [t.transactionType, t.transactionStatus],
    );
    expect(types).toEqual([
      ['PAYMENT', 'CANCELLED'],
      ['CANCEL', 'SUCCESS'],
    ]);
    const order = (await sandbox.control('GET', `/sandbox/v1/orders/${paymentId}`)).body.order;
    expect(order).toMatchObject({ status: 'CLOSED', close_reason: 'CANCELLED', reversed: 1 });
  });

  it('refuses a cancel after 00:15 UTC+8 of the next day with CANCEL_WINDOW_EXCEED', async () => {
    const { paymentId } = await create(1500);
    expect((await simulate(paymentId)).status).toBe('SUCCESS');
    await moveClock(2 * DAY);
    const cancel = await sandbox.call('cancelPayment', { paymentId });
    expect(cancel.body.result).toMatchObject({ resultCode: 'CANCEL_WINDOW_EXCEED', resultStatus: 'F' });
    const inquiry = await sandbox.call('inquiryPayment', { paymentId });
    expect(inquiry.body.paymentResult.resultCode).toBe('SUCCESS');
  });

  it('answers ORDER_NOT_EXIST for an order it never created', async () => {
    const cancel = await sandbox.call('cancelPayment', { paymentRequestId: 'NEVER_SENT' });
    expect(cancel.body.result).toMatchObject({ resultCode: 'ORDER_NOT_EXIST', resultStatus: 'F' });
  });
});

describe('sandbox expiry', () => {
  it('closes an unpaid order at its expiry time on the sandbox clock', async () => {
    const { paymentId } = await create(1500);
    await moveClock(9 * MINUTE);
    expect((await sandbox.call('inquiryPayment', { paymentId })).body.paymentResult.resultCode).toBe(
      'PAYMENT_IN_PROCESS',
    );
    await moveClock(10 * MINUTE + 1_000);
    const inquiry = await sandbox.call('inquiryPayment', { paymentId });
    expect(inquiry.body.paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    await moveClock(0);
    expect(await simulate(paymentId)).toMatchObject({ status: 'FAIL', resultCode: 'ORDER_IS_CLOSED' });
  });

  it('expires an order on demand (the console button)', async () => {
    const { paymentId } = await create(1500);
    const expired = await sandbox.control('POST', `/sandbox/v1/orders/${paymentId}/expire`);
    expect(expired.status).toBe(200);
    const inquiry = await sandbox.call('inquiryPayment', { paymentId });
    expect(inquiry.body.paymentResult.resultCode).toBe('ORDER_IS_CLOSED');
  });
});

describe('sandbox refund', () => {
  it('refunds partially at the payment rate, idempotently, up to the amount paid', async () => {
    const { paymentId } = await create(3000);
    await simulate(paymentId);
    const payment = await sandbox.call('inquiryPayment', { paymentId });
    const refund = {
      refundRequestId: `RF${paymentId}`,
      paymentId,
      refundAmount: { currency: 'JPY', value: '1000' },
    };
    const first = await sandbox.call('refund', refund);
    expect(first.verified).toBe(true);
    expect(first.body).toMatchObject({
      result: { resultCode: 'SUCCESS', resultStatus: 'S' },
      refundAmount: { currency: 'JPY', value: '1000' },
      settlementAmount: { currency: 'JPY', value: '1000' },
      settlementQuote: payment.body.settlementQuote,
    });
    const again = await sandbox.call('refund', refund);
    expect(again.body.refundId).toBe(first.body.refundId);
    const inconsistent = await sandbox.call('refund', {
      ...refund,
      refundAmount: { currency: 'JPY', value: '999' },
    });
    expect(inconsistent.body.result.resultCode).toBe('REPEAT_REQ_INCONSISTENT');
    const over = await sandbox.call('refund', {
      refundRequestId: `RF2${paymentId}`,
      paymentId,
      refundAmount: { currency: 'JPY', value: '2001' },
    });
    expect(over.body.result).toMatchObject({ resultCode: 'REFUND_AMOUNT_EXCEED', resultStatus: 'F' });
    const rest = await sandbox.call('refund', {
      refundRequestId: `RF3${paymentId}`,
      paymentId,
      refundAmount: { currency: 'JPY', value: '2000' },
    });
    expect(rest.body.result.resultCode).toBe('SUCCESS');
    const inquiry = await sandbox.call('inquiryPayment', { paymentId });
    const refunds = inquiry.body.transactions.filter(
      (t: { transactionType: string }) => t.transactionType === 'REFUND',
    );
    expect(refunds.map((t: { transactionStatus: string }) => t.transactionStatus)).toEqual([
      'SUCCESS',
      'FAIL',
      'SUCCESS',
    ]);
    // The shopper gets back exactly what they paid: 3000 × 0.3871 = 1161.30 PHP.
    const { refunds: rows } = (await sandbox.control('GET', `/sandbox/v1/orders/${paymentId}`)).body;
    const back = rows
      .filter((r: { status: string }) => r.status === 'SUCCESS')
      .reduce((sum: number, r: { wallet_amount: string }) => sum + Number(r.wallet_amount), 0);
    expect(back).toBe(116130);
  });

  it('answers U twice then S for 6001, and F PROCESS_FAIL for 6002', async () => {
    const unknown = await create(6001);
    await simulate(unknown.paymentId);
    const refund = {
      refundRequestId: `RF${unknown.paymentId}`,
      paymentId: unknown.paymentId,
      refundAmount: { currency: 'JPY', value: '6001' },
    };
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await sandbox.call('refund', refund)).body.result.resultStatus);
    expect(codes).toEqual(['U', 'U', 'S']);

    const failing = await create(6002);
    await simulate(failing.paymentId);
    const refused = await sandbox.call('refund', {
      refundRequestId: `RF${failing.paymentId}`,
      paymentId: failing.paymentId,
      refundAmount: { currency: 'JPY', value: '100' },
    });
    expect(refused.body.result).toMatchObject({ resultCode: 'PROCESS_FAIL', resultStatus: 'F' });
  });

  it('refuses a refund more than one year after the payment with REFUND_WINDOW_EXCEED', async () => {
    const { paymentId } = await create(1500);
    await simulate(paymentId);
    await moveClock(367 * DAY);
    const refund = await sandbox.call('refund', {
      refundRequestId: `RF${paymentId}`,
      paymentId,
      refundAmount: { currency: 'JPY', value: '100' },
    });
    expect(refund.body.result).toMatchObject({ resultCode: 'REFUND_WINDOW_EXCEED', resultStatus: 'F' });
  });

  it('refuses a refund of an unpaid order', async () => {
    const { paymentId } = await create(1500);
    const refund = await sandbox.call('refund', {
      refundRequestId: `RF${paymentId}`,
      paymentId,
      refundAmount: { currency: 'JPY', value: '100' },
    });
    expect(refund.body.result.resultStatus).toBe('F');
  });
});

describe('sandbox FX', () => {
  it('rounds the shopper amount up to the wallet currency minor unit', async () => {
    const php = await create(1);
    expect((await simulate(php.paymentId, 'GCASH')).walletAmount).toEqual({ currency: 'PHP', value: '39' });
    const krw = await create(1000);
    expect((await simulate(krw.paymentId, 'KAKAOPAY')).walletAmount).toEqual({
      currency: 'KRW',
      value: '9216',
    });
    const idr = await create(3);
    expect((await simulate(idr.paymentId, 'DANA')).walletAmount).toEqual({ currency: 'IDR', value: '32412' });
    const exact = await create(1000);
    expect((await simulate(exact.paymentId, 'GCASH')).walletAmount).toEqual({
      currency: 'PHP',
      value: '38710',
    });
  });

  it('takes configured reference rates', async () => {
    const custom = await startSandbox({ fxRates: { THB: '0.25' } });
    try {
      const created = await custom.call('pay', payBody(3));
      const paid = await custom.control('POST', '/sandbox/v1/simulate/pay', {
        paymentId: created.body.paymentId,
        wallet: 'TRUEMONEY',
      });
      expect(paid.body.walletAmount).toEqual({ currency: 'THB', value: '75' });
      const inquiry = await custom.call('inquiryPayment', { paymentId: created.body.paymentId });
      expect(inquiry.body.settlementQuote).toMatchObject({
        quoteCurrencyPair: 'JPY/THB',
        quotePrice: '0.25',
      });
    } finally {
      await custom.close();
    }
  });
});
