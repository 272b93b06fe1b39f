import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefundTable } from '../../src/db/database';
import { insertPayment } from '../../src/payments/payment.repository';
import { findRefund, finishRefund, insertRefund } from '../../src/refunds/refund.repository';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';
import { insertPaymentRowMerchant, paymentRow } from './admin-client';

/**
 * The conditional UPDATEs that move refund money (payment-lifecycle.md, Refund totals) guard by
 * their row count: one that matches no row is an error that rolls the transaction back, never a
 * silent success.
 */
describe.each(DIALECTS)('refund totals guards (%s)', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await insertPaymentRowMerchant(database.db);
  });
  afterAll(() => database?.close());

  /** A captured payment with a PROCESSING refund of `amount` whose reservation is `reserved`. */
  async function processingRefund(amount: number, reserved: number): Promise<RefundTable> {
    const payment = paymentRow({ amount: 1500, refund_reserved_amount: reserved });
    await insertPayment(database.db, payment);
    const refund: RefundTable = {
      refund_id: `R${payment.tracking_id}`,
      tracking_id: payment.tracking_id,
      merchant_id: payment.merchant_id,
      service_id: payment.service_id,
      amount,
      status: 'PROCESSING',
      refund_request_id: `KSR${payment.tracking_id}`,
      replay_key: null,
      channel: 'CONSOLE',
      requested_by: 'test',
      result_code: null,
      processing_datetime: null,
      created_at: 0,
      updated_at: 0,
      completed_at: null,
    };
    await insertRefund(database.db, refund);
    return refund;
  }

  const totals = (trackingId: string) =>
    database.db
      .selectFrom('payments')
      .select(['status', 'refunded_amount', 'refund_reserved_amount'])
      .where('tracking_id', '=', trackingId)
      .executeTakeFirstOrThrow();

  it('refuses to release a failed refund whose reservation is not there, changing nothing', async () => {
    const refund = await processingRefund(500, 200);
    const release = database.db
      .transaction()
      .execute((tx) =>
        finishRefund(tx, refund, { status: 'FAILED', resultCode: 'PROCESS_FAIL' }, new Date()),
      );
    await expect(release).rejects.toThrow(/payment totals out of step/);
    expect((await findRefund(database.db, refund.refund_id))?.status).toBe('PROCESSING');
    expect(await totals(refund.tracking_id)).toEqual({
      status: 'CAPTURED',
      refunded_amount: 0,
      refund_reserved_amount: 200,
    });
  });

  it('refuses to complete a refund whose reservation is not there, changing nothing', async () => {
    const refund = await processingRefund(500, 0);
    const complete = database.db
      .transaction()
      .execute((tx) => finishRefund(tx, refund, { status: 'SUCCEEDED' }, new Date()));
    await expect(complete).rejects.toThrow(/payment totals out of step/);
    expect((await findRefund(database.db, refund.refund_id))?.status).toBe('PROCESSING');
    expect(await totals(refund.tracking_id)).toMatchObject({
      refunded_amount: 0,
      refund_reserved_amount: 0,
    });
  });

  it('releases a failed refund’s reservation', async () => {
    const refund = await processingRefund(500, 500);
    await database.db
      .transaction()
      .execute((tx) =>
        finishRefund(tx, refund, { status: 'FAILED', resultCode: 'PROCESS_FAIL' }, new Date()),
      );
    expect((await findRefund(database.db, refund.refund_id))?.status).toBe('FAILED');
    expect(await totals(refund.tracking_id)).toMatchObject({
      refunded_amount: 0,
      refund_reserved_amount: 0,
    });
  });
});
