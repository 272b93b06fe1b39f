import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  listPaymentErrors,
  type PaymentErrorInput,
  recordPaymentError,
} from '../../src/merchants/payment-error.repository';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';

const AT = new Date('2026-11-27T01:30:00Z');

function entry(overrides: Partial<PaymentErrorInput> = {}): PaymentErrorInput {
  return {
    merchantId: '30000',
    serviceId: '001',
    code: '5105',
    field: 'sps_hashcode',
    orderId: 'ORDER-1',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    clientIp: '203.0.113.9',
    authenticated: false,
    at: AT,
    ...overrides,
  };
}

for (const dialect of DIALECTS) {
  describe(`payment-error log on ${dialect}`, () => {
    let store: TestDatabase;
    beforeEach(async () => {
      store = await createTestDatabase(dialect);
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores a refusal and reads it back', async () => {
      await recordPaymentError(store.db, entry({ authenticated: true, code: '5107', field: 'order_id' }));
      const [row, ...rest] = await listPaymentErrors(store.db, { merchantId: '30000', limit: 10 });
      expect(rest).toEqual([]);
      expect(row).toMatchObject({ ...entry(), authenticated: true, code: '5107', field: 'order_id' });
      expect(row?.at.getTime()).toBe(AT.getTime());
      expect(typeof row?.id).toBe('number');
    });

    it('keeps a refusal without a field as null', async () => {
      await recordPaymentError(store.db, entry({ code: '5110', field: null }));
      const [row] = await listPaymentErrors(store.db, { merchantId: '30000', limit: 1 });
      expect(row?.field).toBeNull();
    });

    it('cuts values to their field length and replaces control characters', async () => {
      await recordPaymentError(
        store.db,
        entry({
          merchantId: '300001234',
          serviceId: '0012',
          orderId: `${'O'.repeat(37)}😀tail`,
          userAgent: `A\u0000B${'u'.repeat(600)}`,
          field: 'f'.repeat(100),
        }),
      );
      const [row] = await listPaymentErrors(store.db, { merchantId: '30000', limit: 1 });
      expect(row?.serviceId).toBe('001');
      expect(row?.orderId).toBe(`${'O'.repeat(37)}😀`);
      expect(row?.userAgent).toHaveLength(512);
      expect(row?.userAgent.startsWith('A\uFFFDB')).toBe(true);
      expect(row?.field).toBe('f'.repeat(64));
    });

    it('lists one merchant’s rows, newest first, optionally for one service, page by page', async () => {
      for (let i = 0; i < 5; i++) {
        await recordPaymentError(
          store.db,
          entry({ orderId: `A-${i}`, at: new Date(AT.getTime() + i * 1000) }),
        );
      }
      // Two rows at the same instant: the page boundary must not lose either.
      await recordPaymentError(store.db, entry({ orderId: 'A-4b', at: new Date(AT.getTime() + 4000) }));
      await recordPaymentError(
        store.db,
        entry({ serviceId: '002', orderId: 'B-0', at: new Date(AT.getTime() + 9000) }),
      );
      await recordPaymentError(store.db, entry({ merchantId: '30001', orderId: 'C-0' }));

      const all = await listPaymentErrors(store.db, { merchantId: '30000', limit: 100 });
      expect(all.map((r) => r.orderId)).toEqual(['B-0', 'A-4b', 'A-4', 'A-3', 'A-2', 'A-1', 'A-0']);

      const service = await listPaymentErrors(store.db, { merchantId: '30000', serviceId: '001', limit: 2 });
      expect(service.map((r) => r.orderId)).toEqual(['A-4b', 'A-4']);
      const next = await listPaymentErrors(store.db, {
        merchantId: '30000',
        serviceId: '001',
        limit: 2,
        before: service.at(-1)!,
      });
      expect(next.map((r) => r.orderId)).toEqual(['A-3', 'A-2']);
    });
  });
}
