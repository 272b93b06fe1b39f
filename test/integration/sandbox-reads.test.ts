import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases';
import {
  payBody,
  type RunningSandbox,
  type SandboxStore,
  sandboxStore,
  startAcqp,
  startSandbox,
  type TestAcqp,
} from '../support/sandbox-harness';
import { eventually } from '../support/stack';

/**
 * What the sandbox reads once instead of on every request (the orders' expiry, the wallets a
 * merchant may use) still follows every change, on both databases.
 */
const MINUTE = 60_000;

for (const dialect of DIALECTS) {
  describe(`sandbox reads (${dialect})`, () => {
    let store: SandboxStore;
    let sandbox: RunningSandbox;
    let acqp: TestAcqp;

    beforeAll(async () => {
      store = await sandboxStore(dialect);
      sandbox = await startSandbox({ databaseUrl: store.databaseUrl, reviewSeconds: 0 });
      acqp = await startAcqp();
    });
    afterAll(async () => {
      await sandbox?.close();
      await acqp?.close();
      await store?.drop();
    });

    async function create(amount: number, overrides: Record<string, unknown> = {}) {
      const body = payBody(amount, overrides);
      const created = await sandbox.call('pay', body);
      expect(created.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');
      return { body, paymentId: created.body.paymentId as string };
    }
    const orderOf = async (paymentId: string) =>
      (await sandbox.control('GET', `/sandbox/v1/orders/${paymentId}`)).body.order;
    const moveClock = async (offsetMs: number) =>
      expect((await sandbox.control('POST', '/sandbox/v1/clock', { offsetMs })).status).toBe(200);

    it('closes an unpaid order past its expiry as it is read, as of its expiry time', async () => {
      const { paymentId } = await create(1500);
      await moveClock(11 * MINUTE);
      try {
        const order = await orderOf(paymentId);
        expect(order).toMatchObject({ status: 'CLOSED', close_reason: 'EXPIRED' });
        expect(order.closed_at).toBe(order.expires_at);
      } finally {
        await moveClock(0);
      }
    });

    it('closes every order due by the new time when the clock moves', async () => {
      const { paymentId } = await create(1500);
      await moveClock(11 * MINUTE);
      await moveClock(0);
      expect(await orderOf(paymentId)).toMatchObject({ status: 'CLOSED', close_reason: 'EXPIRED' });
    });

    it('counts a pay that made no order, so that a re-send is not the first call (5001)', async () => {
      const past = payBody(1500, { paymentExpiryTime: new Date(Date.now() - MINUTE).toISOString() });
      expect((await sandbox.call('pay', past)).body.result.resultCode).toBe('PARAM_ILLEGAL');
      const again = { ...payBody(5001), paymentRequestId: past.paymentRequestId };
      expect((await sandbox.call('pay', again)).body.result.resultCode).toBe('PAYMENT_IN_PROCESS');
    });

    it('reads the wallets a merchant may use again once the test shortcut changes them', async () => {
      const merchant = `SHORTCUT-${dialect}`;
      const payWith = async (wallet: string) => {
        const body = payBody(1500, { paymentMethod: { paymentMethodType: wallet } });
        body.order.merchant.referenceMerchantId = merchant;
        return (await sandbox.call('pay', body)).body.result.resultCode;
      };
      await sandbox.control('PUT', `/sandbox/v1/merchants/${merchant}/wallets`, { wallets: ['GCASH'] });
      expect(await payWith('GCASH')).toBe('PAYMENT_IN_PROCESS');
      await sandbox.control('PUT', `/sandbox/v1/merchants/${merchant}/wallets`, { wallets: ['DANA'] });
      expect(await payWith('GCASH')).toBe('UNAVAILABLE_PAYMENT_METHOD');
      expect(await payWith('DANA')).toBe('PAYMENT_IN_PROCESS');
    });

    it('reads the wallets a merchant may use again after a review decision and a new registration', async () => {
      const merchant = `REVIEWED-${dialect}`;
      const register = async (id: string) => {
        const answer = await sandbox.call('registration', {
          registrationRequestId: id,
          registrationNotifyURL: acqp.notifyUrl,
          productCodes: ['CASHIER_PAYMENT'],
          merchantInfo: {
            referenceMerchantId: merchant,
            merchantDisplayName: 'HOLD Shop',
            merchantMCC: '5999',
            merchantAddress: { region: 'JP', city: 'Tokyo' },
            registrationDetail: { legalName: 'HOLD Shop K.K.' },
          },
          pspNames: ['GCASH'],
        });
        expect(answer.body.result.resultCode).toBe('SUCCESS');
      };
      const wallets = async () =>
        (await sandbox.control('GET', `/sandbox/v1/merchants/${merchant}/wallets`)).body.wallets;
      await register(`REG-1-${dialect}`);
      expect(await wallets()).toEqual([]);
      const decided = await sandbox.control('POST', `/sandbox/v1/registrations/REG-1-${dialect}/psps/GCASH`, {
        decision: 'APPROVED',
      });
      expect(decided.status).toBe(200);
      expect(await wallets()).toEqual(['GCASH']);
      // A later registration naming the wallet decides it again: pending until reviewed.
      await register(`REG-2-${dialect}`);
      expect(await wallets()).toEqual([]);
    });

    it('records a redirect answering a notification as that answer, and retries', async () => {
      const server = createServer((_request, response) => {
        response.writeHead(302, { Location: 'http://127.0.0.1:9/elsewhere' }).end('moved');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alipayplus/notifyPayment`;
        const body = payBody(1500, {}, url);
        const created = await sandbox.call('pay', body);
        const paymentId = created.body.paymentId as string;
        const paid = await sandbox.control('POST', '/sandbox/v1/simulate/pay', {
          paymentId,
          wallet: 'GCASH',
        });
        expect(paid.body.status).toBe('SUCCESS');
        let attempt: Record<string, unknown> | undefined;
        await eventually(async () => {
          const state = (await sandbox.control('GET', `/sandbox/v1/orders/${paymentId}`)).body;
          attempt = state.notifications[0]?.attemptLog[0];
          return attempt !== undefined;
        });
        expect(attempt).toMatchObject({
          http_status: 302,
          verified: 0,
          accepted: 0,
          answer: 'moved',
          error: 'answer not signed by the client key',
        });
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
}
