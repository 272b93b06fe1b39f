import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillDemoRegistration } from '../../src/db/migrations/012-merchant-registration-details';
import { DEMO_MERCHANT_ID, seedDemoData } from '../../src/merchants/demo-seed';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';

/**
 * Migration 012 fills in the demo merchant's registration details (governance.md §1) for an
 * install seeded before it, the same values a new install's seed writes, and touches no other
 * merchant.
 */
for (const dialect of DIALECTS) {
  describe(`merchant registration details (${dialect})`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      await seedDemoData(database.db, new Date('2026-12-01T00:00:00Z'), {});
    });
    afterAll(async () => {
      await database?.close();
    });

    const details = (merchantId: string) =>
      database.db
        .selectFrom('merchants')
        .select(['address1', 'zip_code', 'registration_number'])
        .where('merchant_id', '=', merchantId)
        .executeTakeFirstOrThrow();

    it('gives a demo merchant seeded before the migration the seed’s values, and no other merchant any', async () => {
      const seeded = await details(DEMO_MERCHANT_ID);
      expect(seeded.registration_number).not.toBe('');
      const demo = await database.db
        .selectFrom('merchants')
        .selectAll()
        .where('merchant_id', '=', DEMO_MERCHANT_ID)
        .executeTakeFirstOrThrow();
      await database.db
        .insertInto('merchants')
        .values({ ...demo, merchant_id: '30001', name: 'Other Shop' })
        .execute();
      const blank = { address1: '', zip_code: '', registration_number: '' };
      await database.db.updateTable('merchants').set(blank).execute();

      await backfillDemoRegistration(database.db as Kysely<unknown>);
      expect(await details(DEMO_MERCHANT_ID)).toEqual(seeded);
      expect(await details('30001')).toEqual(blank);
    });
  });
}
