import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MERCHANT_ID, DEMO_SERVICE_ID } from '../../src/merchants/demo-seed';
import { DIALECTS } from '../support/databases';
import { capturedPayment, eventually, type Stack, startStack } from '../support/stack';

/**
 * One merchant's endpoint that never answers must not hold back another merchant's A02-1: its
 * deliveries run a few at a time in their own group (merchant-link-type.md, A02-1: the first
 * attempt at once).
 */
const OTHER_MERCHANT = '30999';
const HUNG_NOTIFICATIONS = 40;

for (const dialect of DIALECTS) {
  describe(`A02-1 isolation between merchants (${dialect})`, () => {
    let stack: Stack;
    let hanging: Server;
    let hangingUrl: string;
    beforeAll(async () => {
      stack = await startStack(dialect);
      hanging = createServer(() => {});
      await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
      hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/pagecon`;
      const { db } = stack.database;
      const merchant = await db
        .selectFrom('merchants')
        .selectAll()
        .where('merchant_id', '=', DEMO_MERCHANT_ID)
        .executeTakeFirstOrThrow();
      await db
        .insertInto('merchants')
        .values({ ...merchant, merchant_id: OTHER_MERCHANT })
        .execute();
      const service = await db
        .selectFrom('services')
        .selectAll()
        .where('merchant_id', '=', DEMO_MERCHANT_ID)
        .where('service_id', '=', DEMO_SERVICE_ID)
        .executeTakeFirstOrThrow();
      await db
        .insertInto('services')
        .values({ ...service, merchant_id: OTHER_MERCHANT })
        .execute();
      // The other merchant may use the wallets the demo merchant's review approved.
      const approved = await db
        .selectFrom('merchant_sub_brands')
        .selectAll()
        .where('merchant_id', '=', DEMO_MERCHANT_ID)
        .execute();
      await db
        .insertInto('merchant_sub_brands')
        .values(approved.map((row) => ({ ...row, merchant_id: OTHER_MERCHANT })))
        .execute();
      const wallets = await fetch(`${stack.sandboxUrl}/sandbox/v1/merchants/${OTHER_MERCHANT}/wallets`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ wallets: approved.map((row) => row.sub_brand) }),
      });
      expect(wallets.status).toBe(200);
    });
    afterAll(async () => {
      hanging?.closeAllConnections();
      await new Promise<void>((resolve) => (hanging ? hanging.close(() => resolve()) : resolve()));
      await stack?.close();
    });

    it("makes another merchant's first attempt while one merchant's endpoint hangs on many", async () => {
      const stuck = await capturedPayment(stack, { pagecon_url: hangingUrl });
      const { db } = stack.database;
      const ended = {
        trackingId: stuck.tracking_id,
        merchantId: stuck.merchant_id,
        status: 'CAPTURED' as const,
      };
      await db.transaction().execute(async (tx) => {
        for (let i = 0; i < HUNG_NOTIFICATIONS; i++) {
          await stack.runtime.notifications!.queue(tx, ended, stack.clock.now());
        }
      });
      stack.runtime.worker!.wake();

      const other = await capturedPayment(stack, { merchant_id: OTHER_MERCHANT });
      await eventually(
        async () => stack.merchant.notifications.some((n) => n.fields.order_id === other.order_id),
        30_000,
      );
      // Each hung attempt takes the whole answer time-out; with one queue for everyone the other
      // merchant would wait behind all of them (at least 30 made), with a few per merchant, hardly any.
      const made = await db
        .selectFrom('notification_attempts')
        .innerJoin('notifications', 'notifications.id', 'notification_attempts.notification_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('notifications.tracking_id', '=', stuck.tracking_id)
        .executeTakeFirstOrThrow();
      expect(Number(made.n)).toBeLessThan(HUNG_NOTIFICATIONS / 2);
    });
  });
}
