import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Db, PaymentRow, RefundRow } from '../../src/db/database';
import { recordTransition } from '../../src/payments/record-transition';
import { finishRefund, insertRefund, reserveRefundAmount } from '../../src/refunds/refund.repository';
import { paymentRow } from '../integration/admin-client';

/**
 * Payments captured and refunds reserved and finished through the repositories the services use,
 * so each posts its ledger entry in its own transaction, at a chosen time.
 */
export async function capturedAt(db: Db, amount: number, at: Date): Promise<PaymentRow> {
  const row = paymentRow({ status: 'IN_PROGRESS', amount, received_at: at.getTime() - 60_000 });
  await db.insertInto('payments').values(row).execute();
  const moved = await db.transaction().execute((tx) =>
    recordTransition(tx, {
      trackingId: row.tracking_id,
      from: 'IN_PROGRESS',
      to: 'CAPTURED',
      cause: 'test',
      now: at,
    }),
  );
  expect(moved).toBe(true);
  return row;
}

/** Reserves a refund (PROCESSING) the way the refund service does. */
export async function reservedRefund(
  db: Db,
  payment: PaymentRow,
  amount: number,
  at: Date,
): Promise<RefundRow> {
  const refund: RefundRow = {
    refund_id: randomBytes(16).toString('hex').toUpperCase(),
    tracking_id: payment.tracking_id,
    merchant_id: payment.merchant_id,
    service_id: payment.service_id,
    amount,
    status: 'PROCESSING',
    refund_request_id: `KSR${randomBytes(12).toString('hex')}`,
    replay_key: null,
    channel: 'CONSOLE',
    requested_by: 'test',
    result_code: null,
    processing_datetime: null,
    created_at: at.getTime(),
    updated_at: at.getTime(),
    completed_at: null,
  };
  const ok = await db.transaction().execute(async (tx) => {
    if (!(await reserveRefundAmount(tx, payment.tracking_id, amount, at))) return false;
    await insertRefund(tx, refund);
    return true;
  });
  expect(ok).toBe(true);
  return refund;
}

export async function succeededRefund(db: Db, refund: RefundRow, at: Date): Promise<void> {
  const done = await db.transaction().execute((tx) => finishRefund(tx, refund, { status: 'SUCCEEDED' }, at));
  expect(done).toBe(true);
}

export async function refundedAt(db: Db, payment: PaymentRow, amount: number, at: Date): Promise<RefundRow> {
  const refund = await reservedRefund(db, payment, amount, at);
  await succeededRefund(db, refund, at);
  return refund;
}
