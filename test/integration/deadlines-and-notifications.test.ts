import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signMessage } from '../../src/alipayplus/signing';
import { listJobs } from '../../src/jobs/job.repository';
import { formatJstCompact, formatJstIso } from '../../src/kernel/jst';
import { DIALECTS } from '../support/databases';
import { alipayMessages, eventually, type Stack, simulatePay, startStack } from '../support/stack';

const MINUTE = 60_000;

for (const dialect of DIALECTS) {
  describe(`deadlines and merchant notifications (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
    });
    afterAll(async () => {
      await stack?.close();
    });

    async function startPayment(overrides: Record<string, string> = {}) {
      const fields = stack.purchaseFields(overrides);
      const response = await stack.postPurchase(fields);
      expect(response.status).toBe(303);
      return { fields, cashierUrl: response.headers.get('location')! };
    }

    const worker = () => stack.runtime.worker!;
    const noticesOf = (orderId: string) =>
      stack.merchant.notifications.filter((n) => n.fields.order_id === orderId);

    it('closes an unpaid payment at the deadline: inquire, cancel, EXPIRED, CN 6103', async () => {
      const { fields } = await startPayment();
      stack.clock.advance(10 * MINUTE + 31_000);
      try {
        await worker().runDue();
        await eventually(
          async () => (await stack.payment({ orderId: fields.order_id! })).status === 'EXPIRED',
        );
        const payment = await stack.payment({ orderId: fields.order_id! });
        const apis = await alipayMessages(stack, payment.tracking_id);
        expect(apis.map((a) => a.api)).toEqual(['pay', 'inquiryPayment', 'cancelPayment']);
        // The ending it made leaves the running deadline job to finish as usual.
        const [deadline] = await listJobs(stack.database.db, {
          dedupeKey: `deadline:${payment.tracking_id}`,
        });
        expect(deadline).toMatchObject({ status: 'DONE' });
        await eventually(async () => noticesOf(fields.order_id!).length === 1);
        expect(noticesOf(fields.order_id!)[0]!.fields.res_result).toBe('CN');
        expect(noticesOf(fields.order_id!)[0]!.fields.res_err_code).toBe('6103');
      } finally {
        stack.clock.set(0);
      }
    });

    it("deletes a payment's deadline and cancel jobs when it ends, which could only run as no-ops", async () => {
      const { fields } = await startPayment();
      const payment = await stack.payment({ orderId: fields.order_id! });
      const jobsOf = () => listJobs(stack.database.db, { status: 'PENDING', kind: 'payment.deadline' });
      expect((await jobsOf()).map((j) => j.dedupeKey)).toContain(`deadline:${payment.tracking_id}`);
      // The shopper's "cancel and return": the cancel job is queued with the mark, and the
      // synchronous cancel at Alipay+ ends the payment.
      const page = await fetch(`${stack.gatewayUrl}/f01/payments/${payment.token}/cancel`, {
        method: 'POST',
        redirect: 'manual',
      });
      expect(page.status).toBeLessThan(400);
      await eventually(
        async () => (await stack.payment({ orderId: fields.order_id! })).status === 'CANCELED',
      );
      const left = await listJobs(stack.database.db, { status: ['PENDING', 'RUNNING'] });
      expect(left.filter((j) => JSON.stringify(j.payload).includes(payment.tracking_id))).toEqual([]);
    });

    it('lets exactly one of capture and cancel win when payment and deadline race', async () => {
      const pay = (cashierUrl: string) =>
        simulatePay(stack, { cashierUrl, wallet: 'GCASH', user: 'alice', action: 'pay' });
      // Each order of events, then both at once: the first two must each be seen to win.
      const rounds = ['payment first', 'deadline first', 'together', 'together'] as const;
      const winners: string[] = [];
      for (const round of rounds) {
        const { fields, cashierUrl } = await startPayment();
        stack.clock.advance(10 * MINUTE + 31_000);
        try {
          if (round === 'payment first') {
            await pay(cashierUrl);
            await worker().runDue();
          } else if (round === 'deadline first') {
            await worker().runDue();
            await pay(cashierUrl);
          } else {
            await Promise.all([pay(cashierUrl), worker().runDue()]);
          }
          await eventually(async () => {
            const status = (await stack.payment({ orderId: fields.order_id! })).status;
            return status === 'CAPTURED' || status === 'EXPIRED';
          }, 10_000);
          await worker().runDue();
          const payment = await stack.payment({ orderId: fields.order_id! });
          const finals = await stack.database.db
            .selectFrom('payment_events')
            .select('to_status')
            .where('tracking_id', '=', payment.tracking_id)
            .where('to_status', 'in', ['CAPTURED', 'EXPIRED', 'CANCELED', 'FAILED'])
            .execute();
          expect(finals).toHaveLength(1);
          const results = await stack.database.db
            .selectFrom('notifications')
            .select('result')
            .where('tracking_id', '=', payment.tracking_id)
            .execute();
          // No merchant is told OK for money that Alipay+ reverses.
          expect(results.map((r) => r.result)).toEqual([payment.status === 'CAPTURED' ? 'OK' : 'CN']);
          winners.push(payment.status);
        } finally {
          stack.clock.set(0);
        }
      }
      expect(winners.slice(0, 2)).toEqual(['CAPTURED', 'EXPIRED']);
    });

    it('does not capture money paid after the cancel was requested; the cancel reverses it', async () => {
      const { fields, cashierUrl } = await startPayment();
      const control = (method: string, body?: unknown) =>
        fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, {
          method,
          headers: body ? { 'Content-Type': 'application/json' } : {},
          body: body ? JSON.stringify(body) : undefined,
        });
      await control('POST', { api: 'cancelPayment', mode: 'unknown', count: 1 });
      stack.clock.advance(10 * MINUTE + 31_000);
      try {
        await worker().runDue();
        const marked = await stack.payment({ orderId: fields.order_id! });
        expect(marked.status).toBe('IN_PROGRESS');
        expect(marked.cancel_requested_at).not.toBeNull();

        const paid = await simulatePay(stack, { cashierUrl, wallet: 'GCASH', user: 'alice', action: 'pay' });
        expect(paid.status).toBe('SUCCESS');
        await eventually(async () => {
          return (await alipayMessages(stack, marked.tracking_id, 'notifyPayment')).length > 0;
        });
        expect((await stack.payment({ orderId: fields.order_id! })).status).toBe('IN_PROGRESS');

        stack.clock.advance(MINUTE);
        await worker().runDue();
        await eventually(
          async () => (await stack.payment({ orderId: fields.order_id! })).status === 'EXPIRED',
        );
        const results = await stack.database.db
          .selectFrom('notifications')
          .select('result')
          .where('tracking_id', '=', marked.tracking_id)
          .execute();
        expect(results.map((r) => r.result)).toEqual(['CN']);
      } finally {
        await control('DELETE');
        stack.clock.set(0);
      }
    });

    it('captures money Alipay+ keeps after refusing the cancel, clears the mark and tells the merchant OK once', async () => {
      const { fields, cashierUrl } = await startPayment();
      const control = (method: string, body?: unknown) =>
        fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, {
          method,
          headers: body ? { 'Content-Type': 'application/json' } : {},
          body: body ? JSON.stringify(body) : undefined,
        });
      await control('POST', { api: 'cancelPayment', mode: 'unknown', count: 1 });
      stack.clock.advance(10 * MINUTE + 31_000);
      try {
        // On a busy machine the deadline's inquiry can come back unknown: its re-try comes first.
        await eventually(async () => {
          await worker().runDue();
          if ((await stack.payment({ orderId: fields.order_id! })).cancel_requested_at !== null) return true;
          stack.clock.advance(3_000);
          return false;
        }, 30_000);
        const marked = await stack.payment({ orderId: fields.order_id! });
        const paid = await simulatePay(stack, { cashierUrl, wallet: 'GCASH', user: 'alice', action: 'pay' });
        expect(paid.status).toBe('SUCCESS');
        await eventually(
          async () => (await alipayMessages(stack, marked.tracking_id, 'notifyPayment')).length > 0,
        );

        // Past 00:15 UTC+8 of the next day Alipay+ refuses the cancel: the money stays paid.
        stack.sandboxClock.advance(2 * 24 * 60 * MINUTE);
        stack.clock.advance(MINUTE);
        await worker().runDue();
        await eventually(
          async () => (await stack.payment({ orderId: fields.order_id! })).status === 'CAPTURED',
        );
        const captured = await stack.payment({ orderId: fields.order_id! });
        expect(captured).toMatchObject({
          cancel_requested_at: null,
          cancel_target: null,
          result_code: 'SUCCESS',
        });
        const results = await stack.database.db
          .selectFrom('notifications')
          .select('result')
          .where('tracking_id', '=', marked.tracking_id)
          .execute();
        expect(results.map((r) => r.result)).toEqual(['OK']);
      } finally {
        await control('DELETE');
        stack.clock.set(0);
        stack.sandboxClock.set(0);
      }
    });

    it('expires a selection screen left idle for 30 minutes, with no Alipay+ call', async () => {
      const { fields } = await startPayment({ pay_method: '' });
      stack.clock.advance(30 * MINUTE + 1000);
      try {
        await worker().runDue();
        await eventually(
          async () => (await stack.payment({ orderId: fields.order_id! })).status === 'EXPIRED',
        );
        const payment = await stack.payment({ orderId: fields.order_id! });
        expect(await alipayMessages(stack, payment.tracking_id)).toHaveLength(0);
        await eventually(async () => noticesOf(fields.order_id!).length === 1);
        expect(noticesOf(fields.order_id!)[0]!.fields.res_err_code).toBe('6103');
      } finally {
        stack.clock.set(0);
      }
    });

    it('refuses a notification with a bad signature and changes nothing', async () => {
      await startPayment();
      const payment = await stack.database.db
        .selectFrom('payments')
        .selectAll()
        .where('status', '=', 'IN_PROGRESS')
        .orderBy('received_at', 'desc')
        .executeTakeFirstOrThrow();
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const body = Buffer.from(
        JSON.stringify({
          paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
          paymentRequestId: payment.payment_request_id,
          paymentId: 'forged',
          paymentAmount: { currency: 'JPY', value: String(payment.amount) },
          paymentTime: formatJstIso(new Date()),
        }),
      );
      const time = formatJstIso(new Date());
      const response = await fetch(`${stack.gatewayUrl}/alipayplus/notifyPayment`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=UTF-8',
          'Client-Id': 'SANDBOX_KESSAI',
          'Request-Time': time,
          Signature: signMessage(privateKey, '/alipayplus/notifyPayment', 'SANDBOX_KESSAI', time, body),
        },
        body,
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { result: { resultCode: string } }).result.resultCode).toBe(
        'INVALID_SIGNATURE',
      );
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('IN_PROGRESS');
    });

    it('records a merchant NG answer and does not retry it', async () => {
      stack.merchant.setAnswer('ng');
      try {
        const { fields, cashierUrl } = await startPayment();
        await simulatePay(stack, { cashierUrl, wallet: 'GCASH', user: 'alice', action: 'pay' });
        await eventually(async () => noticesOf(fields.order_id!).length === 1);
        const payment = await stack.payment({ orderId: fields.order_id! });
        await eventually(async () => {
          const n = await stack.database.db
            .selectFrom('notifications')
            .selectAll()
            .where('tracking_id', '=', payment.tracking_id)
            .executeTakeFirst();
          return n?.status === 'REFUSED';
        });
        stack.clock.advance(3 * 60 * MINUTE);
        await worker().runDue();
        expect(noticesOf(fields.order_id!)).toHaveLength(1);
      } finally {
        stack.clock.set(0);
        stack.merchant.setAnswer('ok');
      }
    });

    it('retries a merchant that does not answer on the schedule (2 min, 10 min, …)', async () => {
      stack.merchant.setAnswer('timeout');
      try {
        const { fields, cashierUrl } = await startPayment();
        await simulatePay(stack, { cashierUrl, wallet: 'GCASH', user: 'alice', action: 'pay' });
        const payment = await (async () => {
          await eventually(
            async () => (await stack.payment({ orderId: fields.order_id! })).status === 'CAPTURED',
          );
          return stack.payment({ orderId: fields.order_id! });
        })();
        const attempts = async () =>
          (
            await stack.database.db
              .selectFrom('notification_attempts')
              .innerJoin('notifications', 'notifications.id', 'notification_attempts.notification_id')
              .select('notification_attempts.id')
              .where('notifications.tracking_id', '=', payment.tracking_id)
              .execute()
          ).length;
        await eventually(async () => (await attempts()) === 1, 8000);
        // Not yet due one minute later…
        stack.clock.advance(MINUTE);
        await worker().runDue();
        expect(await attempts()).toBe(1);
        // …due after 2 minutes.
        stack.clock.advance(MINUTE + 1000);
        await worker().runDue();
        await eventually(async () => (await attempts()) === 2);
        stack.merchant.setAnswer('ok');
        stack.clock.advance(10 * MINUTE);
        await worker().runDue();
        await eventually(async () => (await attempts()) === 3);
        await eventually(async () => {
          const row = await stack.database.db
            .selectFrom('notifications')
            .select('status')
            .where('tracking_id', '=', payment.tracking_id)
            .executeTakeFirstOrThrow();
          return row.status === 'DELIVERED';
        });
        const notification = await stack.database.db
          .selectFrom('notifications')
          .selectAll()
          .where('tracking_id', '=', payment.tracking_id)
          .executeTakeFirstOrThrow();
        expect(notification.status).toBe('DELIVERED');
        expect(notification.attempts).toBe(3);
      } finally {
        stack.clock.set(0);
        stack.merchant.setAnswer('ok');
      }
    });

    it('re-sends from the console while retries run without cutting the schedule short', async () => {
      stack.merchant.setAnswer('http500');
      try {
        const { fields, cashierUrl } = await startPayment();
        await simulatePay(stack, { cashierUrl });
        await eventually(async () => noticesOf(fields.order_id!).length === 1);
        const payment = await stack.payment({ orderId: fields.order_id! });
        const notification = async () =>
          stack.database.db
            .selectFrom('notifications')
            .selectAll()
            .where('tracking_id', '=', payment.tracking_id)
            .executeTakeFirstOrThrow();
        await eventually(async () => (await notification()).attempts === 1);

        expect(await stack.runtime.notifications!.resend((await notification()).id)).toBe(true);
        await eventually(async () => (await notification()).attempts === 2);
        expect(await notification()).toMatchObject({ status: 'PENDING' });

        // The job scheduled for the second attempt finds it made and posts nothing.
        stack.clock.advance(3 * MINUTE);
        await worker().runDue();
        expect(noticesOf(fields.order_id!)).toHaveLength(2);

        stack.merchant.setAnswer('ok');
        stack.clock.advance(10 * MINUTE);
        await worker().runDue();
        await eventually(async () => (await notification()).status === 'DELIVERED');
        expect((await notification()).attempts).toBe(3);
        expect(noticesOf(fields.order_id!)).toHaveLength(3);
        // Every attempt and the re-send carry the same A02-1, byte for byte: a merchant sees a
        // repeat, not a second, different result (res_date is the time of the outcome's notification).
        const [first, ...repeats] = noticesOf(fields.order_id!);
        for (const repeat of repeats) expect(repeat.raw.equals(first!.raw)).toBe(true);
        expect(first!.fields.res_date).toBe(formatJstCompact(new Date((await notification()).created_at)));
      } finally {
        stack.clock.set(0);
        stack.merchant.setAnswer('ok');
      }
    });
  });
}
