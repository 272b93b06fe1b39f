import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases';
import { type Stack, startStack } from '../support/stack';

/** Refusals are rate-limited per client address: 100 a minute answered, then 429/1102, not logged. */
for (const dialect of DIALECTS) {
  describe(`A01-1 refusal rate limit (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
    });
    afterAll(async () => {
      await stack?.close();
    });

    const logged = async () =>
      (await stack.database.db.selectFrom('payment_errors').select('id').execute()).length;

    it('answers 100 refusals normally, then 429 with code 1102 and nothing logged, until the minute is over', async () => {
      const bad = stack.purchaseFields({ merchant_id: '39999' });
      for (let i = 0; i < 100; i++) {
        const response = await stack.postPurchase(bad);
        expect(response.status).toBe(404);
        await response.arrayBuffer();
      }
      expect(await logged()).toBe(100);
      const limited = await stack.postPurchase(bad);
      expect(limited.status).toBe(429);
      expect(await limited.text()).toContain('1102');
      expect(await logged()).toBe(100);

      // A good request is not a refusal and is never limited.
      expect((await stack.postPurchase()).status).toBe(303);

      stack.clock.advance(61_000);
      try {
        const again = await stack.postPurchase({
          ...bad,
          request_date: stack.purchaseFields().request_date!,
        });
        expect(again.status).toBe(404);
        expect(await logged()).toBe(101);
      } finally {
        stack.clock.set(0);
      }
    });
  });
}
