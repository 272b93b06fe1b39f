import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL } from '../support/databases';
import { payBody, type RunningSandbox, startAcqp, startSandbox } from '../support/sandbox-harness';

const schema = `sandbox_${randomBytes(6).toString('hex')}`;
let sandbox: RunningSandbox;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The sandbox takes only a URL, so its schema travels in the connection's `options`. */
function urlWithSchema(): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

beforeAll(async () => {
  await admin(`CREATE SCHEMA ${schema}`);
  sandbox = await startSandbox({ databaseUrl: urlWithSchema() });
});

afterAll(async () => {
  await sandbox?.close();
  await admin(`DROP SCHEMA ${schema} CASCADE`);
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
      [schema],
    );
    await client.end();
    expect(
      tables.rows.map((r: { table_name: string }) => r.table_name).every((t) => t.startsWith('sandbox_')),
    ).toBe(true);
  });
});
