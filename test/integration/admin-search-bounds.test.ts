import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPayments } from '../../src/admin/demo-data';
import { type Cursor, SCAN_LIMIT, searchPayments } from '../../src/admin/payment-search';
import { seedDemoData } from '../../src/merchants/demo-seed';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';

/**
 * A filter no index serves is applied to a bounded slice of the date range per request, so a
 * search that matches almost nothing over a year cannot hold the database; paging on still finds
 * every match (admin.md, Quality bar).
 */
for (const dialect of DIALECTS) {
  describe(`payment search over a large range (${dialect})`, () => {
    let database: TestDatabase;
    const now = new Date('2026-11-27T00:00:00Z');
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      await seedDemoData(database.db, now, {});
      await seedPayments(database.db, dialect, {
        count: 12_000,
        merchantId: '30000',
        serviceId: '001',
        now,
        days: 30,
      });
    }, 120_000);
    afterAll(async () => {
      await database?.close();
    });

    const range = { from: now.getTime() - 31 * 86_400_000, to: now.getTime(), merchantId: '30000' };

    it('answers an impossible amount filter with an empty page and a cursor, and ends after the range', async () => {
      let cursor: Cursor | null = null;
      let pages = 0;
      do {
        const page = await searchPayments(database.db, { ...range, amountMin: 99_999_999 }, cursor);
        expect(page.rows).toEqual([]);
        cursor = page.next;
        pages++;
      } while (cursor && pages < 10);
      expect(cursor).toBeNull();
      expect(pages).toBe(Math.ceil(12_000 / SCAN_LIMIT));
    });

    it('still finds every match of a selective filter by paging on', async () => {
      const expected = await database.db
        .selectFrom('payments')
        .select('tracking_id')
        .where('merchant_id', '=', '30000')
        .where('amount', '>=', 9000)
        .execute();
      expect(expected.length).toBeGreaterThan(0);
      const seen: string[] = [];
      let cursor: Cursor | null = null;
      let pages = 0;
      do {
        const page = await searchPayments(database.db, { ...range, amountMin: 9000 }, cursor);
        seen.push(...page.rows.map((r) => r.trackingId));
        cursor = page.next;
        pages++;
      } while (cursor && pages < 1000);
      expect(seen.sort()).toEqual(expected.map((r) => r.tracking_id).sort());
    });
  });
}
