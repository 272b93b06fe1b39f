import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/kernel/errors';
import { DEMO_MERCHANT_ID, seedDemoData } from '../../src/merchants/demo-seed';
import { payoutCycleOf, setPayoutCycle } from '../../src/settlement/payout-terms.repository';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';

/** Each merchant's settlement cycle (settlement.md, Paying merchants), on both databases. */
for (const dialect of DIALECTS) {
  describe(`payout terms (${dialect})`, () => {
    let database: TestDatabase;
    const now = new Date();
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      await seedDemoData(database.db, now, {});
    });
    afterAll(async () => {
      await database?.close();
    });

    it('settles monthly until a merchant is set to twice a month, and back', async () => {
      expect(await payoutCycleOf(database.db, DEMO_MERCHANT_ID)).toBe('MONTHLY');
      await setPayoutCycle(database.db, DEMO_MERCHANT_ID, 'TWICE_MONTHLY', now);
      expect(await payoutCycleOf(database.db, DEMO_MERCHANT_ID)).toBe('TWICE_MONTHLY');
      await setPayoutCycle(database.db, DEMO_MERCHANT_ID, 'MONTHLY', now);
      expect(await payoutCycleOf(database.db, DEMO_MERCHANT_ID)).toBe('MONTHLY');
    });

    it('refuses an unknown cycle or merchant, changing nothing', async () => {
      await expect(setPayoutCycle(database.db, DEMO_MERCHANT_ID, 'WEEKLY', now)).rejects.toThrow(
        new DomainError('INVALID_PAYOUT_TERMS', 'a payout cycle is MONTHLY or TWICE_MONTHLY (got "WEEKLY")'),
      );
      await expect(setPayoutCycle(database.db, '99999', 'MONTHLY', now)).rejects.toThrow(/no merchant 99999/);
      expect(await payoutCycleOf(database.db, DEMO_MERCHANT_ID)).toBe('MONTHLY');
    });
  });
}
