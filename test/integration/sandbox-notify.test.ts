import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_ID,
  payBody,
  type RunningSandbox,
  startAcqp,
  startSandbox,
  type TestAcqp,
} from '../support/sandbox-harness';
import { eventually } from '../support/stack';

let sandbox: RunningSandbox;
let acqp: TestAcqp;

beforeAll(async () => {
  sandbox = await startSandbox({ timeFactor: 0.001 });
});

afterAll(async () => {
  await sandbox.close();
});

afterEach(async () => {
  await sandbox.control('DELETE', '/sandbox/v1/faults');
  await acqp?.close();
});

async function createAndPay(amount: number, user = 'alice', wallet = 'GCASH') {
  acqp = await startAcqp();
  const body = payBody(amount, {}, acqp.notifyUrl);
  const created = await sandbox.call('pay', body);
  expect(created.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');
  const paid = await sandbox.control('POST', '/sandbox/v1/simulate/pay', {
    paymentRequestId: body.paymentRequestId,
    wallet,
    user,
    action: 'pay',
  });
  expect(paid.status).toBe(200);
  return { body, paymentId: created.body.paymentId as string, paid: paid.body };
}

async function orderState(paymentId: string) {
  return (await sandbox.control('GET', `/sandbox/v1/orders/${paymentId}`)).body;
}

/** The order's (only) notification once it has reached `status`. */
async function notificationOnceIn(paymentId: string, status: string) {
  await eventually(async () => (await orderState(paymentId)).notifications[0]?.status === status);
  return (await orderState(paymentId)).notifications[0];
}

describe('sandbox notifyPayment', () => {
  it('notifies a payment by alice, signed by the sandbox, with the settlement quote', async () => {
    const { body, paymentId, paid } = await createAndPay(1500);
    expect(paid).toMatchObject({
      status: 'SUCCESS',
      resultCode: 'SUCCESS',
      redirectUrl: body.paymentRedirectUrl,
    });
    const [notification] = await acqp.waitFor(1);
    expect(notification?.verified).toBe(true);
    expect(notification?.headers['client-id']).toBe(CLIENT_ID);
    expect(notification?.headers['request-time']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
    expect(notification?.body).toEqual({
      paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
      paymentRequestId: body.paymentRequestId,
      paymentId,
      acquirerId: expect.stringMatching(/^\d{16}$/),
      pspId: '1022170000000000000',
      walletBrandName: 'GCash',
      customerId: 'gcash-alice',
      paymentAmount: { currency: 'JPY', value: '1500' },
      paymentTime: expect.stringMatching(/\+09:00$/),
      settlementAmount: { currency: 'JPY', value: '1500' },
      settlementQuote: { quoteId: expect.any(String), quoteCurrencyPair: 'JPY/PHP', quotePrice: '0.3871' },
    });
    const delivered = await notificationOnceIn(paymentId, 'DELIVERED');
    expect(delivered).toMatchObject({ attempts: 1, next_attempt_at: null });
    expect(delivered.attemptLog[0]).toMatchObject({
      http_status: 200,
      verified: 1,
      accepted: 1,
    });
  });

  it('retries until the ACQP answers a signed S, recording every attempt', async () => {
    acqp = await startAcqp();
    const answers = ['http500', 'unsigned', 'badSignature', 'resultF', 'ok'] as const;
    acqp.behave = (n) => answers[n - 1] ?? 'ok';
    const body = payBody(1500, {}, acqp.notifyUrl);
    const created = await sandbox.call('pay', body);
    await sandbox.control('POST', '/sandbox/v1/simulate/pay', {
      paymentId: created.body.paymentId,
      wallet: 'ALIPAY_CN',
      user: 'alice',
      action: 'pay',
    });
    // 2 min, 10 min, 10 min, 1 h × 0.001 = 0.12 s, 0.6 s, 0.6 s, 3.6 s.
    await acqp.waitFor(5, 15_000);
    // Delivered: nothing more is scheduled, so the five attempts are all there will be.
    const notification = await notificationOnceIn(created.body.paymentId, 'DELIVERED');
    expect(notification.next_attempt_at).toBeNull();
    expect(acqp.received).toHaveLength(5);
    expect(
      notification.attemptLog.map((a: { http_status: number; accepted: number }) => [
        a.http_status,
        a.accepted,
      ]),
    ).toEqual([
      [500, 0],
      [200, 0],
      [200, 0],
      [200, 0],
      [200, 1],
    ]);
  }, 20_000);

  it('notifies a refusal: nofunds and amount 4001 give F USER_BALANCE_NOT_ENOUGH', async () => {
    const nofunds = await createAndPay(1500, 'nofunds');
    expect(nofunds.paid).toMatchObject({ status: 'FAIL', resultCode: 'USER_BALANCE_NOT_ENOUGH' });
    const [first] = await acqp.waitFor(1);
    expect(first?.body.paymentResult).toMatchObject({
      resultCode: 'USER_BALANCE_NOT_ENOUGH',
      resultStatus: 'F',
    });
    expect(first?.body.settlementAmount).toBeUndefined();
    await acqp.close();

    const magic = await createAndPay(4001, 'alice');
    expect(magic.paid.resultCode).toBe('USER_BALANCE_NOT_ENOUGH');
    const [second] = await acqp.waitFor(1);
    expect(second?.body.paymentResult.resultCode).toBe('USER_BALANCE_NOT_ENOUGH');
    const inquiry = await sandbox.call('inquiryPayment', { paymentId: magic.paymentId });
    expect(inquiry.body.paymentResult).toMatchObject({
      resultCode: 'USER_BALANCE_NOT_ENOUGH',
      resultStatus: 'F',
    });
  });

  it('never sends the notification for 5003; inquiry still reports the payment', async () => {
    const { paymentId } = await createAndPay(5003);
    const withheld = await notificationOnceIn(paymentId, 'WITHHELD');
    expect(withheld).toMatchObject({ attempts: 0, next_attempt_at: null });
    expect(acqp.received).toHaveLength(0);
    const inquiry = await sandbox.call('inquiryPayment', { paymentId });
    expect(inquiry.body.paymentResult).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(inquiry.body.settlementQuote.quoteCurrencyPair).toBe('JPY/PHP');
    expect(inquiry.body.acquirerId).toMatch(/^\d{16}$/);
    // The console can still send it.
    const resent = await sandbox.control('POST', `/sandbox/v1/notifications/${withheld.id}/resend`);
    expect(resent.status).toBe(202);
    await acqp.waitFor(1);
  });

  it('sends the notification three times for 5004', async () => {
    const { paymentId } = await createAndPay(5004);
    await acqp.waitFor(3);
    const delivered = await notificationOnceIn(paymentId, 'DELIVERED');
    expect(delivered.next_attempt_at).toBeNull();
    const received = acqp.received;
    expect(received).toHaveLength(3);
    expect(new Set(received.map((n) => n.body.paymentId))).toEqual(new Set([paymentId]));
  });

  it('sends the notification 2 minutes (× time factor) late for 5005', async () => {
    const { paymentId } = await createAndPay(5005);
    await acqp.waitFor(1);
    // The sandbox's own record: the first attempt came 2 min × 0.001 after the notification was made.
    const notification = await notificationOnceIn(paymentId, 'DELIVERED');
    expect(notification.attemptLog[0].at - notification.created_at).toBeGreaterThanOrEqual(120);
  });

  it('applies notify faults: a dropped attempt is retried, a duplicate arrives twice', async () => {
    await sandbox.control('POST', '/sandbox/v1/faults', { api: 'notify', mode: 'drop' });
    const dropped = await createAndPay(1500);
    await acqp.waitFor(1);
    const [notification] = (await orderState(dropped.paymentId)).notifications;
    expect(notification.attemptLog[0]).toMatchObject({
      http_status: null,
      error: expect.stringContaining('drop'),
    });
    await acqp.close();

    await sandbox.control('POST', '/sandbox/v1/faults', { api: 'notify', mode: 'duplicate' });
    await createAndPay(1500);
    await acqp.waitFor(2);
  });

  it('stops a pending success notification when the order is cancelled (cancel wins)', async () => {
    acqp = await startAcqp();
    acqp.behave = () => 'http500';
    const body = payBody(1500, {}, acqp.notifyUrl);
    const created = await sandbox.call('pay', body);
    await sandbox.control('POST', '/sandbox/v1/simulate/pay', {
      paymentId: created.body.paymentId,
      wallet: 'GCASH',
      action: 'pay',
    });
    await acqp.waitFor(1);
    const cancel = await sandbox.call('cancelPayment', { paymentRequestId: body.paymentRequestId });
    expect(cancel.body.result.resultCode).toBe('SUCCESS');
    // Stopped with nothing scheduled: no further attempt can be made.
    const [notification] = (await orderState(created.body.paymentId)).notifications;
    expect(notification).toMatchObject({ status: 'STOPPED', next_attempt_at: null });
  });
});
