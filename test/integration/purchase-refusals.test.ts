import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJstCompact } from '../../src/kernel/jst';
import { setGatewayMaintenance } from '../../src/merchants/merchant.repository';
import { DIALECTS } from '../support/databases';
import { eventually, type PurchaseOptions, type Stack, simulatePay, startStack } from '../support/stack';

/** Every refusal code of A01-1: the error page names it, no payment exists, the error log has a row. */
const FEATURE_PHONE_UA = 'DoCoMo/2.0 P903i(c100;TB;W24H12)';

for (const dialect of DIALECTS) {
  describe(`A01-1 refusals (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
    });
    afterAll(async () => {
      await stack?.close();
    });

    async function expectRefused(
      code: string,
      fields: Record<string, string>,
      options: PurchaseOptions & { field?: string; authenticated?: boolean; status?: number } = {},
    ) {
      const response = await stack.postPurchase(fields, options);
      expect(response.status).toBe(options.status ?? response.status);
      expect(response.status).toBeGreaterThanOrEqual(400);
      const html = await response.text();
      expect(html).toContain(code);
      if (options.field) expect(html).toContain(options.field);
      const payments = await stack.database.db
        .selectFrom('payments')
        .select('tracking_id')
        .where('order_id', '=', fields.order_id ?? '')
        .execute();
      expect(payments).toHaveLength(code === '5107' ? 1 : 0);
      const logged = await stack.database.db
        .selectFrom('payment_errors')
        .selectAll()
        .where('code', '=', code)
        .where('order_id', '=', (fields.order_id ?? '').slice(0, 38))
        .execute();
      expect(logged.length).toBeGreaterThanOrEqual(1);
      if (options.authenticated !== undefined)
        expect(logged.at(-1)!.authenticated).toBe(options.authenticated ? 1 : 0);
      if (options.field) expect(logged.at(-1)!.field).toBe(options.field);
      return response;
    }

    it('5101: a required field is missing', async () => {
      await expectRefused('5101', stack.purchaseFields({ cust_code: '' }), {
        field: 'cust_code',
        authenticated: false,
      });
    });

    it('5102: a field is too long', async () => {
      await expectRefused('5102', stack.purchaseFields({ item_id: 'X'.repeat(33) }), { field: 'item_id' });
    });

    it('5103: a field has the wrong format', async () => {
      await expectRefused('5103', stack.purchaseFields({ amount: '15OO' }), { field: 'amount' });
    });

    it('5103: an amount with a leading zero (a digit moved out of item_name keeps the hash)', async () => {
      const fields = stack.purchaseFields({ item_name: 'Test item1', tax: '', amount: '0500' });
      await expectRefused('5103', fields, { field: 'amount', authenticated: false });
    });

    it('5103: text the Shift_JIS service cannot carry', async () => {
      await expectRefused('5103', stack.purchaseFields({ item_name: 'ชาเขียว' }), {
        field: 'item_name',
        charset: 'utf-8',
      });
    });

    it('5104: a recurring pay_type', async () => {
      await expectRefused('5104', stack.purchaseFields({ pay_type: '1' }), {
        field: 'pay_type',
        authenticated: true,
      });
    });

    it('5105: the hash does not match', async () => {
      await expectRefused('5105', stack.purchaseFields(), {
        hashKey: 'another-key-another-key-another-key-1234',
        authenticated: false,
      });
    });

    it('5106: the request is older than limit_second', async () => {
      const old = formatJstCompact(new Date(stack.clock.now().getTime() - 601_000));
      await expectRefused('5106', stack.purchaseFields({ request_date: old }), { authenticated: true });
    });

    it('5107: the order id was used before, by a different request', async () => {
      const fields = stack.purchaseFields();
      expect((await stack.postPurchase(fields)).status).toBe(303);
      await expectRefused(
        '5107',
        { ...fields, item_id: 'ANOTHER-ITEM', request_date: formatJstCompact(stack.clock.now()) },
        {
          authenticated: true,
        },
      );
    });

    it('sends a re-posted identical A01-1 back to its payment while it is open, without a 5107', async () => {
      const fields = stack.purchaseFields({ pay_method: '' });
      const first = await stack.postPurchase(fields);
      expect(first.status).toBe(303);
      const again = await stack.postPurchase(fields);
      expect(again.status).toBe(303);
      expect(again.headers.get('location')).toBe(first.headers.get('location'));
      const payment = await stack.payment({ orderId: fields.order_id! });
      expect(again.headers.get('location')).toBe(`/f01/payments/${payment.token}`);
      const page = await fetch(`${stack.gatewayUrl}${again.headers.get('location')}`);
      expect(page.status).toBe(200);
      const errors = await stack.database.db
        .selectFrom('payment_errors')
        .select('code')
        .where('order_id', '=', fields.order_id!)
        .execute();
      expect(errors).toEqual([]);
    });

    it('resumes one payment when the same form is submitted twice at once', async () => {
      const fields = stack.purchaseFields({ pay_method: '' });
      const [a, b] = await Promise.all([stack.postPurchase(fields), stack.postPurchase(fields)]);
      expect([a.status, b.status]).toEqual([303, 303]);
      expect(a.headers.get('location')).toBe(b.headers.get('location'));
      const payments = await stack.database.db
        .selectFrom('payments')
        .select('token')
        .where('order_id', '=', fields.order_id!)
        .execute();
      expect(payments).toHaveLength(1);
    });

    it('5107: a re-posted identical A01-1 for a payment that is already final', async () => {
      const fields = stack.purchaseFields();
      const response = await stack.postPurchase(fields);
      const paid = await simulatePay(stack, { cashierUrl: response.headers.get('location')! });
      expect(paid.status).toBe('SUCCESS');
      await eventually(
        async () => (await stack.payment({ orderId: fields.order_id! })).status === 'CAPTURED',
      );
      await expectRefused('5107', fields, { field: 'order_id', authenticated: true });
    });

    it('5108: an unknown merchant', async () => {
      await expectRefused('5108', stack.purchaseFields({ merchant_id: '39999' }), { authenticated: false });
    });

    it('5109: pay_method offers no method of this gateway', async () => {
      await expectRefused('5109', stack.purchaseFields({ pay_method: 'credit,webcvs' }), {
        authenticated: true,
      });
    });

    it('5110: a feature phone', async () => {
      await expectRefused('5110', stack.purchaseFields(), {
        userAgent: FEATURE_PHONE_UA,
        authenticated: true,
      });
    });

    it('5111: a suspended merchant', async () => {
      await stack.database.db
        .updateTable('merchants')
        .set({ suspended: 1 })
        .where('merchant_id', '=', '30000')
        .execute();
      try {
        await expectRefused('5111', stack.purchaseFields(), { authenticated: true });
      } finally {
        await stack.database.db
          .updateTable('merchants')
          .set({ suspended: 0 })
          .where('merchant_id', '=', '30000')
          .execute();
      }
    });

    it('5112: the gateway is under maintenance', async () => {
      await setGatewayMaintenance(stack.database.db, true);
      try {
        await expectRefused('5112', stack.purchaseFields(), { authenticated: true });
      } finally {
        await setGatewayMaintenance(stack.database.db, false);
      }
    });

    it('5113: a result URL on a host that is not registered', async () => {
      await expectRefused('5113', stack.purchaseFields({ pagecon_url: 'http://shop.example.com/pagecon' }), {
        field: 'pagecon_url',
        authenticated: true,
      });
    });

    it('5103 with HTTP 413: a body over 64 KiB', async () => {
      const response = await fetch(`${stack.gatewayUrl}/f01/FepBuyInfoReceive.do`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `free_csv=${'A'.repeat(65 * 1024)}`,
      });
      expect(response.status).toBe(413);
      expect(await response.text()).toContain('5103');
    });

    it('accepts the spec-style request in UTF-8 too (charset in Content-Type)', async () => {
      const response = await stack.postPurchase(stack.purchaseFields(), { charset: 'utf-8' });
      expect(response.status).toBe(303);
    });
  });
}
