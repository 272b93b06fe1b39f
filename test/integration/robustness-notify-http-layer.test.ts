import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFY_PATH } from '../../src/alipayplus/notify.route';
import { JSON_CONTENT_TYPE, signMessage } from '../../src/alipayplus/signing';
import type { PaymentRow } from '../../src/db/database';
import { formatJstIso } from '../../src/kernel/jst';
import { loadPrivateKey } from '../../src/kernel/rsa';
import { DIALECTS } from '../support/databases';
import { type Stack, startStack } from '../support/stack';
import { httpChunk, rawExchange, rawRequest } from './robustness-http';

/**
 * notifyPayment answers requests that are not notifications — no or another Content-Type, a body
 * over 64 KiB — with a final F (MEDIA_TYPE_NOT_ACCEPTABLE, PARAM_ILLEGAL), never a 500 U that would
 * invite re-sending; a value holding NUL is refused the same way on both databases (alipayplus.md).
 */
const CLIENT_ID = 'SANDBOX_KESSAI';

for (const dialect of DIALECTS) {
  describe(`notifyPayment at the HTTP layer (${dialect})`, () => {
    let stack: Stack;
    let alipayKey: KeyObject;
    let endpoint: string;
    beforeAll(async () => {
      stack = await startStack(dialect);
      endpoint = `${stack.gatewayUrl}${NOTIFY_PATH}`;
      alipayKey = loadPrivateKey(
        readFileSync(join(stack.runtime.config.dataDir, 'keys', 'sandbox-private.pem'), 'utf8'),
      );
    });
    afterAll(async () => {
      await stack?.close();
    });

    function signedHeaders(body: Buffer, contentType = JSON_CONTENT_TYPE): Record<string, string> {
      const time = formatJstIso(stack.clock.now());
      return {
        'Content-Type': contentType,
        'Client-Id': CLIENT_ID,
        'Request-Time': time,
        Signature: signMessage(alipayKey, NOTIFY_PATH, CLIENT_ID, time, body),
      };
    }

    const resultOf = (text: string) =>
      (JSON.parse(text.slice(text.indexOf('{'))) as { result: { resultCode: string; resultStatus: string } })
        .result;

    it.each([
      ['no Content-Type, unsigned', {}],
      ['application/x-www-form-urlencoded', { 'Content-Type': 'application/x-www-form-urlencoded' }],
      ['text/xml', { 'Content-Type': 'text/xml' }],
      ['multipart/form-data', { 'Content-Type': 'multipart/form-data; boundary=x' }],
      ['application/octet-stream', { 'Content-Type': 'application/octet-stream' }],
      ['an unparseable Content-Type', { 'Content-Type': '!!' }],
    ])('refuses a body sent as %s with a 4xx F answer, not 500 U', async (_, headers) => {
      const answer = await rawRequest(endpoint, { headers, body: '{"paymentRequestId":"x"}' });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(resultOf(answer.text).resultStatus).toBe('F');
    });

    it('refuses a signed notification sent as octet-stream with a 4xx F answer, not 500 U', async () => {
      const body = Buffer.from(
        '{"paymentRequestId":"x","paymentResult":{"resultCode":"SUCCESS","resultStatus":"S"}}',
      );
      const answer = await rawRequest(endpoint, {
        headers: signedHeaders(body, 'application/octet-stream'),
        body,
      });
      expect(answer.status).toBeLessThan(500);
      expect(resultOf(answer.text).resultStatus).toBe('F');
    });

    it('refuses a body over 64 KiB with 413 and an F answer, not 500 U (Content-Length and chunked)', async () => {
      const big = Buffer.from(JSON.stringify({ padding: 'x'.repeat(70_000) }));
      const sized = await rawRequest(endpoint, { headers: signedHeaders(big), body: big });
      expect(sized.status).toBe(413);
      expect(resultOf(sized.text).resultStatus).toBe('F');

      const head = [
        `POST ${NOTIFY_PATH} HTTP/1.1`,
        'Host: 127.0.0.1',
        `Content-Type: ${JSON_CONTENT_TYPE}`,
        'Transfer-Encoding: chunked',
        'Connection: close',
        '',
        '',
      ].join('\r\n');
      const chunked = await rawExchange(
        stack.gatewayUrl,
        `${head}${httpChunk('x'.repeat(40_000))}${httpChunk('x'.repeat(40_000))}0\r\n\r\n`,
      );
      expect(chunked.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
      expect(resultOf(chunked).resultStatus).toBe('F');
    });

    describe('a signed notification carrying NUL', () => {
      async function inProgressPayment(): Promise<PaymentRow> {
        const fields = stack.purchaseFields();
        expect((await stack.postPurchase(fields)).status).toBe(303);
        return stack.payment({ orderId: fields.order_id! });
      }

      const send = (notification: object) => {
        const body = Buffer.from(JSON.stringify(notification));
        return rawRequest(endpoint, { headers: signedHeaders(body), body });
      };

      it('answers an unknown paymentRequestId holding NUL with a final F, not 500 U', async () => {
        const answer = await send({
          paymentRequestId: 'KSP\u0000',
          paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S' },
        });
        expect(answer.status).toBeLessThan(500);
        expect(resultOf(answer.text).resultStatus).toBe('F');
      });

      it('settles a failure whose resultCode holds NUL (or refuses it as PARAM_ILLEGAL), not 500 U', async () => {
        const payment = await inProgressPayment();
        const answer = await send({
          paymentRequestId: payment.payment_request_id,
          paymentResult: { resultCode: 'RISK_REJECT\u0000', resultStatus: 'F' },
        });
        expect(answer.status).toBeLessThan(500);
        expect(['S', 'F']).toContain(resultOf(answer.text).resultStatus);
      });

      it('captures a payment whose settlement quote holds NUL (or refuses it as PARAM_ILLEGAL), not 500 U', async () => {
        const payment = await inProgressPayment();
        const answer = await send({
          paymentRequestId: payment.payment_request_id,
          paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S' },
          paymentAmount: { currency: 'JPY', value: String(payment.amount) },
          settlementQuote: { quoteCurrencyPair: 'JPY/\u0000', quotePrice: '1' },
        });
        expect(answer.status).toBeLessThan(500);
        expect(['S', 'F']).toContain(resultOf(answer.text).resultStatus);
      });
    });
  });
}
