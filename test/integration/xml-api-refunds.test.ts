import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildXmlApiRequest,
  postXmlApi,
  type XmlApiRequestInput,
} from '../../src/channels/xml-api/xml-client';
import { readXmlDocument } from '../../src/channels/xml-api/xml-document';
import { xmlRequestHash } from '../../src/channels/xml-api/xml-hash';
import { INQUIRY_FUNCTION, REFUND_FUNCTION } from '../../src/channels/xml-api/xml-request';
import type { PaymentRow } from '../../src/db/database';
import { formatJstCompact } from '../../src/kernel/jst';
import { setApiPassword } from '../../src/merchants/api-password';
import { DIALECTS } from '../support/databases';
import {
  capturedPayment,
  eventually,
  type Stack,
  sandboxRefundTotal,
  startStack,
  TEST_HASH_KEY,
} from '../support/stack';

/**
 * ST02-00306-510 refunds through the XML API against the running gateway and the Alipay+ sandbox
 * (merchant-xml-api.md; payment-lifecycle.md, Refunds).
 */
const API_PASSWORD = 'kessai-test-api-password-0001';
const jst = (text: string) => new Date(`${text}+09:00`);

for (const dialect of DIALECTS) {
  describe(`XML API refunds (${dialect})`, () => {
    let stack: Stack;
    let endpoint: string;
    beforeAll(async () => {
      stack = await startStack(dialect);
      endpoint = `${stack.gatewayUrl}/api/xmlapi.do`;
      await setApiPassword(stack.database.db, '30000', '001', API_PASSWORD);
    });
    afterAll(async () => {
      await stack?.close();
    });

    const credentials = { user: '30000001', password: API_PASSWORD };
    const input = (payment: PaymentRow, overrides: Partial<XmlApiRequestInput> = {}): XmlApiRequestInput => ({
      merchantId: '30000',
      serviceId: '001',
      trackingId: payment.tracking_id,
      requestDate: formatJstCompact(stack.clock.now()),
      ...overrides,
    });

    async function send(bytes: Uint8Array) {
      const answer = await postXmlApi(endpoint, bytes, credentials);
      expect(answer.httpStatus).toBe(200);
      expect(answer.response.id).toBe(REFUND_FUNCTION);
      return answer.response.fields;
    }

    const refund = (payment: PaymentRow, overrides: Partial<XmlApiRequestInput> = {}) =>
      send(buildXmlApiRequest(REFUND_FUNCTION, input(payment, overrides), TEST_HASH_KEY));

    /** A hand-written request body, signed through the gateway's own reader. */
    function signed(xml: string): Buffer {
      const document = readXmlDocument(iconv.encode(xml, 'cp932'));
      if (!document.ok) throw new Error(document.refusal);
      return iconv.encode(
        xml.replace(
          '<sps_hashcode></sps_hashcode>',
          `<sps_hashcode>${xmlRequestHash(document.document, TEST_HASH_KEY)}</sps_hashcode>`,
        ),
        'cp932',
      );
    }

    async function inquiry(payment: PaymentRow) {
      // A request_date of its own: an inquiry's hash must never equal a refund's still to come.
      const requestDate = formatJstCompact(new Date(stack.clock.now().getTime() - 1000));
      const answer = await postXmlApi(
        endpoint,
        buildXmlApiRequest(
          INQUIRY_FUNCTION,
          input(payment, { requestDate, limitSecond: '60' }),
          TEST_HASH_KEY,
        ),
        credentials,
      );
      return answer.response;
    }

    const refundRows = (payment: PaymentRow) =>
      stack.database.db
        .selectFrom('refunds')
        .selectAll()
        .where('tracking_id', '=', payment.tracking_id)
        .orderBy('created_at')
        .execute();

    const statusOf = async (payment: PaymentRow) =>
      (await stack.payment({ orderId: payment.order_id })).status;

    it('refunds in full: OK, the whole amount, the payment REFUNDED', async () => {
      const payment = await capturedPayment(stack);
      const answer = await refund(payment);
      expect(answer).toEqual({
        res_result: 'OK',
        res_sps_transaction_id: expect.stringMatching(/^[A-Z0-9]{32}$/),
        res_process_date: expect.stringMatching(/^\d{14}$/),
        'res_pay_method_info/refund_amount': '1500',
        'res_pay_method_info/refunded_total': '1500',
        'res_pay_method_info/remaining_amount': '0',
        res_err_code: '',
        res_date: expect.stringMatching(/^\d{14}$/),
      });
      expect(await statusOf(payment)).toBe('REFUNDED');
      const rows = await refundRows(payment);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        refund_id: answer.res_sps_transaction_id,
        amount: 1500,
        status: 'SUCCEEDED',
        channel: 'XML_API',
        requested_by: 'xml-api:30000001',
      });

      const after = await inquiry(payment);
      expect(after.fields['res_pay_method_info/payment_status']).toBe('4');
      expect(after.fields['res_pay_method_info/refunded_amount']).toBe('1500');
      expect(after.refunds).toEqual([
        {
          res_sps_transaction_id: answer.res_sps_transaction_id,
          amount: '1500',
          status: 'SUCCEEDED',
          process_date: expect.stringMatching(/^\d{14}$/),
        },
      ]);
    });

    it('refunds partially, partially again, then the rest; then nothing is left (510K1008)', async () => {
      const payment = await capturedPayment(stack);
      const first = await refund(payment, { amount: '500' });
      expect(first).toMatchObject({
        res_result: 'OK',
        'res_pay_method_info/refund_amount': '500',
        'res_pay_method_info/refunded_total': '500',
        'res_pay_method_info/remaining_amount': '1000',
      });
      expect(await statusOf(payment)).toBe('PARTIALLY_REFUNDED');
      expect(await refund(payment, { amount: '1001' })).toMatchObject({
        res_result: 'NG',
        res_err_code: '510K1008',
      });
      const second = await refund(payment, { amount: '300' });
      expect(second['res_pay_method_info/remaining_amount']).toBe('700');
      // One request_date for `rest` and its replay, whichever second the clock turns meanwhile.
      const requestDate = formatJstCompact(stack.clock.now());
      const rest = await refund(payment, { requestDate });
      expect(rest).toMatchObject({
        res_result: 'OK',
        'res_pay_method_info/refund_amount': '700',
        'res_pay_method_info/refunded_total': '1500',
        'res_pay_method_info/remaining_amount': '0',
      });
      expect(await statusOf(payment)).toBe('REFUNDED');
      // The same full request again is a replay of `rest`; a new one (another request_date) finds nothing left.
      expect((await refund(payment, { requestDate })).res_sps_transaction_id).toBe(
        rest.res_sps_transaction_id,
      );
      stack.clock.advance(1000);
      try {
        expect(await refund(payment, { requestDate: formatJstCompact(stack.clock.now()) })).toMatchObject({
          res_result: 'NG',
          res_err_code: '510K1008',
        });
        expect(await refund(payment, { amount: '1' })).toMatchObject({ res_err_code: '510K1008' });
      } finally {
        stack.clock.set(0);
      }
      const answer = await inquiry(payment);
      expect(answer.fields['res_pay_method_info/payment_status']).toBe('4');
      expect(answer.refunds.map((r) => r.amount)).toEqual(['500', '300', '700']);
      expect(new Set(answer.refunds.map((r) => r.res_sps_transaction_id)).size).toBe(3);
    });

    it('reads an empty pay_option_manage block and an empty amount as a full refund', async () => {
      for (const block of [
        '<pay_option_manage></pay_option_manage>',
        '<pay_option_manage><amount/></pay_option_manage>',
      ]) {
        const payment = await capturedPayment(stack);
        const xml = `<?xml version="1.0" encoding="Shift_JIS"?>
<sps-api-request id="ST02-00306-510">
  <merchant_id>30000</merchant_id>
  <service_id>001</service_id>
  <sps_transaction_id></sps_transaction_id>
  <tracking_id>${payment.tracking_id}</tracking_id>
  <processing_datetime></processing_datetime>
  ${block}
  <request_date>${formatJstCompact(stack.clock.now())}</request_date>
  <limit_second></limit_second>
  <sps_hashcode></sps_hashcode>
</sps-api-request>`;
        const answer = await send(signed(xml));
        expect(answer).toMatchObject({ res_result: 'OK', 'res_pay_method_info/refund_amount': '1500' });
        expect(await statusOf(payment)).toBe('REFUNDED');
      }
    });

    it('refuses amounts of zero, negative, not digits and of 8 digits, and makes no refund', async () => {
      const payment = await capturedPayment(stack);
      const cases: Array<[string, string]> = [
        ['0', '51007008'],
        ['-100', '51006008'],
        ['1O0', '51006008'],
        ['12345678', '51005008'],
      ];
      for (const [amount, code] of cases) {
        expect(await refund(payment, { amount })).toMatchObject({ res_result: 'NG', res_err_code: code });
      }
      expect(await refundRows(payment)).toHaveLength(0);
      expect(await statusOf(payment)).toBe('CAPTURED');
    });

    it('answers an identical request again with the same refund, never a second one', async () => {
      const payment = await capturedPayment(stack);
      const requestDate = formatJstCompact(stack.clock.now());
      const first = await refund(payment, { amount: '400', requestDate });
      expect(first.res_result).toBe('OK');
      const again = await refund(payment, { amount: '400', requestDate });
      expect(again).toMatchObject({
        res_result: 'OK',
        res_sps_transaction_id: first.res_sps_transaction_id,
        'res_pay_method_info/refund_amount': '400',
        'res_pay_method_info/remaining_amount': '1100',
      });
      // Fields outside the replay key (limit_second, processing_datetime, sps_transaction_id) do not matter.
      const variant = await refund(payment, {
        amount: '0400',
        requestDate,
        limitSecond: '900',
        processingDatetime: requestDate,
        spsTransactionId: payment.transaction_id,
      });
      expect(variant.res_sps_transaction_id).toBe(first.res_sps_transaction_id);
      expect(await refundRows(payment)).toHaveLength(1);
    });

    it('audits each refund once, whatever the replays, and each refusal, like the console', async () => {
      const payment = await capturedPayment(stack);
      const requestDate = formatJstCompact(stack.clock.now());
      const first = await refund(payment, { amount: '400', requestDate });
      await refund(payment, { amount: '400', requestDate });
      const refused = await refund(payment, { amount: '5000' });
      expect(refused.res_result).toBe('NG');
      const rows = await stack.database.db
        .selectFrom('admin_audit')
        .selectAll()
        .where('target', '=', payment.tracking_id)
        .orderBy('id')
        .execute();
      expect(rows.map((r) => [r.action, r.actor_email, r.merchant_id, r.ip])).toEqual([
        ['refund', 'xml-api:30000001', '30000', '127.0.0.1'],
        ['refund.refused', 'xml-api:30000001', '30000', '127.0.0.1'],
      ]);
      expect(JSON.parse(rows[0]!.detail)).toEqual({
        channel: 'XML_API',
        kind: 'partial',
        refundId: first.res_sps_transaction_id,
        amount: 400,
        status: 'SUCCEEDED',
        resultCode: 'SUCCESS',
      });
      expect(JSON.parse(rows[1]!.detail)).toMatchObject({ code: 'REFUND_EXCEEDS_REMAINING', amount: 5000 });
    });

    it('answers the replay of a refund even after an inquiry with the same hash', async () => {
      const payment = await capturedPayment(stack);
      const fields = input(payment, { limitSecond: '300' });
      const first = await send(buildXmlApiRequest(REFUND_FUNCTION, fields, TEST_HASH_KEY));
      expect(first.res_result).toBe('OK');
      const asked = buildXmlApiRequest(INQUIRY_FUNCTION, fields, TEST_HASH_KEY);
      expect((await postXmlApi(endpoint, asked, credentials)).response.fields.res_result).toBe('OK');
      const again = await send(buildXmlApiRequest(REFUND_FUNCTION, fields, TEST_HASH_KEY));
      expect(again).toMatchObject({ res_result: 'OK', res_sps_transaction_id: first.res_sps_transaction_id });
    });

    it('makes one refund of identical requests sent at the same time', async () => {
      const payment = await capturedPayment(stack);
      const body = buildXmlApiRequest(REFUND_FUNCTION, input(payment, { amount: '250' }), TEST_HASH_KEY);
      const answers = await Promise.all(Array.from({ length: 6 }, () => send(body)));
      expect(new Set(answers.map((a) => a.res_sps_transaction_id)).size).toBe(1);
      // A replay that arrives while the first is still with Alipay+ answers its state then: AC.
      for (const answer of answers) expect(['OK', 'AC']).toContain(answer.res_result);
      // On PostgreSQL the burst can cost the first request's write of Alipay+'s answer (a lock
      // cycle broken by rolling it back): the refund stays PROCESSING until its re-send job.
      stack.clock.advance(31_000);
      stack.runtime.worker!.wake();
      await eventually(async () => (await refundRows(payment))[0]?.status === 'SUCCEEDED');
      expect((await send(body)).res_result).toBe('OK');
      expect(await refundRows(payment)).toHaveLength(1);
    });

    it('makes one full refund of identical full-refund requests sent at the same time', async () => {
      const payment = await capturedPayment(stack);
      const body = buildXmlApiRequest(REFUND_FUNCTION, input(payment), TEST_HASH_KEY);
      const answers = await Promise.all(Array.from({ length: 6 }, () => send(body)));
      expect(new Set(answers.map((a) => a.res_sps_transaction_id)).size).toBe(1);
      for (const answer of answers) expect(['OK', 'AC']).toContain(answer.res_result);
      expect(await refundRows(payment)).toHaveLength(1);
      expect(await sandboxRefundTotal(stack, payment)).toBe(1500);
    });

    it('makes two refunds of two different requests, even of the same amount', async () => {
      const payment = await capturedPayment(stack);
      const first = await refund(payment, { amount: '200' });
      const second = await refund(payment, { amount: '300' });
      stack.clock.advance(1000);
      try {
        const third = await refund(payment, { amount: '200' });
        expect(new Set([first, second, third].map((a) => a.res_sps_transaction_id)).size).toBe(3);
        expect(third['res_pay_method_info/remaining_amount']).toBe('800');
      } finally {
        stack.clock.set(0);
      }
      expect((await refundRows(payment)).map((r) => r.amount)).toEqual([200, 300, 200]);
    });

    it('stores processing_datetime as given and accepts the purchase’s sps_transaction_id', async () => {
      const payment = await capturedPayment(stack);
      const answer = await refund(payment, {
        amount: '100',
        processingDatetime: '20261127093000',
        spsTransactionId: payment.transaction_id,
      });
      expect(answer.res_result).toBe('OK');
      expect((await refundRows(payment))[0]?.processing_datetime).toBe('20261127093000');
    });

    it('answers AC while Alipay+ has not decided, then OK to the same request once it has (6001)', async () => {
      const payment = await capturedPayment(stack, { amount: '6001' });
      const requestDate = formatJstCompact(stack.clock.now());
      const pending = await refund(payment, { amount: '1000', requestDate });
      expect(pending).toMatchObject({
        res_result: 'AC',
        res_err_code: '',
        'res_pay_method_info/refund_amount': '1000',
        // The pending amount is reserved.
        'res_pay_method_info/refunded_total': '1000',
        'res_pay_method_info/remaining_amount': '5001',
      });
      const during = await inquiry(payment);
      expect(during.refunds).toMatchObject([{ status: 'PROCESSING', amount: '1000' }]);
      expect(during.fields['res_pay_method_info/refunded_amount']).toBe('0');
      expect(await refund(payment, { amount: '5002', limitSecond: '601' })).toMatchObject({
        res_err_code: '510K1008',
      });

      // The worker re-sends the same refund until Alipay+ answers S.
      stack.clock.advance(30_000);
      try {
        for (let i = 0; i < 4 && (await refundRows(payment))[0]?.status === 'PROCESSING'; i++) {
          stack.clock.advance(60_000);
          await stack.runtime.worker!.runDue();
        }
        await eventually(async () => (await refundRows(payment))[0]?.status === 'SUCCEEDED');
      } finally {
        stack.clock.set(0);
      }
      const settled = await refund(payment, { amount: '1000', requestDate });
      expect(settled).toMatchObject({
        res_result: 'OK',
        res_sps_transaction_id: pending.res_sps_transaction_id,
        'res_pay_method_info/refunded_total': '1000',
      });
      expect(await refundRows(payment)).toHaveLength(1);
      // Alipay+ holds exactly one refund of 1000 yen, whatever the re-sends.
      expect(await sandboxRefundTotal(stack, payment)).toBe(1000);
    });

    it('answers NG 510K2999 when Alipay+ refuses, the same for the same request, and releases the amount (6002)', async () => {
      const payment = await capturedPayment(stack, { amount: '6002' });
      const requestDate = formatJstCompact(stack.clock.now());
      const refused = await refund(payment, { amount: '2000', requestDate });
      expect(refused).toMatchObject({
        res_result: 'NG',
        res_sps_transaction_id: expect.stringMatching(/^[A-Z0-9]{32}$/),
        res_err_code: '510K2999',
        'res_pay_method_info/refunded_total': '0',
        'res_pay_method_info/remaining_amount': '6002',
      });
      const again = await refund(payment, { amount: '2000', requestDate });
      expect(again).toMatchObject({
        res_err_code: '510K2999',
        res_sps_transaction_id: refused.res_sps_transaction_id,
      });
      const rows = await refundRows(payment);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'FAILED', result_code: 'PROCESS_FAIL' });
      expect(await statusOf(payment)).toBe('CAPTURED');
    });

    it('refuses a refund after day 365 of the purchase (51031999)', async () => {
      const purchase = jst('2026-01-01T10:00:00');
      stack.clock.setNow(purchase);
      stack.sandboxClock.setNow(purchase);
      try {
        const payment = await capturedPayment(stack);
        stack.clock.freeze(jst('2026-12-31T23:59:59'));
        expect((await refund(payment, { amount: '100' })).res_result).toBe('OK');
        stack.clock.freeze(jst('2027-01-01T00:00:00'));
        expect(await refund(payment, { amount: '100' })).toMatchObject({
          res_result: 'NG',
          res_err_code: '51031999',
        });
      } finally {
        stack.clock.set(0);
        stack.sandboxClock.set(0);
      }
    });

    it('never refunds more than was captured under 20–50 concurrent partial refunds over HTTP', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 20, maxLength: 50 }),
          async (amounts) => {
            const payment = await capturedPayment(stack, { amount: '5000' });
            const now = stack.clock.now().getTime();
            // Each request has its own request_date, so none is a replay of another.
            const answers = await Promise.all(
              amounts.map((amount, i) =>
                refund(payment, {
                  amount: String(amount),
                  requestDate: formatJstCompact(new Date(now - i * 1000)),
                }),
              ),
            );
            let succeeded = 0;
            answers.forEach((fields, i) => {
              if (fields.res_result === 'OK') succeeded += amounts[i]!;
              else expect(fields).toMatchObject({ res_result: 'NG', res_err_code: '510K1008' });
            });
            const after = await stack.payment({ orderId: payment.order_id });
            expect(succeeded).toBeLessThanOrEqual(5000);
            expect(after.refunded_amount).toBe(succeeded);
            expect(after.refund_reserved_amount).toBe(0);
            expect(await sandboxRefundTotal(stack, payment)).toBe(succeeded);
          },
        ),
        { numRuns: 3 },
      );
    }, 120_000);
  });
}
