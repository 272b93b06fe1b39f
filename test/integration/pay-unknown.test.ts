import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases';
import { alipayMessages, type Stack, sandboxControl, startStack } from '../support/stack';

/** `pay` without a clear answer: re-send the same request, then inquire; never guess. */
for (const dialect of DIALECTS) {
  describe(`pay with an unknown outcome (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect, { timeoutMs: 1000 });
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('re-sends the same pay after a client timeout and redirects the shopper (amount 5002)', async () => {
      const fields = stack.purchaseFields({ amount: '5002' });
      const response = await stack.postPurchase(fields);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toContain('/sandbox/cashier/');
      const payment = await stack.payment({ orderId: fields.order_id! });
      const pays = await alipayMessages(stack, payment.tracking_id, 'pay');
      expect(pays).toHaveLength(2);
      expect(pays[0]!.response_status).toBeNull();
      expect(pays[0]!.request_body).toBe(pays[1]!.request_body);
      expect(payment.pay_outcome).toBe('CREATED');

      const paid = await fetch(`${stack.sandboxUrl}/sandbox/v1/simulate/pay`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          cashierUrl: response.headers.get('location'),
          wallet: 'GCASH',
          user: 'alice',
          action: 'pay',
        }),
      });
      expect(((await paid.json()) as { status: string }).status).toBe('SUCCESS');
      const until = Date.now() + 5000;
      while (
        (await stack.payment({ orderId: fields.order_id! })).status !== 'CAPTURED' &&
        Date.now() < until
      ) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect((await stack.payment({ orderId: fields.order_id! })).status).toBe('CAPTURED');
    });

    it('shows error 4301 while Alipay+ does not answer, and "try again" re-sends the same pay', async () => {
      await sandboxControl(stack, 'POST', '/sandbox/v1/faults', { api: 'pay', mode: 'http500', count: 3 });
      await sandboxControl(stack, 'POST', '/sandbox/v1/faults', {
        api: 'inquiryPayment',
        mode: 'http500',
        count: 1,
      });
      try {
        const fields = stack.purchaseFields();
        const response = await stack.postPurchase(fields);
        expect(response.status).toBe(504);
        const html = await response.text();
        expect(html).toContain('4301');
        const payment = await stack.payment({ orderId: fields.order_id! });
        expect(payment.status).toBe('IN_PROGRESS');
        expect(payment.pay_outcome).toBe('UNKNOWN');

        const retry = await fetch(`${stack.gatewayUrl}/f01/payments/${payment.token}/alipayplus`, {
          method: 'POST',
          redirect: 'manual',
        });
        expect(retry.status).toBe(303);
        expect(retry.headers.get('location')).toContain('/sandbox/cashier/');
        const after = await stack.payment({ orderId: fields.order_id! });
        expect(after.payment_request_id).toBe(payment.payment_request_id);
        expect(after.pay_outcome).toBe('CREATED');
      } finally {
        await sandboxControl(stack, 'DELETE', '/sandbox/v1/faults');
      }
    });
  });
}
