import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRollups } from '../../src/db/migrations/003-admin';
import { insertPayment } from '../../src/payments/payment.repository';
import { recordTransition } from '../../src/payments/record-transition';
import { finishRefund, insertRefund, reserveRefundAmount } from '../../src/refunds/refund.repository';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';
import { insertPaymentRowMerchant, paymentRow } from './admin-client';

/**
 * The dashboard's rollups: kept by every transition and succeeded refund, and rebuilt by the
 * migration from the history of payments that existed before it — both ways give the same rows.
 */
for (const dialect of DIALECTS) {
  describe(`payment rollups (${dialect})`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      await insertPaymentRowMerchant(database.db);
    });
    afterAll(async () => {
      await database?.close();
    });

    const rollups = () =>
      database.db
        .selectFrom('payment_rollups')
        .selectAll()
        .orderBy(['day', 'sub_brand', 'status'])
        .execute()
        .then((rows) => rows.map((r) => ({ ...r, count: Number(r.count), amount: Number(r.amount) })));

    it('counts each transition by JST day, sub-brand and status, and the migration rebuilds the same rows', async () => {
      const db = database.db;
      // 23:30 JST on 31 March: the capture ten minutes later falls on 1 April (JST).
      const sent = new Date(Date.UTC(2026, 2, 31, 14, 30));
      const captured = new Date(Date.UTC(2026, 2, 31, 15, 40));
      const a = paymentRow({
        status: 'REQUESTED',
        amount: 1200,
        wallet: null,
        paid_at: null,
        received_at: sent.getTime(),
      });
      const b = paymentRow({
        status: 'REQUESTED',
        amount: 800,
        wallet: null,
        paid_at: null,
        received_at: sent.getTime(),
      });
      await insertPayment(db, a);
      await insertPayment(db, b);
      await db.transaction().execute(async (tx) => {
        for (const p of [a, b]) {
          await recordTransition(tx, {
            trackingId: p.tracking_id,
            from: 'REQUESTED',
            to: 'IN_PROGRESS',
            cause: 't',
            now: sent,
          });
        }
        await recordTransition(tx, {
          trackingId: a.tracking_id,
          from: 'IN_PROGRESS',
          to: 'CAPTURED',
          cause: 't',
          now: captured,
          set: { wallet: 'GCASH', paid_at: captured.getTime() },
        });
        await recordTransition(tx, {
          trackingId: b.tracking_id,
          from: 'IN_PROGRESS',
          to: 'EXPIRED',
          cause: 't',
          now: captured,
        });
      });
      // A partial refund through the refund domain's own statements.
      const refundedAt = new Date(Date.UTC(2026, 3, 2, 1));
      const refund = {
        refund_id: `R${a.tracking_id}`,
        tracking_id: a.tracking_id,
        merchant_id: '30000',
        service_id: '001',
        amount: 300,
        status: 'PROCESSING' as const,
        refund_request_id: `KSR${a.tracking_id}`,
        replay_key: null,
        channel: 'CONSOLE',
        requested_by: 'test',
        result_code: null,
        processing_datetime: null,
        created_at: refundedAt.getTime(),
        updated_at: refundedAt.getTime(),
        completed_at: null,
      };
      await db.transaction().execute(async (tx) => {
        expect(await reserveRefundAmount(tx, a.tracking_id, 300, refundedAt)).toBe(true);
        await insertRefund(tx, refund);
      });
      await db.transaction().execute((tx) => finishRefund(tx, refund, { status: 'SUCCEEDED' }, refundedAt));

      const live = await rollups();
      expect(live.map((r) => [r.day, r.sub_brand, r.status, r.count, r.amount])).toEqual([
        ['2026-03-31', '', 'IN_PROGRESS', 2, 2000],
        ['2026-04-01', '', 'EXPIRED', 1, 800],
        ['2026-04-01', 'GCASH', 'CAPTURED', 1, 1200],
        ['2026-04-02', 'GCASH', 'PARTIALLY_REFUNDED', 1, 1200],
        ['2026-04-02', 'GCASH', 'REFUND', 1, 300],
      ]);

      await db.deleteFrom('payment_rollups').execute();
      await backfillRollups(db as Kysely<unknown>);
      expect(await rollups()).toEqual(live);
    });

    it('does not count a transition that lost the race', async () => {
      const p = paymentRow({ status: 'CAPTURED', amount: 500 });
      await insertPayment(database.db, p);
      const before = await rollups();
      const moved = await recordTransition(database.db, {
        trackingId: p.tracking_id,
        from: 'IN_PROGRESS',
        to: 'FAILED',
        cause: 'late',
        now: new Date(),
      });
      expect(moved).toBe(false);
      expect(await rollups()).toEqual(before);
    });
  });
}
