import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { a02ResultNotification } from '../../src/channels/link/result-notification';
import type { PaymentRow } from '../../src/db/database';
import { OffsetClock } from '../../src/kernel/clock';
import { randomIds } from '../../src/kernel/ids';
import { yen } from '../../src/kernel/money';
import { DEMO_MERCHANT_ID, DEMO_SERVICE_ID, seedDemoData } from '../../src/merchants/demo-seed';
import { findServiceWithMerchant } from '../../src/merchants/merchant.repository';
import { NotificationService } from '../../src/notifications/notification.service';
import { findPaymentByTrackingId } from '../../src/payments/payment.repository';
import { type Payment, PaymentService } from '../../src/payments/payment.service';
import { JOB_CANCEL, JOB_DEADLINE } from '../../src/payments/payment-schedule';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';
import { paidDetails, ScriptedProvider } from '../support/scripted-provider';

/**
 * The payment service against Alipay+'s possible answers (payment-lifecycle.md), called directly
 * with a scripted provider: no HTTP, no sandbox. Each case checks the state reached, the calls
 * made and the A02-1 queued for the merchant.
 */
const AMOUNT = 1_200;
const GATEWAY = 'http://gateway.test';

describe.each(DIALECTS)('payment service and Alipay+ outcomes (%s)', (dialect) => {
  let database: TestDatabase;
  let provider: ScriptedProvider;
  let service: PaymentService;
  let order = 0;
  /** The services the payment service looked up itself. */
  let serviceReads: string[] = [];
  const clock = new OffsetClock();
  const silent = { info() {}, warn() {}, error() {} };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await seedDemoData(database.db, clock.now(), {});
  });
  afterAll(() => database?.close());

  beforeEach(() => {
    provider = new ScriptedProvider();
    serviceReads = [];
    const { db } = database;
    const notifications = new NotificationService({
      db,
      clock,
      mode: 'demo',
      format: a02ResultNotification,
      wakeJobs: () => {},
      metrics: { alipayPlusCall() {}, notificationAttempt() {}, refundFinished() {} },
    });
    service = new PaymentService({
      db,
      clock,
      ids: randomIds,
      provider,
      notifications,
      wakeJobs: () => {},
      gatewayPublicUrl: GATEWAY,
      findService: (merchantId, serviceId) => {
        serviceReads.push(`${merchantId}${serviceId}`);
        return findServiceWithMerchant(db, merchantId, serviceId);
      },
      logger: silent,
    });
  });

  /** A new payment on the selection screen (REQUESTED). */
  async function requested(): Promise<Payment> {
    order += 1;
    const created = await service.createPayment({
      merchantId: DEMO_MERCHANT_ID,
      serviceId: DEMO_SERVICE_ID,
      orderId: `svc-${dialect}-${order}`,
      amount: yen(AMOUNT),
      custCode: 'C1',
      itemId: 'I1',
      itemName: 'Item',
      requestFields: {},
      details: [],
      freeCsv: '',
      charset: 'utf-8',
      terminal: 'WEB',
      osType: null,
      userAgent: 'test',
      clientIp: '127.0.0.1',
    });
    if (created.kind !== 'created') throw new Error('payment not created');
    return created.payment;
  }

  const reload = async (payment: PaymentRow) =>
    (await findPaymentByTrackingId(database.db, payment.tracking_id))!;

  const notices = (payment: PaymentRow) =>
    database.db
      .selectFrom('notifications')
      .select(['result', 'err_code'])
      .where('tracking_id', '=', payment.tracking_id)
      .execute();

  const jobKinds = async (payment: PaymentRow) =>
    (
      await database.db
        .selectFrom('jobs')
        .select('kind')
        .where('payload', 'like', `%${payment.tracking_id}%`)
        .execute()
    ).map((job) => job.kind);

  const created = {
    kind: 'created',
    redirectUrl: 'https://wallet.test/cashier/1',
    providerPaymentId: 'P1',
  } as const;

  /** A payment whose shopper is at the Alipay+ cashier (pay answered S). */
  async function atCashier(): Promise<PaymentRow> {
    provider.script('pay', created);
    const payment = await requested();
    await service.startAlipay(payment.token);
    return payment;
  }

  it('S: sends pay once with the payment request id and redirects; the notification then captures', async () => {
    provider.script('pay', created);
    const payment = await requested();

    expect(await service.startAlipay(payment.token)).toEqual({ kind: 'redirect', url: created.redirectUrl });
    const started = await reload(payment);
    expect(started).toMatchObject({ status: 'IN_PROGRESS', pay_outcome: 'CREATED', alipay_payment_id: 'P1' });
    const [command] = provider.callsOf('pay');
    expect(command).toMatchObject({
      paymentRequestId: started.payment_request_id,
      amount: AMOUNT,
      trackingId: payment.tracking_id,
      notifyUrl: `${GATEWAY}/alipayplus/notifyPayment`,
    });
    expect(await notices(payment)).toEqual([]);

    const verdict = await service.applyNotification({
      paymentRequestId: started.payment_request_id!,
      result: { kind: 'paid', details: paidDetails(AMOUNT) },
      exchange: {
        api: 'notifyPayment',
        requestBody: '{}',
        responseStatus: null,
        responseBody: null,
        durationMs: 0,
      },
    });
    expect(verdict).toBe('recorded');
    expect(await reload(payment)).toMatchObject({ status: 'CAPTURED', wallet: 'ALIPAY_CN' });
    expect(await notices(payment)).toEqual([{ result: 'OK', err_code: '' }]);
    expect(provider.calls.map((call) => call.api)).toEqual(['pay']);
  });

  it('sends pay with the service the caller read for its checks, without reading it again', async () => {
    provider.script('pay', created);
    const payment = await requested();
    const read = (await findServiceWithMerchant(database.db, DEMO_MERCHANT_ID, DEMO_SERVICE_ID))!;

    const outcome = await service.continueToAlipay(payment, { ...read, approvedWallets: ['GCASH'] });
    expect(outcome).toEqual({ kind: 'redirect', url: created.redirectUrl });
    expect(provider.callsOf('pay')[0]).toMatchObject({ allowedSubBrands: ['GCASH'] });
    expect(serviceReads).toEqual([]);

    // Without a service given, the payment service reads it itself.
    provider.script('pay', created);
    await service.startAlipay((await requested()).token);
    expect(serviceReads).toEqual([`${DEMO_MERCHANT_ID}${DEMO_SERVICE_ID}`]);
  });

  it('F: a refused pay fails the payment at once, with its code and an NG notification, and asks nothing more', async () => {
    provider.script('pay', { kind: 'failed', code: 'USER_BALANCE_NOT_ENOUGH' });
    const payment = await requested();

    const outcome = await service.startAlipay(payment.token);
    expect(outcome.kind).toBe('final');
    expect(await reload(payment)).toMatchObject({ status: 'FAILED', result_code: 'USER_BALANCE_NOT_ENOUGH' });
    expect(await notices(payment)).toEqual([{ result: 'NG', err_code: '6101' }]);
    expect(provider.calls.map((call) => call.api)).toEqual(['pay']);
  });

  it('U: re-sends the same pay, then inquires, and captures what the inquiry says was paid', async () => {
    const unknown = { kind: 'unknown', reason: 'timeout' } as const;
    provider.script('pay', unknown, unknown, unknown);
    provider.script('inquire', { kind: 'paid', details: paidDetails(AMOUNT) });
    const payment = await requested();

    const outcome = await service.startAlipay(payment.token);
    expect(outcome.kind).toBe('final');
    const ended = await reload(payment);
    expect(ended.status).toBe('CAPTURED');
    // One payment request id for every send: Alipay+ makes one payment of them.
    expect(new Set(provider.callsOf('pay').map((command) => command.paymentRequestId))).toEqual(
      new Set([ended.payment_request_id]),
    );
    expect(provider.callsOf('inquire')).toEqual([ended.payment_request_id]);
    expect(await notices(payment)).toEqual([{ result: 'OK', err_code: '' }]);
  });

  it('U: when the inquiry knows nothing either, the payment stays open for its deadline, with no notification', async () => {
    const unknown = { kind: 'unknown', reason: 'HTTP 503' } as const;
    provider.script('pay', unknown, unknown, unknown);
    provider.script('inquire', { kind: 'unknown', reason: 'HTTP 503' });
    const payment = await requested();

    const outcome = await service.startAlipay(payment.token);
    expect(outcome.kind).toBe('unavailable');
    expect(await reload(payment)).toMatchObject({ status: 'IN_PROGRESS', pay_outcome: 'UNKNOWN' });
    expect(await jobKinds(payment)).toContain(JOB_DEADLINE);
    expect(await notices(payment)).toEqual([]);
    expect(provider.unused()).toBe(0);
  });

  it('a pay that throws ends nothing: the payment stays IN_PROGRESS, owned by its deadline job', async () => {
    provider.script('pay', { throws: new Error('socket hang up') });
    const payment = await requested();

    await expect(service.startAlipay(payment.token)).rejects.toThrow('socket hang up');
    expect((await reload(payment)).status).toBe('IN_PROGRESS');
    expect(await jobKinds(payment)).toContain(JOB_DEADLINE);
    expect(await notices(payment)).toEqual([]);
  });

  it("cancel: the shopper's cancel, confirmed by Alipay+, closes the payment as CANCELED (CN 6102)", async () => {
    const payment = await atCashier();
    provider.script('cancel', { kind: 'closed', code: 'SUCCESS' });

    const outcome = await service.cancelByShopper(payment.token);
    expect(outcome.kind).toBe('final');
    const ended = await reload(payment);
    expect(ended.status).toBe('CANCELED');
    expect(provider.callsOf('cancel')).toEqual([ended.payment_request_id]);
    expect(await notices(payment)).toEqual([{ result: 'CN', err_code: '6102' }]);
  });

  it('cancel: refused because the shopper paid meanwhile, the inquiry finds the money and it is captured', async () => {
    const payment = await atCashier();
    provider.script('cancel', { kind: 'refused', code: 'ORDER_STATUS_INVALID' });
    provider.script('inquire', { kind: 'paid', details: paidDetails(AMOUNT) });

    await service.cancelByShopper(payment.token);
    expect((await reload(payment)).status).toBe('CAPTURED');
    expect(provider.calls.map((call) => call.api)).toEqual(['pay', 'cancel', 'inquire']);
    expect(await notices(payment)).toEqual([{ result: 'OK', err_code: '' }]);
  });

  it('cancel: an unanswered cancel leaves the payment open, marked, with the job that re-sends it', async () => {
    const payment = await atCashier();
    provider.script('cancel', { kind: 'unknown', reason: 'timeout' });

    const outcome = await service.cancelByShopper(payment.token);
    expect(outcome.kind).toBe('pending');
    const open = await reload(payment);
    expect(open).toMatchObject({ status: 'IN_PROGRESS', cancel_target: 'CANCELED' });
    expect(open.cancel_requested_at).not.toBeNull();
    expect(await jobKinds(payment)).toContain(JOB_CANCEL);
    expect(await notices(payment)).toEqual([]);
  });
});
