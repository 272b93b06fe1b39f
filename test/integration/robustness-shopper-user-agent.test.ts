import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases';
import { alipayMessages, PC_UA, type Stack, startStack } from '../support/stack';

/**
 * The shopper's User-Agent header goes to Alipay+ `pay` as `order.env.userAgent` unchanged. An
 * absent header becomes `""` — which alipayplus.md, Data rules forbids ("optional fields are
 * omitted or null, never \"\"") — and a long one exceeds the 1024 characters Alipay+ (the sandbox)
 * takes. Either way `pay` is refused with PARAM_ILLEGAL and an accepted purchase ends FAILED (NG
 * 6101) through no fault of the shopper or the merchant.
 */
for (const dialect of DIALECTS) {
  describe(`a shopper's odd User-Agent on the way to Alipay+ (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
    });
    afterAll(async () => {
      await stack?.close();
    });

    async function expectSentToCashier(userAgent: string) {
      const fields = stack.purchaseFields();
      const answer = await stack.postPurchase(fields, { userAgent });
      const payment = await stack.payment({ orderId: fields.order_id! });
      expect({ status: payment.status, code: payment.result_code }).toEqual({
        status: 'IN_PROGRESS',
        code: null,
      });
      expect(answer.status).toBe(303);
      expect(answer.headers.get('location')).toContain('/sandbox/cashier/');
      const [pay] = await alipayMessages(stack, payment.tracking_id, 'pay');
      const env = (JSON.parse(pay!.request_body) as { order: { env: Record<string, unknown> } }).order.env;
      expect(env.userAgent).not.toBe('');
      if (typeof env.userAgent === 'string') expect(env.userAgent.length).toBeLessThanOrEqual(1024);
    }

    it('takes a shopper whose browser sends no User-Agent to Alipay+', async () => {
      await expectSentToCashier('');
    });

    it('takes a shopper whose User-Agent is longer than 1024 characters to Alipay+', async () => {
      await expectSentToCashier(`${PC_UA} ${'Extension/1.0 '.repeat(80)}`.slice(0, 1500));
    });

    it('takes a shopper without a User-Agent from the selection screen to Alipay+', async () => {
      const fields = stack.purchaseFields({ pay_method: '' });
      const selection = (await stack.postPurchase(fields, { userAgent: '' })).headers.get('location')!;
      const chosen = await fetch(`${stack.gatewayUrl}${selection}/alipayplus`, {
        method: 'POST',
        redirect: 'manual',
      });
      expect((await stack.payment({ orderId: fields.order_id! })).status).toBe('IN_PROGRESS');
      expect(chosen.status).toBe(303);
    });
  });
}
