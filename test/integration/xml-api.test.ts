import { createServer, type Server } from 'node:http';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildXmlApiRequest,
  postXmlApi,
  type XmlApiRequestInput,
} from '../../src/channels/xml-api/xml-client';
import {
  INQUIRY_FUNCTION,
  REFUND_FUNCTION,
  type XmlFunctionId,
} from '../../src/channels/xml-api/xml-request';
import type { PaymentRow } from '../../src/db/database';
import { formatJstCompact } from '../../src/kernel/jst';
import { setApiPassword } from '../../src/merchants/api-password';
import { DIALECTS } from '../support/databases';
import {
  capturedPayment,
  eventually,
  type Stack,
  simulatePay,
  startStack,
  TEST_HASH_KEY,
} from '../support/stack';

/**
 * The XML API protocol over real HTTP against the running gateway (merchant-xml-api.md):
 * credentials, documents, function ids, hashes, validity, tracking ids, the inquiry and the
 * refusals of a refund that never reach Alipay+.
 */
const API_PASSWORD = 'kessai-test-api-password-0001';
const OTHER_PASSWORD = 'kessai-test-api-password-0002';
const OTHER_HASH_KEY = 'fedcba9876543210fedcba9876543210fedcba98';
const MINUTE = 60_000;

for (const dialect of DIALECTS) {
  describe(`XML API protocol (${dialect})`, () => {
    let stack: Stack;
    let endpoint: string;
    let payment: PaymentRow;
    beforeAll(async () => {
      stack = await startStack(dialect);
      endpoint = `${stack.gatewayUrl}/api/xmlapi.do`;
      const db = stack.database.db;
      await setApiPassword(db, '30000', '001', API_PASSWORD);
      // A second service of the same merchant, with its own secrets.
      const demo = await db
        .selectFrom('services')
        .selectAll()
        .where('merchant_id', '=', '30000')
        .where('service_id', '=', '001')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('services')
        .values({ ...demo, service_id: '002', hash_key: OTHER_HASH_KEY, api_password_digest: null })
        .execute();
      await setApiPassword(db, '30000', '002', OTHER_PASSWORD);
      payment = await capturedPayment(stack);
    });
    afterAll(async () => {
      await stack?.close();
    });

    const credentials = { user: '30000001', password: API_PASSWORD };
    const now = () => formatJstCompact(stack.clock.now());
    const input = (overrides: Partial<XmlApiRequestInput> = {}): XmlApiRequestInput => ({
      merchantId: '30000',
      serviceId: '001',
      trackingId: payment.tracking_id,
      requestDate: now(),
      ...overrides,
    });
    const body = (
      functionId: XmlFunctionId,
      overrides: Partial<XmlApiRequestInput> = {},
      hashKey = TEST_HASH_KEY,
    ) => buildXmlApiRequest(functionId, input(overrides), hashKey);
    const call = (
      bytes: Uint8Array | string,
      auth: { user: string; password: string } | null = credentials,
    ) => postXmlApi(endpoint, typeof bytes === 'string' ? iconv.encode(bytes, 'cp932') : bytes, auth);

    async function refundCount(trackingId: string) {
      const rows = await stack.database.db
        .selectFrom('refunds')
        .select('refund_id')
        .where('tracking_id', '=', trackingId)
        .execute();
      return rows.length;
    }

    describe('credentials', () => {
      it('answers 401 with an XML body (99914001) and does nothing without credentials', async () => {
        const before = await stack.database.db.selectFrom('xml_inquiry_hashes').select('id').execute();
        const answer = await call(body(INQUIRY_FUNCTION), null);
        expect(answer.httpStatus).toBe(401);
        expect(answer.headers.get('www-authenticate')).toBe('Basic realm="kessai"');
        expect(answer.headers.get('content-type')).toBe('text/xml; charset=Shift_JIS');
        expect(answer.response.fields).toMatchObject({ res_result: 'NG', res_err_code: '99914001' });
        expect(answer.response.fields.res_date).toMatch(/^\d{14}$/);
        const after = await stack.database.db.selectFrom('xml_inquiry_hashes').select('id').execute();
        expect(after).toHaveLength(before.length);
      });

      it.each([
        ['a wrong password', { user: '30000001', password: `${API_PASSWORD}x` }],
        ['an empty password', { user: '30000001', password: '' }],
        ['the hash key while the compatibility switch is off', { user: '30000001', password: TEST_HASH_KEY }],
        ['an unknown service', { user: '30000009', password: API_PASSWORD }],
        ['a user that is not 8 digits', { user: '30000-001', password: API_PASSWORD }],
      ])('answers 401 (99914001) for %s, even for a refund', async (_, auth) => {
        const answer = await call(body(REFUND_FUNCTION), auth);
        expect(answer.httpStatus).toBe(401);
        expect(answer.response.fields.res_err_code).toBe('99914001');
        expect(await refundCount(payment.tracking_id)).toBe(0);
      });

      it('accepts the hash key as the password once the service’s compatibility switch is on', async () => {
        const db = stack.database.db;
        const service = () =>
          db.updateTable('services').where('merchant_id', '=', '30000').where('service_id', '=', '001');
        await service().set({ api_password_is_hash_key: 1 }).execute();
        try {
          const answer = await call(body(INQUIRY_FUNCTION), { user: '30000001', password: TEST_HASH_KEY });
          expect(answer.httpStatus).toBe(200);
          expect(answer.response.fields.res_result).toBe('OK');
        } finally {
          await service().set({ api_password_is_hash_key: 0 }).execute();
        }
      });

      it('refuses credentials of another service than the document names (51014001)', async () => {
        const other = { user: '30000002', password: OTHER_PASSWORD };
        const answer = await call(body(INQUIRY_FUNCTION, {}, OTHER_HASH_KEY), other);
        expect(answer.httpStatus).toBe(200);
        expect(answer.response.id).toBe(INQUIRY_FUNCTION);
        expect(answer.response.fields).toMatchObject({ res_result: 'NG', res_err_code: '51014001' });
        const unknownMerchant = await call(body(INQUIRY_FUNCTION, { merchantId: '99999' }));
        expect(unknownMerchant.response.fields.res_err_code).toBe('51014001');
      });

      it('keeps another service’s payment unknown to a service (51012027)', async () => {
        const other = { user: '30000002', password: OTHER_PASSWORD };
        const answer = await call(body(INQUIRY_FUNCTION, { serviceId: '002' }, OTHER_HASH_KEY), other);
        expect(answer.response.fields.res_err_code).toBe('51012027');
        const refund = await call(
          body(REFUND_FUNCTION, { serviceId: '002', amount: '100' }, OTHER_HASH_KEY),
          other,
        );
        expect(refund.response.fields.res_err_code).toBe('51012027');
        expect(await refundCount(payment.tracking_id)).toBe(0);
      });
    });

    describe('documents', () => {
      let entityServer: Server;
      let fetched = 0;
      let entityUrl = '';
      beforeAll(async () => {
        entityServer = createServer((_req, res) => {
          fetched++;
          res.end('30000');
        });
        await new Promise<void>((resolve) => entityServer.listen(0, '127.0.0.1', resolve));
        const address = entityServer.address();
        entityUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/x`;
      });
      afterAll(async () => {
        await new Promise((resolve) => entityServer.close(resolve));
      });

      it('answers an unknown function id with 99902000', async () => {
        const answer = await call(
          body(INQUIRY_FUNCTION).toString('latin1').replace(INQUIRY_FUNCTION, 'ST01-00101-510'),
        );
        expect(answer.httpStatus).toBe(200);
        expect(answer.response.id).toBeNull();
        expect(answer.response.fields).toMatchObject({ res_result: 'NG', res_err_code: '99902000' });
      });

      it('answers a document that is not well formed with 99900999', async () => {
        for (const broken of [
          '',
          'merchant_id=30000',
          '<sps-api-request id="MG01-00101-510"><merchant_id>30000</sps-api-request>',
          body(INQUIRY_FUNCTION).toString('latin1').replace('encoding="Shift_JIS"', 'encoding="EUC-JP"'),
        ]) {
          const answer = await call(broken);
          expect(answer.httpStatus).toBe(200);
          expect(answer.response.fields).toMatchObject({ res_result: 'NG', res_err_code: '99900999' });
        }
      });

      it('refuses a DOCTYPE with an external entity (99900999) without fetching anything', async () => {
        const xxe = body(INQUIRY_FUNCTION)
          .toString('latin1')
          .replace(
            '<sps-api-request',
            `<!DOCTYPE sps-api-request [<!ENTITY m SYSTEM "${entityUrl}">]>\n<sps-api-request`,
          )
          .replace('<merchant_id>30000<', '<merchant_id>&m;<');
        const answer = await call(xxe);
        expect(answer.response.fields.res_err_code).toBe('99900999');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(fetched).toBe(0);
      });

      it('answers a body over 64 KiB with HTTP 413 and 99900999', async () => {
        const padding = `<!-- ${'x'.repeat(65 * 1024)} -->`;
        const big = body(INQUIRY_FUNCTION)
          .toString('latin1')
          .replace('<merchant_id>', `${padding}<merchant_id>`);
        const answer = await call(big);
        expect(answer.httpStatus).toBe(413);
        expect(answer.response.fields).toMatchObject({ res_result: 'NG', res_err_code: '99900999' });
      });

      it('reads a request that declares UTF-8, and answers in Shift_JIS', async () => {
        const utf8 = buildXmlApiRequest(INQUIRY_FUNCTION, input(), TEST_HASH_KEY, 'utf-8');
        expect(utf8.toString('latin1')).toContain('encoding="UTF-8"');
        const answer = await call(utf8);
        expect(answer.response.fields.res_result).toBe('OK');
        expect(answer.headers.get('content-type')).toBe('text/xml; charset=Shift_JIS');
      });

      it('answers field errors under the function id (51003027, 51006008)', async () => {
        const missing = await call(body(INQUIRY_FUNCTION, { trackingId: '' }));
        expect(missing.response.id).toBe(INQUIRY_FUNCTION);
        expect(missing.response.fields.res_err_code).toBe('51003027');
        const negative = await call(body(REFUND_FUNCTION, { amount: '-500' }));
        expect(negative.response.fields.res_err_code).toBe('51006008');
      });
    });

    describe('hash, validity and tracking id', () => {
      it('refuses a wrong hash (51009025)', async () => {
        const answer = await call(body(REFUND_FUNCTION, {}, OTHER_HASH_KEY));
        expect(answer.httpStatus).toBe(200);
        expect(answer.response.fields).toMatchObject({ res_result: 'NG', res_err_code: '51009025' });
        expect(await refundCount(payment.tracking_id)).toBe(0);
      });

      it('accepts the hash in upper case', async () => {
        const upper = body(INQUIRY_FUNCTION)
          .toString('latin1')
          .replace(/<sps_hashcode>([0-9a-f]+)</, (_, hash: string) => `<sps_hashcode>${hash.toUpperCase()}<`);
        expect((await call(upper)).response.fields.res_result).toBe('OK');
      });

      it('refuses an expired request and one dated more than 600 s ahead (51010023)', async () => {
        const at = (offsetMs: number) => formatJstCompact(new Date(stack.clock.now().getTime() + offsetMs));
        const expired = await call(body(REFUND_FUNCTION, { requestDate: at(-11 * MINUTE) }));
        expect(expired.response.fields.res_err_code).toBe('51010023');
        const short = await call(body(INQUIRY_FUNCTION, { requestDate: at(-2 * MINUTE), limitSecond: '60' }));
        expect(short.response.fields.res_err_code).toBe('51010023');
        const ahead = await call(body(INQUIRY_FUNCTION, { requestDate: at(11 * MINUTE) }));
        expect(ahead.response.fields.res_err_code).toBe('51010023');
        const longer = await call(
          body(INQUIRY_FUNCTION, { requestDate: at(-11 * MINUTE), limitSecond: '900' }),
        );
        expect(longer.response.fields.res_result).toBe('OK');
      });

      it('refuses an unknown tracking id (51012027)', async () => {
        // The refund first: after the inquiry, the same fields would be its remembered hash.
        for (const functionId of [REFUND_FUNCTION, INQUIRY_FUNCTION] as const) {
          const answer = await call(body(functionId, { trackingId: '99999999999999' }));
          expect(answer.response.fields).toMatchObject({ res_result: 'NG', res_err_code: '51012027' });
        }
      });

      it('refuses an sps_transaction_id that is not the payment’s (51011026)', async () => {
        const answer = await call(body(REFUND_FUNCTION, { spsTransactionId: 'A'.repeat(32) }));
        expect(answer.response.fields.res_err_code).toBe('51011026');
        expect(await refundCount(payment.tracking_id)).toBe(0);
      });
    });

    describe('MG01-00101-510 inquiry', () => {
      it('answers a captured payment', async () => {
        const answer = await call(body(INQUIRY_FUNCTION));
        expect(answer.httpStatus).toBe(200);
        expect(answer.response.id).toBe(INQUIRY_FUNCTION);
        expect(answer.response.fields).toEqual({
          res_result: 'OK',
          res_sps_transaction_id: payment.transaction_id,
          res_status: '0',
          'res_pay_method_info/order_id': payment.order_id,
          'res_pay_method_info/amount': '1500',
          'res_pay_method_info/payment_status': '2',
          'res_pay_method_info/refunded_amount': '0',
          'res_pay_method_info/payment_date': formatJstCompact(new Date(payment.paid_at!)),
          'res_pay_method_info/wallet': 'GCASH',
          'res_pay_method_info/refunds': '',
          res_process_date: expect.stringMatching(/^\d{14}$/),
          res_err_code: '',
          res_date: expect.stringMatching(/^\d{14}$/),
        });
        expect(answer.response.refunds).toEqual([]);
        expect(payment.transaction_id).toMatch(/^[A-Z0-9]{32}$/);
      });

      it('accepts the purchase’s own sps_transaction_id', async () => {
        const answer = await call(body(INQUIRY_FUNCTION, { spsTransactionId: payment.transaction_id }));
        expect(answer.response.fields.res_result).toBe('OK');
      });

      it('refuses its hash as a refund while the inquiry is valid (51096025)', async () => {
        const inquiry = body(INQUIRY_FUNCTION, { limitSecond: '120' });
        expect((await call(inquiry)).response.fields.res_result).toBe('OK');
        // The hash leaves the function id out: this is a valid full refund, but for the remembered hash.
        const asRefund = inquiry.toString('latin1').replace(INQUIRY_FUNCTION, REFUND_FUNCTION);
        const answer = await call(asRefund);
        expect(answer.response.id).toBe(REFUND_FUNCTION);
        expect(answer.response.fields).toMatchObject({ res_result: 'NG', res_err_code: '51096025' });
        expect(await refundCount(payment.tracking_id)).toBe(0);
        const memory = await stack.database.db
          .selectFrom('xml_inquiry_hashes')
          .selectAll()
          .where('merchant_id', '=', '30000')
          .where('service_id', '=', '001')
          .execute();
        expect(memory.length).toBeGreaterThan(0);
        for (const row of memory) expect(row.hashcode).toMatch(/^[0-9a-f]{40}$/);
      });
    });

    describe('refunds that never reach Alipay+', () => {
      async function refundAnswer(target: PaymentRow) {
        const answer = await call(body(REFUND_FUNCTION, { trackingId: target.tracking_id }));
        expect(answer.httpStatus).toBe(200);
        return answer.response.fields.res_err_code;
      }

      it('refuses an IN_PROGRESS, FAILED, CANCELED or EXPIRED payment (51013999)', async () => {
        const failed = stack.purchaseFields({ amount: '4001' });
        const cashierUrl = (await stack.postPurchase(failed)).headers.get('location')!;
        await simulatePay(stack, { cashierUrl });
        await eventually(
          async () => (await stack.payment({ orderId: failed.order_id! })).status === 'FAILED',
        );

        const canceled = stack.purchaseFields({ pay_method: '' });
        const selection = (await stack.postPurchase(canceled)).headers.get('location')!;
        await fetch(`${stack.gatewayUrl}${selection}/cancel`, { method: 'POST' });

        const expired = stack.purchaseFields({ pay_method: '' });
        await stack.postPurchase(expired);
        stack.clock.advance(30 * MINUTE + 1000);
        try {
          await stack.runtime.worker!.runDue();
          await eventually(
            async () => (await stack.payment({ orderId: expired.order_id! })).status === 'EXPIRED',
          );
        } finally {
          stack.clock.set(0);
        }
        const inProgress = stack.purchaseFields();
        await stack.postPurchase(inProgress);

        const expected = {
          inProgress: 'IN_PROGRESS',
          failed: 'FAILED',
          canceled: 'CANCELED',
          expired: 'EXPIRED',
        };
        for (const [name, fields] of Object.entries({ inProgress, failed, canceled, expired })) {
          const target = await stack.payment({ orderId: fields.order_id! });
          expect(target.status).toBe(expected[name as keyof typeof expected]);
          expect(await refundAnswer(target)).toBe('51013999');
          expect(await refundCount(target.tracking_id)).toBe(0);
        }
      });
    });
  });
}
