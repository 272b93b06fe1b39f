import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases';
import { type MerchantStub, type StubAnswer, startMerchantStub } from '../support/merchant-stub';
import { eventually, freePort, type Stack, simulatePay, startStack, TEST_HASH_KEY } from '../support/stack';

/**
 * A merchant endpoint that is down, slow (past the answer time-out), answers garbage or a
 * redirect: the payment is captured regardless, the attempt is recorded as failed and retried on
 * the schedule, and once the endpoint answers `OK,` the same result arrives. `NG,` is a deliberate
 * refusal: recorded, never retried.
 */
const FIRST_RETRY_MS = 2 * 60_000;

for (const dialect of DIALECTS) {
  describe(`merchant endpoint faults (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
    });
    afterAll(async () => {
      stack.merchant.setAnswer('ok');
      await stack?.close();
    });

    async function notificationOf(orderId: string) {
      const { tracking_id } = await stack.payment({ orderId });
      return stack.database.db
        .selectFrom('notifications')
        .selectAll()
        .where('tracking_id', '=', tracking_id)
        .executeTakeFirst();
    }

    /** A captured payment whose first A02-1 attempt has been made. */
    async function buy(overrides: Record<string, string> = {}) {
      const fields = stack.purchaseFields(overrides);
      const response = await stack.postPurchase(fields);
      expect(response.status).toBe(303);
      const paid = await simulatePay(stack, { cashierUrl: response.headers.get('location')! });
      expect(paid.status).toBe('SUCCESS');
      await eventually(async () => (await notificationOf(fields.order_id!))?.attempts === 1, 10_000);
      expect((await stack.payment({ orderId: fields.order_id! })).status).toBe('CAPTURED');
      return fields.order_id!;
    }

    /** Lets the clock reach the next attempt and waits for it. */
    async function nextAttempt(orderId: string, expectedAttempts: number) {
      const pending = (await notificationOf(orderId))!;
      expect(pending.status).toBe('PENDING');
      stack.clock.advance(pending.next_attempt_at! - stack.clock.now().getTime() + 1000);
      stack.runtime.worker!.wake();
      await eventually(async () => (await notificationOf(orderId))?.attempts === expectedAttempts, 10_000);
    }

    /** What the merchant is told, whichever attempt carried it. */
    const result = (fields: Record<string, string>) => {
      const { res_date: _date, sps_hashcode: _hash, ...rest } = fields;
      return rest;
    };

    for (const [mode, recorded] of [
      ['timeout', 'no answer in time'],
      ['garbage', 'hello'],
      ['http500', 'internal error'],
      ['redirect', ''],
    ] as Array<[StubAnswer, string]>) {
      it(`retries a merchant that answers ${mode}, then delivers the same result`, async () => {
        stack.merchant.setAnswer(mode);
        const before = stack.merchant.notifications.length;
        const orderId = await buy();
        const failed = (await notificationOf(orderId))!;
        expect(failed.status).toBe('PENDING');
        expect(failed.next_attempt_at! - stack.clock.now().getTime()).toBeGreaterThan(
          FIRST_RETRY_MS - 10_000,
        );
        if (recorded) expect(failed.last_answer).toContain(recorded);
        stack.merchant.setAnswer('ok');
        await nextAttempt(orderId, 2);
        expect((await notificationOf(orderId))?.status).toBe('DELIVERED');
        const received = stack.merchant.notifications
          .slice(before)
          .filter((n) => n.fields.order_id === orderId);
        expect(received).toHaveLength(2);
        expect(received.every((n) => n.hashValid)).toBe(true);
        expect(result(received[1]!.fields)).toEqual(result(received[0]!.fields));
      });
    }

    it('retries a merchant whose endpoint is down until it is back', async () => {
      const port = await freePort();
      const pagecon = `http://127.0.0.1:${port}/pagecon`;
      const orderId = await buy({ pagecon_url: pagecon });
      const failed = (await notificationOf(orderId))!;
      expect(failed.status).toBe('PENDING');
      expect(failed.last_answer).toBeTruthy();
      let back: MerchantStub | undefined;
      try {
        back = await startMerchantStub({ hashKey: TEST_HASH_KEY, port });
        await nextAttempt(orderId, 2);
        expect((await notificationOf(orderId))?.status).toBe('DELIVERED');
        expect(back.notifications.map((n) => n.fields.order_id)).toEqual([orderId]);
        expect(back.notifications[0]!.fields.res_result).toBe('OK');
      } finally {
        await back?.close();
      }
    });

    it('records an NG answer as a refusal and never retries it', async () => {
      stack.merchant.setAnswer('ng');
      try {
        const orderId = await buy();
        const refused = (await notificationOf(orderId))!;
        expect(refused.status).toBe('REFUSED');
        expect(refused.next_attempt_at).toBeNull();
        stack.clock.advance(24 * 60 * 60_000);
        stack.runtime.worker!.wake();
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect((await notificationOf(orderId))?.attempts).toBe(1);
      } finally {
        stack.merchant.setAnswer('ok');
      }
    });
  });
}
