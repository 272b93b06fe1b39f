import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL } from '../support/databases';
import {
  payBody,
  type RunningSandbox,
  type SandboxStore,
  sandboxStore,
  startAcqp,
  startSandbox,
} from '../support/sandbox-harness';

let store: SandboxStore;
let sandbox: RunningSandbox;

beforeAll(async () => {
  store = await sandboxStore('postgres');
  sandbox = await startSandbox({ databaseUrl: store.databaseUrl });
});

afterAll(async () => {
  await sandbox?.close();
  await store?.drop();
});

describe('sandbox on PostgreSQL', () => {
  it('creates, pays, notifies, refunds and cancels with its own tables', async () => {
    const acqp = await startAcqp();
    try {
      const body = payBody(2500, {}, acqp.notifyUrl);
      const created = await sandbox.call('pay', body);
      expect(created.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');
      expect((await sandbox.call('pay', body)).body.paymentId).toBe(created.body.paymentId);
      const paid = await sandbox.control('POST', '/sandbox/v1/simulate/pay', {
        paymentRequestId: body.paymentRequestId,
        wallet: 'BPI',
        user: 'alice',
      });
      expect(paid.body.status).toBe('SUCCESS');
      const [notification] = await acqp.waitFor(1);
      expect(notification?.verified).toBe(true);
      const refund = await sandbox.call('refund', {
        refundRequestId: `RF${created.body.paymentId}`,
        paymentRequestId: body.paymentRequestId,
        refundAmount: { currency: 'JPY', value: '500' },
      });
      expect(refund.body.result.resultCode).toBe('SUCCESS');
      const cancel = await sandbox.call('cancelPayment', { paymentRequestId: body.paymentRequestId });
      expect(cancel.body.result.resultCode).toBe('SUCCESS');
      const inquiry = await sandbox.call('inquiryPayment', { paymentRequestId: body.paymentRequestId });
      expect(inquiry.body.paymentResult.resultCode).toBe('ORDER_IS_CLOSED');
      const console = await sandbox.app.inject({ method: 'GET', url: '/sandbox' });
      expect(console.body).toContain(created.body.paymentId);
    } finally {
      await acqp.close();
    }
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    const tables = await client.query(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [store.schema],
    );
    await client.end();
    expect(
      tables.rows.map((r: { table_name: string }) => r.table_name).every((t) => t.startsWith('sandbox_')),
    ).toBe(true);
  });
});
