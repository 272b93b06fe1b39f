import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildXmlApiRequest, postXmlApi } from '../../src/channels/xml-api/xml-client';
import { REFUND_FUNCTION } from '../../src/channels/xml-api/xml-request';
import type { PaymentRow } from '../../src/db/database';
import { formatJstCompact } from '../../src/kernel/jst';
import { setApiPassword } from '../../src/merchants/api-password';
import { DIALECTS } from '../support/databases';
import { capturedPayment, eventually, type Stack, startStack, TEST_HASH_KEY } from '../support/stack';

/**
 * Identical ST02-00306-510 requests are one refund and each is answered with it
 * (merchant-xml-api.md, Replays) — also when they arrive together and the refund takes all that
 * remains (a full refund, or an amount equal to the rest): a copy that looked for its replay key
 * before the first copy committed then finds nothing left to reserve, and must still answer with
 * that refund rather than NG 510K1008.
 *
 * By chance that window is hit only now and then. On PostgreSQL the test holds it open the way a
 * busy database does — a transaction of its own locks the payment's row while the copies arrive,
 * so every copy has looked for its replay key, found nothing and queued to reserve before any can.
 * SQLite runs the copies through one connection and is shown plainly.
 */
const API_PASSWORD = 'kessai-test-api-password-0001';
const COPIES = 6;

for (const dialect of DIALECTS) {
  describe(`identical refunds of everything that remains, at the same time (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
      await setApiPassword(stack.database.db, '30000', '001', API_PASSWORD);
    });
    afterAll(async () => {
      await stack?.close();
    });

    /**
     * Sends while a transaction of the test holds the payment's row, and lets go only once every
     * copy waits to reserve: the first in line waits for the test's transaction, the other five
     * queue for the row (PostgreSQL's not-granted tuple locks).
     */
    async function sendWhileRowLocked<T>(payment: PaymentRow, send: () => Promise<T>): Promise<T> {
      const db = stack.database.db;
      const { sent } = await db.transaction().execute(async (tx) => {
        await sql`SELECT 1 FROM payments WHERE tracking_id = ${payment.tracking_id} FOR UPDATE`.execute(tx);
        const pending = send();
        await eventually(async () => {
          const { rows } = await sql<{ waiting: number }>`
            SELECT count(*)::int AS waiting FROM pg_locks
            WHERE NOT granted AND locktype = 'tuple' AND relation = 'payments'::regclass`.execute(db);
          return rows[0]!.waiting >= COPIES - 1;
        });
        return { sent: pending };
      });
      return sent;
    }

    it.each([
      ['a full refund', undefined],
      ['a partial refund of the whole amount', '1500'],
    ])('answers every copy of %s with the one refund', async (_, amount) => {
      // The lock makes the race certain on PostgreSQL; SQLite gets a few tries at it by chance.
      for (let round = 0; round < (dialect === 'postgres' ? 1 : 3); round++) {
        const payment = await capturedPayment(stack);
        const body = buildXmlApiRequest(
          REFUND_FUNCTION,
          {
            merchantId: '30000',
            serviceId: '001',
            trackingId: payment.tracking_id,
            requestDate: formatJstCompact(stack.clock.now()),
            ...(amount === undefined ? {} : { amount }),
          },
          TEST_HASH_KEY,
        );
        const send = () =>
          Promise.all(
            Array.from({ length: COPIES }, () =>
              postXmlApi(`${stack.gatewayUrl}/api/xmlapi.do`, body, {
                user: '30000001',
                password: API_PASSWORD,
              }),
            ),
          );
        const answers = dialect === 'postgres' ? await sendWhileRowLocked(payment, send) : await send();
        const refunds = await stack.database.db
          .selectFrom('refunds')
          .select('refund_id')
          .where('tracking_id', '=', payment.tracking_id)
          .execute();
        expect(refunds).toHaveLength(1);
        expect(
          answers.map((a) => `${a.response.fields.res_result}:${a.response.fields.res_err_code}`),
        ).toEqual(answers.map((a) => (a.response.fields.res_result === 'OK' ? 'OK:' : 'AC:')));
        for (const answer of answers) {
          expect(answer.response.fields.res_sps_transaction_id).toBe(refunds[0]!.refund_id);
        }
      }
    });
  });
}
