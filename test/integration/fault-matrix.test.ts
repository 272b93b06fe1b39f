import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultMode } from '../../src/sandbox/faults';
import { DIALECTS } from '../support/databases';
import { enableXmlApi, refundOverXmlApi } from '../support/merchant-api';
import {
  alipayMessages,
  capturedPayment,
  eventually,
  type Stack,
  sandboxRefundTotal,
  simulatePay,
  startStack,
} from '../support/stack';

/**
 * Every sandbox fault mode against every Alipay+ API (sandbox.md, Faults), one fault at a time:
 * whatever Alipay+ does, each payment ends in the state Alipay+ agrees with, the merchant is told
 * exactly once, and a refund is made exactly once.
 */
const API_MODES: FaultMode[] = ['unknown', 'timeout', 'http500', 'delay', 'drop', 'badSignature'];
const NOTIFY_MODES: FaultMode[] = ['delay', 'drop', 'duplicate', 'badSignature'];
/** The gateway's client time-out in this file; `timeout` answers after it, `delay` before it. */
const CLIENT_TIMEOUT_MS = 1500;
const DELAYS: Partial<Record<FaultMode, number>> = { timeout: 2500, delay: 500 };
/** Magic amount: the sandbox never sends notifyPayment, so only an inquiry can learn the result. */
const NO_NOTIFICATION = '5003';

for (const dialect of DIALECTS) {
  describe(`every fault against every Alipay+ API (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect, {
        timeoutMs: CLIENT_TIMEOUT_MS,
        inquiryTimeoutMs: CLIENT_TIMEOUT_MS,
      });
      await enableXmlApi(stack);
    });
    afterAll(async () => {
      await stack?.close();
    });

    async function fault(api: string, mode: FaultMode) {
      const response = await fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ api, mode, count: 1, ...(DELAYS[mode] ? { delayMs: DELAYS[mode] } : {}) }),
      });
      expect(response.status).toBe(201);
    }

    /** The fault struck: the sandbox used it up on the API it was set for. */
    async function expectFaultSpent() {
      const { faults } = (await (await fetch(`${stack.sandboxUrl}/sandbox/v1/faults`)).json()) as {
        faults: unknown[];
      };
      expect(faults).toEqual([]);
    }

    /** Moves the gateway's clock a minute at a time, running due jobs, until `done` holds. */
    async function settle(done: () => Promise<boolean>) {
      for (let minute = 0; minute < 40 && !(await done()); minute++) {
        stack.clock.advance(60_000);
        await stack.runtime.worker!.runDue();
      }
      await eventually(done, 10_000);
    }

    const statusOf = async (orderId: string) => (await stack.payment({ orderId })).status;
    const noticesOf = (orderId: string) =>
      stack.merchant.notifications.filter((n) => n.fields.order_id === orderId);

    /** The merchant heard exactly once, with this result, with a valid hash. */
    async function toldOnce(orderId: string, result: 'OK' | 'CN') {
      await eventually(async () => noticesOf(orderId).length >= 1, 10_000);
      // Give a duplicate the chance to show itself before counting.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const notices = noticesOf(orderId);
      expect(notices).toHaveLength(1);
      expect(notices[0]!.hashValid).toBe(true);
      expect(notices[0]!.fields.res_result).toBe(result);
    }

    /** A01-1 until the cashier (or the 4301 page's "try again"), then the shopper's answer. */
    async function purchase(overrides: Record<string, string> = {}) {
      const fields = stack.purchaseFields(overrides);
      const response = await stack.postPurchase(fields);
      let cashierUrl = response.headers.get('location');
      if (response.status !== 303) {
        // Alipay+ did not answer twice: the shopper presses "try again" on the 4301 page.
        expect(response.status).toBe(504);
        const token = /\/f01\/payments\/([A-Za-z0-9_-]{32})\/alipayplus/.exec(await response.text())![1];
        const again = await fetch(`${stack.gatewayUrl}/f01/payments/${token}/alipayplus`, {
          method: 'POST',
          redirect: 'manual',
        });
        expect(again.status).toBe(303);
        cashierUrl = again.headers.get('location');
      }
      expect(cashierUrl).toContain('/sandbox/cashier/');
      return { orderId: fields.order_id!, cashierUrl: cashierUrl! };
    }

    for (const mode of API_MODES) {
      it(`pay, ${mode}: the same pay is re-sent and the payment is captured once`, async () => {
        await fault('pay', mode);
        const { orderId, cashierUrl } = await purchase();
        const { tracking_id } = await stack.payment({ orderId });
        const pays = await alipayMessages(stack, tracking_id, 'pay');
        expect(new Set(pays.map((p) => p.request_body)).size).toBe(1);
        expect((await simulatePay(stack, { cashierUrl })).status).toBe('SUCCESS');
        await eventually(async () => (await statusOf(orderId)) === 'CAPTURED', 10_000);
        await toldOnce(orderId, 'OK');
        await expectFaultSpent();
      });

      it(`inquiryPayment, ${mode}: a payment Alipay+ never notified is found paid and captured`, async () => {
        const { orderId, cashierUrl } = await purchase({ amount: NO_NOTIFICATION });
        expect((await simulatePay(stack, { cashierUrl })).status).toBe('SUCCESS');
        await fault('inquiryPayment', mode);
        await settle(async () => (await statusOf(orderId)) === 'CAPTURED');
        await toldOnce(orderId, 'OK');
        await expectFaultSpent();
      });

      it(`cancelPayment, ${mode}: an unpaid payment is cancelled at Alipay+ and expires once`, async () => {
        const { orderId } = await purchase();
        await fault('cancelPayment', mode);
        await settle(async () => (await statusOf(orderId)) === 'EXPIRED');
        const { tracking_id } = await stack.payment({ orderId });
        const cancels = await alipayMessages(stack, tracking_id, 'cancelPayment');
        expect(cancels.length).toBeGreaterThanOrEqual(1);
        expect(JSON.parse(cancels.at(-1)!.response_body!).result.resultStatus).toBe('S');
        await toldOnce(orderId, 'CN');
        await expectFaultSpent();
      });

      it(`refund, ${mode}: the refund is made exactly once`, async () => {
        const payment = await capturedPayment(stack);
        await fault('refund', mode);
        const answer = await refundOverXmlApi(stack, payment.tracking_id, 300);
        expect(['OK', 'AC']).toContain(answer.res_result);
        const refundStatus = async () =>
          (
            await stack.database.db
              .selectFrom('refunds')
              .select('status')
              .where('tracking_id', '=', payment.tracking_id)
              .executeTakeFirstOrThrow()
          ).status;
        await settle(async () => (await refundStatus()) === 'SUCCEEDED');
        const after = await stack.payment({ orderId: payment.order_id });
        expect(after.refunded_amount).toBe(300);
        expect(await sandboxRefundTotal(stack, after)).toBe(300);
        const refunds = await alipayMessages(stack, payment.tracking_id, 'refund');
        expect(new Set(refunds.map((r) => r.request_body)).size).toBe(1);
        await expectFaultSpent();
      });
    }

    for (const mode of NOTIFY_MODES) {
      it(`notifyPayment, ${mode}: the payment is captured and the merchant told once`, async () => {
        const { orderId, cashierUrl } = await purchase();
        await fault('notify', mode);
        expect((await simulatePay(stack, { cashierUrl })).status).toBe('SUCCESS');
        await settle(async () => (await statusOf(orderId)) === 'CAPTURED');
        await toldOnce(orderId, 'OK');
        await expectFaultSpent();
      });
    }
  });
}
