import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MERCHANT_ID, DEMO_SERVICE_ID } from '../../src/merchants/demo-seed';
import type { Resolver } from '../../src/notifications/merchant-endpoint';
import { DIALECTS } from '../support/databases';
import { eventually, type Stack, simulatePay, startStack } from '../support/stack';

/**
 * A production gateway applies one rule to a result URL at A01-1 and when it sends A02-1
 * (merchant-endpoint.ts, `callbackTarget`): a name the merchant registered that resolves to an
 * internal address is refused at A01-1 with 5113 — never a captured payment whose notification
 * cannot be delivered — while an internal address the operator registered as such is reached.
 */
const INTERNAL_NAME = 'callback.shop.example.jp';

/** DNS as a hostile merchant would arrange it: their registered name points at our loopback. */
const hostileDns: Resolver = async (host) => [
  { address: host === INTERNAL_NAME ? '127.0.0.1' : host, family: 4 },
];

for (const dialect of DIALECTS) {
  describe(`production result-URL hosts (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect, { mode: 'production', resolve: hostileDns });
      // The merchant registered its name; the operator registered the loopback address the
      // merchant stub listens on.
      await stack.database.db
        .updateTable('services')
        .set({ url_hosts: JSON.stringify([INTERNAL_NAME, '127.0.0.1']) })
        .where('merchant_id', '=', DEMO_MERCHANT_ID)
        .where('service_id', '=', DEMO_SERVICE_ID)
        .execute();
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('runs in production mode', () => {
      expect(stack.runtime.config.mode).toBe('production');
    });

    it('refuses at A01-1 with 5113 a registered name that resolves internally, and creates no payment', async () => {
      const stubPort = new URL(stack.merchant.url).port;
      const fields = stack.purchaseFields({ pagecon_url: `http://${INTERNAL_NAME}:${stubPort}/pagecon` });
      const jobsBefore = await stack.database.db.selectFrom('jobs').select('id').execute();
      const response = await stack.postPurchase(fields);
      expect(response.status).toBe(403);
      const html = await response.text();
      expect(html).toContain('5113');
      expect(html).toContain('pagecon_url');
      const payments = await stack.database.db
        .selectFrom('payments')
        .select('tracking_id')
        .where('order_id', '=', fields.order_id!)
        .execute();
      expect(payments).toEqual([]);
      const jobs = await stack.database.db.selectFrom('jobs').select('id').execute();
      expect(jobs).toHaveLength(jobsBefore.length);
    });

    it('delivers A02-1 to an internal address the operator registered', async () => {
      const fields = stack.purchaseFields();
      const response = await stack.postPurchase(fields);
      expect(response.status).toBe(303);
      const paid = await simulatePay(stack, { cashierUrl: response.headers.get('location')! });
      expect(paid.status).toBe('SUCCESS');
      await stack.merchant.waitForNotifications(1);
      const notice = stack.merchant.notifications.find((n) => n.fields.order_id === fields.order_id);
      expect(notice?.fields.res_result).toBe('OK');
      const { tracking_id } = await stack.payment({ orderId: fields.order_id! });
      await eventually(async () => {
        const row = await stack.database.db
          .selectFrom('notifications')
          .select('status')
          .where('tracking_id', '=', tracking_id)
          .executeTakeFirst();
        return row?.status === 'DELIVERED';
      });
    });
  });
}
