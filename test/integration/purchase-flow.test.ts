import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_FIELDS } from '../../src/channels/link/link-fields';
import { linkHash } from '../../src/channels/link/link-hash';
import { DIALECTS } from '../support/databases';
import { alipayMessages, PC_UA, type Stack, simulatePay, startStack, TEST_HASH_KEY } from '../support/stack';

/**
 * One purchase end to end over real HTTP: merchant form → gateway → Alipay+ sandbox → wallet →
 * notifyPayment → capture → A02-1 to the merchant → A03-1 in the browser.
 */

async function waitFor<T>(what: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (ok(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const dialect of DIALECTS) {
  describe(`purchase flow (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
    });
    afterAll(async () => {
      await stack?.close();
    });

    async function buy(wallet: string, user: string, overrides: Record<string, string> = {}) {
      const fields = stack.purchaseFields(overrides);
      const response = await stack.postPurchase(fields);
      expect(response.status).toBe(303);
      const cashierUrl = response.headers.get('location')!;
      expect(cashierUrl.startsWith(`${stack.sandboxUrl}/sandbox/cashier/`)).toBe(true);
      const paid = await simulatePay(stack, { cashierUrl, wallet, user, action: 'pay' });
      return { fields, cashierUrl, paid };
    }

    it('captures a QR-wallet payment and tells the merchant before the shopper lands', async () => {
      const before = stack.merchant.notifications.length;
      const { fields, paid } = await buy('GCASH', 'alice');
      expect(paid.status).toBe('SUCCESS');
      const payment = await waitFor(
        () => stack.payment({ orderId: fields.order_id! }),
        (p) => p.status === 'CAPTURED',
      );
      expect(payment.status).toBe('CAPTURED');
      expect(payment.wallet).toBe('GCASH');
      expect(payment.paid_at).not.toBeNull();

      // The shopper comes back: the A03-1 page auto-posts to success_url.
      const back = await fetch(paid.redirectUrl!, { headers: { 'User-Agent': PC_UA } });
      expect(back.status).toBe(200);
      expect(back.headers.get('content-type')).toContain('Shift_JIS');
      const page = Buffer.from(await back.arrayBuffer()).toString('latin1');
      expect(page).toContain(`action="${fields.success_url}"`);
      expect(page).toContain('name="res_result" value="OK"');

      const a02 = stack.merchant.notifications
        .slice(before)
        .filter((n) => n.fields.order_id === fields.order_id);
      expect(a02).toHaveLength(1);
      const notice = a02[0]!;
      expect(notice.hashValid).toBe(true);
      expect(notice.fields.res_result).toBe('OK');
      expect(notice.fields.res_tracking_id).toBe(payment.tracking_id);
      expect(notice.fields.res_tracking_id).toMatch(/^\d{14}$/);
      expect(notice.fields.res_pay_method).toBe('alipay');
      expect(notice.fields.res_payment_date).toMatch(/^\d{14}$/);
      expect(notice.fields.res_err_code).toBe('');
      expect(notice.fields.item_name).toBe('抹茶セット');
      expect(notice.fields.amount).toBe('1500');
      // The hash is upper-case hex over UTF-8, in the documented field order.
      expect(notice.fields.sps_hashcode).toBe(
        linkHash(
          RESULT_FIELDS.map((name) => notice.fields[name] ?? ''),
          TEST_HASH_KEY,
        ).toUpperCase(),
      );
      const events = await stack.database.db
        .selectFrom('payment_events')
        .select(['from_status', 'to_status'])
        .where('tracking_id', '=', payment.tracking_id)
        .orderBy('id')
        .execute();
      expect(events.map((e) => `${e.from_status}>${e.to_status}`)).toEqual([
        'REQUESTED>IN_PROGRESS',
        'IN_PROGRESS>CAPTURED',
      ]);
      // Sent straight to Alipay+ (pay_method=alipay): no selection screen can idle, so the payment's
      // only job was its deadline, written with the move to IN_PROGRESS and deleted by the capture.
      const jobs = await stack.database.db
        .selectFrom('jobs')
        .select('dedupe_key')
        .where('payload', 'like', `%"${payment.tracking_id}"%`)
        .execute();
      expect(jobs).toEqual([]);
      expect(payment.deadline_at! - payment.in_progress_at!).toBe(10 * 60_000);
      expect((await alipayMessages(stack, payment.tracking_id)).map((m) => m.api)).toEqual([
        'pay',
        'notifyPayment',
      ]);
    });

    it('captures a login-wallet payment (DANA, alice)', async () => {
      const { fields, paid } = await buy('DANA', 'alice');
      expect(paid.status).toBe('SUCCESS');
      const payment = await waitFor(
        () => stack.payment({ orderId: fields.order_id! }),
        (p) => p.status === 'CAPTURED',
      );
      expect(payment.status).toBe('CAPTURED');
      expect(payment.wallet).toBe('DANA');
      await stack.merchant.waitForNotifications(
        stack.merchant.notifications.filter((n) => n.fields.order_id === fields.order_id).length || 1,
      );
    });

    it('shows the method-selection screen when pay_method is not exactly alipay, then goes to Alipay+', async () => {
      const fields = stack.purchaseFields({ pay_method: '' });
      const response = await stack.postPurchase(fields);
      expect(response.status).toBe(303);
      const selection = response.headers.get('location')!;
      expect(selection).toMatch(/^\/f01\/payments\/[A-Za-z0-9_-]{32}$/);
      const page = await fetch(stack.gatewayUrl + selection, { headers: { 'Accept-Language': 'ja' } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('[Alipay+]');
      // The merchant's order id lets the shopper match the payment to the order (the URL keeps the token).
      expect(html).toContain(fields.order_id);
      expect((await stack.payment({ orderId: fields.order_id! })).status).toBe('REQUESTED');

      const chosen = await fetch(`${stack.gatewayUrl}${selection}/alipayplus`, {
        method: 'POST',
        redirect: 'manual',
      });
      expect(chosen.status).toBe(303);
      expect(chosen.headers.get('location')).toContain('/sandbox/cashier/');
      const payment = await stack.payment({ orderId: fields.order_id! });
      expect(payment.status).toBe('IN_PROGRESS');
      expect(payment.deadline_at! - payment.in_progress_at!).toBe(10 * 60_000);
    });

    it('lets the shopper return to the shop from the selection screen (CANCELED, CN 6102)', async () => {
      const fields = stack.purchaseFields({ pay_method: '' });
      const selection = (await stack.postPurchase(fields)).headers.get('location')!;
      const back = await fetch(`${stack.gatewayUrl}${selection}/cancel`, { method: 'POST' });
      expect(back.status).toBe(200);
      expect(await back.text()).toContain(`action="${fields.cancel_url}"`);
      expect((await stack.payment({ orderId: fields.order_id! })).status).toBe('CANCELED');
      const notice = stack.merchant.notifications.find((n) => n.fields.order_id === fields.order_id);
      expect(notice?.fields.res_result).toBe('CN');
      expect(notice?.fields.res_err_code).toBe('6102');
    });

    it.each([
      ['a test user without funds', { user: 'nofunds', amount: '1500' }],
      ['magic amount 4001', { user: 'alice', amount: '4001' }],
    ])('marks the payment FAILED and tells the merchant NG for %s', async (_name, { user, amount }) => {
      const { fields, paid } = await buy('GCASH', user, { amount });
      expect(paid.status).toBe('FAIL');
      expect(paid.resultCode).toBe('USER_BALANCE_NOT_ENOUGH');
      const payment = await waitFor(
        () => stack.payment({ orderId: fields.order_id! }),
        (p) => p.status === 'FAILED',
      );
      expect(payment.status).toBe('FAILED');
      expect(payment.result_code).toBe('USER_BALANCE_NOT_ENOUGH');
      const notice = await waitFor(
        async () => stack.merchant.notifications.find((n) => n.fields.order_id === fields.order_id),
        (n) => n !== undefined,
      );
      expect(notice?.fields.res_result).toBe('NG');
      expect(notice?.fields.res_err_code).toBe('6101');
    });

    it('re-sends the same pay after an unknown answer (amount 5001)', async () => {
      const { fields, paid } = await buy('GCASH', 'alice', { amount: '5001' });
      expect(paid.status).toBe('SUCCESS');
      const messages = await stack.database.db
        .selectFrom('alipay_messages')
        .innerJoin('payments', 'payments.tracking_id', 'alipay_messages.tracking_id')
        .select(['alipay_messages.api', 'alipay_messages.request_body'])
        .where('payments.order_id', '=', fields.order_id!)
        .where('alipay_messages.api', '=', 'pay')
        .execute();
      expect(messages).toHaveLength(2);
      const ids = messages.map(
        (m) => (JSON.parse(m.request_body) as { paymentRequestId: string }).paymentRequestId,
      );
      expect(ids[0]).toBe(ids[1]);
      const payment = await waitFor(
        () => stack.payment({ orderId: fields.order_id! }),
        (p) => p.status === 'CAPTURED',
      );
      expect(payment.status).toBe('CAPTURED');
    });

    it('finds a payment by inquiry when no notification comes (amount 5003)', async () => {
      const { fields, paid } = await buy('GCASH', 'alice', { amount: '5003' });
      expect(paid.status).toBe('SUCCESS');
      expect((await stack.payment({ orderId: fields.order_id! })).status).toBe('IN_PROGRESS');
      const back = await fetch(paid.redirectUrl!);
      expect(back.status).toBe(200);
      expect((await stack.payment({ orderId: fields.order_id! })).status).toBe('CAPTURED');
      const notices = stack.merchant.notifications.filter((n) => n.fields.order_id === fields.order_id);
      expect(notices.map((n) => n.fields.res_result)).toEqual(['OK']);
    });

    it('captures once despite three notifications (amount 5004)', async () => {
      const { fields } = await buy('GCASH', 'alice', { amount: '5004' });
      const payment = await waitFor(
        () => stack.payment({ orderId: fields.order_id! }),
        (p) => p.status === 'CAPTURED',
      );
      await waitFor(
        () => alipayMessages(stack, payment.tracking_id, 'notifyPayment'),
        (rows) => rows.length >= 3,
      );
      const captures = await stack.database.db
        .selectFrom('payment_events')
        .select('id')
        .where('tracking_id', '=', payment.tracking_id)
        .where('to_status', '=', 'CAPTURED')
        .execute();
      expect(captures).toHaveLength(1);
      const notices = await stack.database.db
        .selectFrom('notifications')
        .select('result')
        .where('tracking_id', '=', payment.tracking_id)
        .execute();
      expect(notices.map((n) => n.result)).toEqual(['OK']);
    });

    it('sends WAP with osType for a smartphone and WEB for a PC, from the User-Agent', async () => {
      const iphone =
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
      const phone = stack.purchaseFields({ terminal_type: '1' });
      expect((await stack.postPurchase(phone, { userAgent: iphone })).status).toBe(303);
      const pc = stack.purchaseFields();
      expect((await stack.postPurchase(pc)).status).toBe(303);
      const envOf = async (orderId: string) => {
        const payment = await stack.payment({ orderId });
        const [pay] = await alipayMessages(stack, payment.tracking_id, 'pay');
        return (JSON.parse(pay!.request_body) as { order: { env: Record<string, string> } }).order.env;
      };
      expect(await envOf(phone.order_id!)).toMatchObject({
        terminalType: 'WAP',
        osType: 'IOS',
        userAgent: iphone,
      });
      const web = await envOf(pc.order_id!);
      expect(web.terminalType).toBe('WEB');
      expect(web.osType).toBeUndefined();
    });

    it('shows a self-refreshing confirming page while undecided; "cancel and return" cancels at Alipay+ first', async () => {
      const fields = stack.purchaseFields();
      expect((await stack.postPurchase(fields)).status).toBe(303);
      const payment = await stack.payment({ orderId: fields.order_id! });
      const confirming = await fetch(`${stack.gatewayUrl}/f01/payments/${payment.token}/return`);
      expect(confirming.status).toBe(200);
      const html = await confirming.text();
      expect(html).toMatch(/http-equiv="refresh"/);
      expect(html).toContain(`/f01/payments/${payment.token}/cancel`);

      const cancelled = await fetch(`${stack.gatewayUrl}/f01/payments/${payment.token}/cancel`, {
        method: 'POST',
      });
      expect(cancelled.status).toBe(200);
      expect(await cancelled.text()).toContain(`action="${fields.cancel_url}"`);
      const after = await stack.payment({ orderId: fields.order_id! });
      expect(after.status).toBe('CANCELED');
      const apis = await alipayMessages(stack, payment.tracking_id);
      expect(apis.map((a) => a.api)).toEqual(['pay', 'inquiryPayment', 'cancelPayment']);
      const notice = stack.merchant.notifications.find((n) => n.fields.order_id === fields.order_id);
      expect(notice?.fields).toMatchObject({ res_result: 'CN', res_err_code: '6102' });
    });
  });
}
