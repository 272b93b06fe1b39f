import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../src/sandbox/store';
import { SandboxStore } from '../../src/sandbox/store';
import { DIALECTS } from '../support/databases';
import { sandboxStore } from '../support/sandbox-harness';

/** The payment path's statements are compiled once and run again with each call's own arguments. */
function order(paymentId: string, amount: number): Order {
  return {
    payment_id: paymentId,
    payment_request_id: `PR-${paymentId}`,
    client_id: 'C',
    fingerprint: 'f',
    reference_merchant_id: 'M',
    merchant_name: 'Shop',
    merchant_display_name: 'Shop',
    reference_order_id: 'O',
    order_description: 'tea',
    amount,
    payment_method_type: 'CONNECT_WALLET',
    terminal_type: 'WEB',
    os_type: null,
    allowed_wallets: null,
    notify_url: 'http://127.0.0.1:9/notify',
    redirect_url: 'http://127.0.0.1:9/return',
    status: 'PROCESSING',
    result_code: null,
    close_reason: null,
    reversed: 0,
    wallet: null,
    user_name: null,
    customer_id: null,
    wallet_currency: null,
    wallet_amount: null,
    quote_id: null,
    quote_pair: null,
    quote_price: null,
    created_at: 1,
    expires_at: 2,
    paid_at: null,
    closed_at: null,
    updated_at: 1,
  };
}

for (const dialect of DIALECTS) {
  describe(`sandbox store, compiled statements (${dialect})`, () => {
    let store: SandboxStore;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const database = await sandboxStore(dialect);
      store = await SandboxStore.open(database.databaseUrl);
      drop = database.drop;
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    it('reads and writes each call’s own rows', async () => {
      await store.insertOrder(order('Q1', 100));
      await store.transaction((tx) => tx.insertOrder(order('Q2', 200)));
      expect((await store.orderById('Q1'))?.amount).toBe(100);
      expect((await store.orderByRequestId('PR-Q2'))?.amount).toBe(200);
      expect(await store.orderById('Q3')).toBeNull();
    });

    it('applies a conditional update only from the given states, whatever columns it sets', async () => {
      expect(await store.updateOrder('Q1', ['SUCCESS'], { status: 'CLOSED', updated_at: 5 })).toBe(false);
      expect(await store.updateOrder('Q1', ['PROCESSING', 'FAIL'], { status: 'FAIL', updated_at: 5 })).toBe(
        true,
      );
      expect(await store.updateOrder('Q2', ['PROCESSING'], { status: 'SUCCESS', wallet: 'GCASH' })).toBe(
        true,
      );
      expect(await store.orderById('Q1')).toMatchObject({ status: 'FAIL', updated_at: 5, wallet: null });
      expect(await store.orderById('Q2')).toMatchObject({
        status: 'SUCCESS',
        updated_at: 1,
        wallet: 'GCASH',
      });
    });

    it('returns each inserted notification’s id and updates it only while pending', async () => {
      const row = {
        payment_id: 'Q2',
        client_id: 'C',
        url: 'http://127.0.0.1:9/notify',
        body: '{}',
        status: 'PENDING' as const,
        note: null,
        attempts: 0,
        next_attempt_at: 1,
        created_at: 1,
        finished_at: null,
      };
      const first = await store.insertNotification({ ...row, registration_request_id: null });
      const second = await store.insertNotification({
        ...row,
        registration_request_id: null,
        body: '{"n":2}',
      });
      expect(second).toBeGreaterThan(first);
      expect((await store.notification(second))?.body).toBe('{"n":2}');
      expect(await store.updatePendingNotification(first, { status: 'DELIVERED', attempts: 1 })).toBe(true);
      expect(await store.updatePendingNotification(first, { status: 'FAILED', attempts: 2 })).toBe(false);
      expect(await store.notification(first)).toMatchObject({ status: 'DELIVERED', attempts: 1 });
    });
  });
}
