import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFY_PATH } from '../../src/alipayplus/notify.route';
import { JSON_CONTENT_TYPE, signMessage, verifyMessage } from '../../src/alipayplus/signing';
import { gatewayKeys } from '../../src/app/keys';
import type { PaymentRow } from '../../src/db/database';
import { formatJstIso } from '../../src/kernel/jst';
import { loadPrivateKey, loadPublicKey } from '../../src/kernel/rsa';
import { DIALECTS } from '../support/databases';
import {
  alipayMessages,
  demoReviewed,
  eventually,
  type Stack,
  simulatePay,
  startStack,
} from '../support/stack';
import { absoluteFormPost, type RawAnswer, rawRequest } from './robustness-http';

/**
 * `POST /alipayplus/notifyPayment` against what is not a notification from Alipay+ — missing or
 * malformed signatures, signed bodies of the wrong shape — and against real ones sent again, one
 * after another and all at once (alipayplus.md, notifyPayment). Alipay+'s side is played with the
 * sandbox's own key, and a real notification is captured on its way by a recording proxy.
 */
interface Recorded {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Stands at the gateway's public URL, forwards everything to the gateway and keeps what it passed on. */
async function startRecordingProxy() {
  const recorded: Recorded[] = [];
  let target = '';
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      recorded.push({ path: incoming.url ?? '', headers: incoming.headers, body });
      const upstream = new URL(incoming.url ?? '/', target);
      const forward = request(
        upstream,
        { method: incoming.method, headers: { ...incoming.headers, host: upstream.host }, agent: false },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.on('error', () => outgoing.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    recorded,
    forwardTo(url: string) {
      target = url;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const CLIENT_ID = 'SANDBOX_KESSAI';

for (const dialect of DIALECTS) {
  describe(`notifyPayment robustness (${dialect})`, () => {
    let stack: Stack;
    let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
    let alipayKey: KeyObject;
    let gatewayPublicKey: KeyObject;
    let endpoint: string;
    beforeAll(async () => {
      proxy = await startRecordingProxy();
      // The demo's registration is notified through the proxy too, once it forwards.
      stack = await startStack(dialect, {
        env: { KESSAI_GATEWAY_PUBLIC_URL: proxy.url },
        awaitReview: false,
      });
      proxy.forwardTo(stack.gatewayUrl);
      await demoReviewed(stack.database.db);
      endpoint = `${stack.gatewayUrl}${NOTIFY_PATH}`;
      const keys = join(stack.runtime.config.dataDir, 'keys');
      alipayKey = loadPrivateKey(readFileSync(join(keys, 'sandbox-private.pem'), 'utf8'));
      gatewayPublicKey = loadPublicKey(gatewayKeys(stack.runtime.config).publicKeyPem);
    });
    afterAll(async () => {
      await stack?.close();
      await proxy?.close();
    });

    /** Headers as Alipay+ signs a notification; `overrides` replace (or, with '', drop) any of them. */
    function alipayHeaders(body: Buffer, overrides: Record<string, string> = {}): Record<string, string> {
      const time = formatJstIso(stack.clock.now());
      const headers: Record<string, string> = {
        'Content-Type': JSON_CONTENT_TYPE,
        'Client-Id': CLIENT_ID,
        'Request-Time': time,
        Signature: signMessage(alipayKey, NOTIFY_PATH, CLIENT_ID, time, body),
        ...overrides,
      };
      return Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== ''));
    }

    const notify = (body: Buffer, headers: Record<string, string>) => rawRequest(endpoint, { headers, body });
    const signed = (body: Buffer | string) => {
      const bytes = Buffer.from(body);
      return notify(bytes, alipayHeaders(bytes));
    };

    /** The gateway's answer: always signed with its key, as Alipay+ verifies it. */
    function answerOf(answer: RawAnswer): { resultCode: string; resultStatus: string } {
      const headers = answer.headers;
      expect(headers['content-type']).toBe(JSON_CONTENT_TYPE);
      expect(
        verifyMessage(
          gatewayPublicKey,
          NOTIFY_PATH,
          String(headers['client-id']),
          String(headers['response-time']),
          answer.body,
          String(headers.signature),
        ),
      ).toBe(true);
      const { result } = JSON.parse(answer.text) as { result: { resultCode: string; resultStatus: string } };
      return { resultCode: result.resultCode, resultStatus: result.resultStatus };
    }

    async function inProgressPayment(amount = '1500'): Promise<PaymentRow> {
      const fields = stack.purchaseFields({ amount });
      expect((await stack.postPurchase(fields)).status).toBe(303);
      const payment = await stack.payment({ orderId: fields.order_id! });
      expect(payment.status).toBe('IN_PROGRESS');
      return payment;
    }

    const paidBody = (payment: PaymentRow, overrides: Record<string, unknown> = {}) =>
      Buffer.from(
        JSON.stringify({
          paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
          paymentRequestId: payment.payment_request_id,
          paymentId: payment.alipay_payment_id,
          acquirerId: '1022188000000000001',
          pspId: '1022170000000000000',
          walletBrandName: 'GCash',
          paymentAmount: { currency: 'JPY', value: String(payment.amount) },
          paymentTime: formatJstIso(stack.clock.now()),
          ...overrides,
        }),
      );

    const events = (payment: PaymentRow) =>
      stack.database.db
        .selectFrom('payment_events')
        .select(['from_status', 'to_status'])
        .where('tracking_id', '=', payment.tracking_id)
        .orderBy('id')
        .execute();

    async function expectUntouched(payment: PaymentRow) {
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('IN_PROGRESS');
      expect(await events(payment)).toEqual([{ from_status: 'REQUESTED', to_status: 'IN_PROGRESS' }]);
      expect(await alipayMessages(stack, payment.tracking_id, 'notifyPayment')).toEqual([]);
    }

    it('refuses unsigned and badly signed notifications with a signed 401 INVALID_SIGNATURE (F), changing nothing', async () => {
      const payment = await inProgressPayment();
      const body = paidBody(payment);
      const good = alipayHeaders(body);
      const goodSignature = good.Signature!;
      const encoded = goodSignature.split('signature=')[1]!;
      const time = formatJstIso(stack.clock.now());
      const forgedHeaders: Array<[string, Buffer, Record<string, string>]> = [
        [
          'only a Content-Type and our Client-Id',
          body,
          { 'Content-Type': JSON_CONTENT_TYPE, 'Client-Id': CLIENT_ID },
        ],
        ['no Signature', body, alipayHeaders(body, { Signature: '' })],
        ['no Request-Time', body, alipayHeaders(body, { 'Request-Time': '' })],
        ['an empty-looking Signature', body, alipayHeaders(body, { Signature: ' ' })],
        ['a Signature of junk', body, alipayHeaders(body, { Signature: 'garbage' })],
        ['only commas and equals', body, alipayHeaders(body, { Signature: ',=,==,' })],
        ['no signature part', body, alipayHeaders(body, { Signature: 'algorithm=RSA256,keyVersion=1' })],
        [
          'an empty signature part',
          body,
          alipayHeaders(body, { Signature: 'algorithm=RSA256,keyVersion=1,signature=' }),
        ],
        [
          'another algorithm',
          body,
          alipayHeaders(body, { Signature: goodSignature.replace('RSA256', 'RSA1') }),
        ],
        ['no algorithm', body, alipayHeaders(body, { Signature: `keyVersion=1,signature=${encoded}` })],
        [
          'a broken percent-escape',
          body,
          alipayHeaders(body, { Signature: 'algorithm=RSA256,keyVersion=1,signature=%ZZ' }),
        ],
        [
          'not base64',
          body,
          alipayHeaders(body, { Signature: 'algorithm=RSA256,keyVersion=1,signature=!!!!' }),
        ],
        ['a truncated signature', body, alipayHeaders(body, { Signature: goodSignature.slice(0, -12) })],
        [
          '8 KiB of base64',
          body,
          alipayHeaders(body, { Signature: `algorithm=RSA256,signature=${'A'.repeat(8192)}` }),
        ],
        ['a valid signature over other bytes', Buffer.concat([body, Buffer.from(' ')]), good],
        ['another Request-Time than was signed', body, { ...good, 'Request-Time': `${time}x` }],
        [
          'the gateway’s own signature (the wrong signer)',
          body,
          {
            ...good,
            Signature: signMessage(
              gatewayKeys(stack.runtime.config).privateKey,
              NOTIFY_PATH,
              CLIENT_ID,
              good['Request-Time']!,
              body,
            ),
          },
        ],
      ];
      for (const [name, bytes, headers] of forgedHeaders) {
        const answer = await notify(bytes, headers);
        expect({ name, status: answer.status }).toEqual({ name, status: 401 });
        expect(answerOf(answer)).toEqual({ resultCode: 'INVALID_SIGNATURE', resultStatus: 'F' });
      }
      await expectUntouched(payment);

      // The same body, signed properly, is taken: nothing above was refused for its content.
      expect(answerOf(await notify(body, good))).toEqual({ resultCode: 'SUCCESS', resultStatus: 'S' });
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('CAPTURED');
    });

    it('refuses a notification whose Client-Id is not ours with a signed 401 INVALID_CLIENT (F), changing nothing', async () => {
      const payment = await inProgressPayment();
      const body = paidBody(payment);
      for (const other of ['', 'SANDBOX_OTHER', `${CLIENT_ID}2`, CLIENT_ID.toLowerCase()]) {
        // Signed with Alipay+'s real key over the other Client-Id: only the Client-Id is wrong.
        const time = formatJstIso(stack.clock.now());
        const headers = alipayHeaders(body, {
          'Client-Id': other,
          Signature: signMessage(alipayKey, NOTIFY_PATH, other, time, body),
          'Request-Time': time,
        });
        const answer = await notify(body, headers);
        expect({ other, status: answer.status }).toEqual({ other, status: 401 });
        expect(answerOf(answer)).toEqual({ resultCode: 'INVALID_CLIENT', resultStatus: 'F' });
      }
      await expectUntouched(payment);
    });

    it('verifies a notification whose request-target is in absolute form over the path only', async () => {
      const payment = await inProgressPayment();
      const body = paidBody(payment);
      const answer = await absoluteFormPost(`${endpoint}?from=alipay`, alipayHeaders(body), body);
      expect(answer.status).toBe(200);
      expect(answerOf(answer)).toEqual({ resultCode: 'SUCCESS', resultStatus: 'S' });
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('CAPTURED');
      const origin = await signed(body);
      expect(answerOf(origin)).toEqual({ resultCode: 'SUCCESS', resultStatus: 'S' });
    });

    it('records the acquirer a paid notification names', async () => {
      const payment = await inProgressPayment();
      expect(answerOf(await signed(paidBody(payment)))).toEqual({ resultCode: 'SUCCESS', resultStatus: 'S' });
      expect(await stack.payment({ orderId: payment.order_id })).toMatchObject({
        status: 'CAPTURED',
        acquirer_id: '1022188000000000001',
      });
    });

    it('answers signed bodies that are not a notification with 400 PARAM_ILLEGAL (F), changing nothing', async () => {
      const payment = await inProgressPayment();
      const valid = JSON.parse(paidBody(payment).toString()) as Record<string, unknown>;
      const without = (name: string) => JSON.stringify({ ...valid, [name]: undefined });
      const bodies: Array<[string, string | Buffer]> = [
        ['an empty body', ''],
        ['a JSON array', '[]'],
        ['JSON null', 'null'],
        ['a JSON number', '42'],
        ['a JSON string', '"paymentRequestId"'],
        ['not JSON', 'paymentRequestId=1'],
        ['JSON after a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), paidBody(payment)])],
        ['30 000 nested arrays', `${'['.repeat(30_000)}${']'.repeat(30_000)}`],
        ['10 000 nested objects', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
        ['a numeric paymentRequestId', JSON.stringify({ ...valid, paymentRequestId: 123 })],
        ['a null paymentRequestId', JSON.stringify({ ...valid, paymentRequestId: null })],
        ['no paymentRequestId', without('paymentRequestId')],
        ['no paymentResult', without('paymentResult')],
        ['paymentResult as a string', JSON.stringify({ ...valid, paymentResult: 'S' })],
        [
          'an unknown resultStatus',
          JSON.stringify({ ...valid, paymentResult: { resultCode: 'SUCCESS', resultStatus: 'Y' } }),
        ],
        [
          'an empty resultCode',
          JSON.stringify({ ...valid, paymentResult: { resultCode: '', resultStatus: 'S' } }),
        ],
      ];
      for (const [name, body] of bodies) {
        const answer = await signed(body);
        expect({ name, status: answer.status }).toEqual({ name, status: 400 });
        expect(answerOf(answer)).toEqual({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
      }
      await expectUntouched(payment);
    });

    it('answers a notification for an unknown payment with ORDER_NOT_EXIST (F)', async () => {
      const payment = await inProgressPayment();
      const answer = await signed(paidBody(payment, { paymentRequestId: `${payment.payment_request_id}X` }));
      expect(answer.status).toBe(200);
      expect(answerOf(answer)).toEqual({ resultCode: 'ORDER_NOT_EXIST', resultStatus: 'F' });
      await expectUntouched(payment);
    });

    it('never captures a paid notification for another amount or currency', async () => {
      const payment = await inProgressPayment();
      for (const paymentAmount of [
        { currency: 'JPY', value: '1' },
        { currency: 'USD', value: '1500' },
        { currency: 'JPY', value: '1500.00' },
        null,
      ]) {
        const answer = await signed(paidBody(payment, { paymentAmount }));
        expect(answer.status).toBe(200);
        expect(answerOf(answer)).toEqual({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
      }
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('IN_PROGRESS');
      expect(await events(payment)).toHaveLength(1);
    });

    it('captures once, and tells the merchant once, of identical notifications arriving together', async () => {
      const payment = await inProgressPayment();
      const body = paidBody(payment);
      const headers = alipayHeaders(body);
      const answers = await Promise.all(Array.from({ length: 8 }, () => notify(body, headers)));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answerOf(answer)).toEqual({ resultCode: 'SUCCESS', resultStatus: 'S' });
      }
      expect(await events(payment)).toEqual([
        { from_status: 'REQUESTED', to_status: 'IN_PROGRESS' },
        { from_status: 'IN_PROGRESS', to_status: 'CAPTURED' },
      ]);
      const notices = await stack.database.db
        .selectFrom('notifications')
        .select('result')
        .where('tracking_id', '=', payment.tracking_id)
        .execute();
      expect(notices).toEqual([{ result: 'OK' }]);
    });

    it('answers a real notification sent again — its exact bytes and headers — with SUCCESS and no second effect', async () => {
      const fields = stack.purchaseFields();
      const started = await stack.postPurchase(fields);
      expect(started.status).toBe(303);
      expect((await simulatePay(stack, { cashierUrl: started.headers.get('location')! })).status).toBe(
        'SUCCESS',
      );
      const payment = await stack.payment({ orderId: fields.order_id! });
      const isOurs = (r: Recorded) =>
        r.path === NOTIFY_PATH && r.body.toString().includes(payment.payment_request_id!);
      await eventually(async () => proxy.recorded.some(isOurs));
      await eventually(
        async () => (await stack.payment({ orderId: payment.order_id })).status === 'CAPTURED',
      );
      const original = proxy.recorded.find(isOurs)!;
      const headers = Object.fromEntries(
        ['content-type', 'client-id', 'request-time', 'signature'].map((name) => [
          name,
          String(original.headers[name]),
        ]),
      );

      const replays = [await notify(original.body, headers), await notify(original.body, headers)];
      replays.push(...(await Promise.all(Array.from({ length: 5 }, () => notify(original.body, headers)))));
      for (const answer of replays) {
        expect(answer.status).toBe(200);
        expect(answerOf(answer)).toEqual({ resultCode: 'SUCCESS', resultStatus: 'S' });
      }
      // A contradicting notification after the capture is acknowledged and changes nothing either.
      const failed = JSON.stringify({
        ...(JSON.parse(original.body.toString()) as object),
        paymentResult: { resultCode: 'RISK_REJECT', resultStatus: 'F' },
      });
      expect(answerOf(await signed(failed))).toEqual({ resultCode: 'SUCCESS', resultStatus: 'S' });

      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('CAPTURED');
      expect(await events(payment)).toEqual([
        { from_status: 'REQUESTED', to_status: 'IN_PROGRESS' },
        { from_status: 'IN_PROGRESS', to_status: 'CAPTURED' },
      ]);
      const notices = await stack.database.db
        .selectFrom('notifications')
        .select('result')
        .where('tracking_id', '=', payment.tracking_id)
        .execute();
      expect(notices).toEqual([{ result: 'OK' }]);
    });

    it('answers JSON and text Content-Type variants in the protocol (4xx F or processed), never a 500', async () => {
      const payment = await inProgressPayment();
      for (const contentType of ['text/plain', 'text/plain; charset=UTF-8', 'application/json']) {
        const body = paidBody(payment, { paymentAmount: { currency: 'JPY', value: '1' } });
        const answer = await notify(body, alipayHeaders(body, { 'Content-Type': contentType }));
        expect(answer.status).toBeLessThan(500);
        expect(answerOf(answer).resultStatus).toBe('F');
      }
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('IN_PROGRESS');
    });

    it('records a signed "paid" for a FAILED payment, raises it and reverses it at Alipay+, never ignoring it', async () => {
      const fields = stack.purchaseFields();
      const response = await stack.postPurchase(fields);
      const refused = await simulatePay(stack, {
        cashierUrl: response.headers.get('location')!,
        user: 'nofunds',
      });
      expect(refused.status).toBe('FAIL');
      await eventually(async () => (await stack.payment({ orderId: fields.order_id! })).status === 'FAILED');
      const failed = await stack.payment({ orderId: fields.order_id! });
      for (let i = 0; i < 2; i++) {
        expect(answerOf(await signed(paidBody(failed)))).toEqual({
          resultCode: 'SUCCESS',
          resultStatus: 'S',
        });
      }
      const late = () =>
        stack.database.db
          .selectFrom('late_payments')
          .selectAll()
          .where('tracking_id', '=', failed.tracking_id)
          .execute();
      expect(await late()).toMatchObject([
        { amount_value: String(failed.amount), amount_currency: 'JPY', merchant_id: failed.merchant_id },
      ]);
      await eventually(async () => (await late())[0]?.status !== 'REVERSING');
      expect((await late())[0]).toMatchObject({ status: 'REVERSED' });
      expect(await alipayMessages(stack, failed.tracking_id, 'cancelPayment')).toHaveLength(1);
      // FAILED is final: the payment and what its merchant was told stay as they were.
      expect((await stack.payment({ orderId: failed.order_id })).status).toBe('FAILED');
      const told = stack.merchant.notifications.filter((n) => n.fields.order_id === failed.order_id);
      expect(told.map((n) => n.fields.res_result)).not.toContain('OK');
    });
  });
}
