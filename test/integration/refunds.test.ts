import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentRow } from '../../src/db/database';
import { DomainError } from '../../src/kernel/errors';
import type { Yen } from '../../src/kernel/money';
import type { RefundCommand, RefundService } from '../../src/refunds/refund.service';
import { DIALECTS } from '../support/databases';
import {
  alipayMessages,
  capturedPayment,
  eventually,
  type Stack,
  sandboxRefundTotal,
  startStack,
} from '../support/stack';

/** The refund domain service over a real gateway, sandbox and database. */
const jst = (text: string) => new Date(`${text}+09:00`);

for (const dialect of DIALECTS) {
  describe(`refunds (${dialect})`, () => {
    let stack: Stack;
    let refunds: RefundService;
    beforeAll(async () => {
      stack = await startStack(dialect);
      refunds = stack.runtime.refunds!;
    });
    afterAll(async () => {
      await stack?.close();
    });

    const command = (
      payment: PaymentRow,
      amount: number | null,
      extra: Partial<RefundCommand> = {},
    ): RefundCommand => ({
      merchantId: payment.merchant_id,
      serviceId: payment.service_id,
      trackingId: payment.tracking_id,
      amount: amount === null ? null : (amount as Yen),
      channel: 'XML_API',
      requestedBy: 'test',
      replayKey: null,
      ...extra,
    });

    async function refused(promise: Promise<unknown>): Promise<string> {
      try {
        await promise;
      } catch (error) {
        if (error instanceof DomainError) return error.code;
        throw error;
      }
      throw new Error('the refund was not refused');
    }

    it('refunds in full: the payment becomes REFUNDED and Alipay+ holds one refund', async () => {
      const payment = await capturedPayment(stack);
      const outcome = await refunds.refund(command(payment, null));
      expect(outcome.refund.status).toBe('SUCCEEDED');
      expect(outcome.refund.amount).toBe(1500);
      expect(outcome.refund.refundId).toMatch(/^[A-Z0-9]{32}$/);
      expect(outcome.totals).toEqual({ captured: 1500, refunded: 1500, reserved: 0, remaining: 0 });
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('REFUNDED');
      expect(await sandboxRefundTotal(stack, payment)).toBe(1500);
      expect(await refused(refunds.refund(command(payment, null)))).toBe('NOTHING_LEFT_TO_REFUND');
    });

    it('refunds partially, partially again, then the rest', async () => {
      const payment = await capturedPayment(stack);
      expect((await refunds.refund(command(payment, 500))).totals.remaining).toBe(1000);
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('PARTIALLY_REFUNDED');
      expect(await refused(refunds.refund(command(payment, 1001)))).toBe('REFUND_EXCEEDS_REMAINING');
      expect((await refunds.refund(command(payment, 300))).totals.remaining).toBe(700);
      const rest = await refunds.refund(command(payment, null));
      expect(rest.refund.amount).toBe(700);
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('REFUNDED');
      const history = await stack.database.db
        .selectFrom('payment_events')
        .select(['from_status', 'to_status'])
        .where('tracking_id', '=', payment.tracking_id)
        .orderBy('id')
        .execute();
      expect(history.map((h) => `${h.from_status}>${h.to_status}`).slice(-3)).toEqual([
        'CAPTURED>PARTIALLY_REFUNDED',
        'PARTIALLY_REFUNDED>PARTIALLY_REFUNDED',
        'PARTIALLY_REFUNDED>REFUNDED',
      ]);
      expect((await refunds.listRefunds(payment.tracking_id)).map((r) => r.amount)).toEqual([500, 300, 700]);
    });

    it('refuses zero, and another merchant’s payment as not found', async () => {
      const payment = await capturedPayment(stack);
      expect(await refused(refunds.refund(command(payment, 0)))).toBe('INVALID_AMOUNT');
      expect(await refused(refunds.refund({ ...command(payment, 100), merchantId: '30001' }))).toBe(
        'PAYMENT_NOT_FOUND',
      );
      expect(await refused(refunds.refund({ ...command(payment, 100), serviceId: '002' }))).toBe(
        'PAYMENT_NOT_FOUND',
      );
    });

    it('refuses payments that were never captured', async () => {
      const inProgress = stack.purchaseFields();
      await stack.postPurchase(inProgress);
      const failed = stack.purchaseFields({ amount: '4001' });
      const cashier = (await stack.postPurchase(failed)).headers.get('location')!;
      await fetch(`${stack.sandboxUrl}/sandbox/v1/simulate/pay`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ cashierUrl: cashier, wallet: 'GCASH', user: 'alice', action: 'pay' }),
      });
      await eventually(async () => (await stack.payment({ orderId: failed.order_id! })).status === 'FAILED');
      const cancelled = stack.purchaseFields({ pay_method: '' });
      const selection = (await stack.postPurchase(cancelled)).headers.get('location')!;
      await fetch(`${stack.gatewayUrl}${selection}/cancel`, { method: 'POST' });
      for (const orderId of [inProgress.order_id!, failed.order_id!, cancelled.order_id!]) {
        const payment = await stack.payment({ orderId });
        expect(await refused(refunds.refund(command(payment, null)))).toBe('NOT_REFUNDABLE_STATE');
      }
    });

    it('ends the refund period at 23:59:59.999 JST of day 365', async () => {
      const purchase = jst('2026-01-01T10:00:00');
      stack.clock.setNow(purchase);
      stack.sandboxClock.setNow(purchase);
      try {
        const payment = await capturedPayment(stack);
        stack.clock.freeze(jst('2026-12-31T23:59:59.999'));
        const accepted = await refunds.refund(command(payment, 100));
        expect(accepted.refund.status).toBe('SUCCEEDED');
        stack.clock.freeze(jst('2027-01-01T00:00:00.000'));
        expect(await refused(refunds.refund(command(payment, 100)))).toBe('REFUND_PERIOD_ENDED');
      } finally {
        stack.clock.set(0);
        stack.sandboxClock.set(0);
      }
    });

    it('treats the same replay key as the same refund', async () => {
      const payment = await capturedPayment(stack);
      const first = await refunds.refund(command(payment, 200, { replayKey: `k-${payment.tracking_id}` }));
      const again = await refunds.refund(command(payment, 200, { replayKey: `k-${payment.tracking_id}` }));
      expect(again.replayed).toBe(true);
      expect(again.refund.refundId).toBe(first.refund.refundId);
      expect(await refunds.listRefunds(payment.tracking_id)).toHaveLength(1);
    });

    it('keeps an unknown outcome pending and re-sends the same refund until it succeeds (6001)', async () => {
      const payment = await capturedPayment(stack, { amount: '6001' });
      const key = `k-${payment.tracking_id}`;
      const first = await refunds.refund(command(payment, 1000, { replayKey: key }));
      expect(first.refund.status).toBe('PROCESSING');
      expect(first.totals).toMatchObject({ refunded: 0, reserved: 1000, remaining: 5001 });
      try {
        for (let i = 0; i < 3; i++) {
          stack.clock.advance(60_000);
          await stack.runtime.worker!.runDue();
        }
        await eventually(
          async () => (await refunds.listRefunds(payment.tracking_id))[0]?.status === 'SUCCEEDED',
        );
      } finally {
        stack.clock.set(0);
      }
      const replay = await refunds.refund(command(payment, 1000, { replayKey: key }));
      expect(replay.refund.status).toBe('SUCCEEDED');
      expect(replay.totals).toMatchObject({ refunded: 1000, reserved: 0, remaining: 5001 });
      expect(await sandboxRefundTotal(stack, payment)).toBe(1000);
      const sent = await alipayMessages(stack, payment.tracking_id, 'refund');
      expect(
        new Set(sent.map((m) => (JSON.parse(m.request_body) as { refundRequestId: string }).refundRequestId))
          .size,
      ).toBe(1);
    });

    it('fails a refund Alipay+ refuses and releases its amount (6002)', async () => {
      const payment = await capturedPayment(stack, { amount: '6002' });
      const outcome = await refunds.refund(command(payment, 2000));
      expect(outcome.refund.status).toBe('FAILED');
      expect(outcome.refund.resultCode).toBe('PROCESS_FAIL');
      expect(outcome.totals).toMatchObject({ refunded: 0, reserved: 0, remaining: 6002 });
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('CAPTURED');
    });

    it('never refunds more than was captured, whatever the interleaving of concurrent requests', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 20, maxLength: 50 }),
          async (amounts) => {
            const payment = await capturedPayment(stack, { amount: '5000' });
            const results = await Promise.allSettled(amounts.map((a) => refunds.refund(command(payment, a))));
            let succeeded = 0;
            for (const result of results) {
              if (result.status === 'fulfilled') {
                expect(result.value.refund.status).toBe('SUCCEEDED');
                succeeded += result.value.refund.amount;
              } else {
                expect(result.reason).toBeInstanceOf(DomainError);
                expect(['REFUND_EXCEEDS_REMAINING', 'NOTHING_LEFT_TO_REFUND']).toContain(
                  (result.reason as DomainError).code,
                );
              }
            }
            const after = await stack.payment({ orderId: payment.order_id });
            expect(succeeded).toBeLessThanOrEqual(5000);
            expect(after.refunded_amount).toBe(succeeded);
            expect(after.refund_reserved_amount).toBe(0);
            expect(after.status).toBe(
              succeeded === 5000 ? 'REFUNDED' : succeeded > 0 ? 'PARTIALLY_REFUNDED' : 'CAPTURED',
            );
            expect(await sandboxRefundTotal(stack, payment)).toBe(succeeded);
          },
        ),
        { numRuns: 3 },
      );
    }, 120_000);
  });
}
