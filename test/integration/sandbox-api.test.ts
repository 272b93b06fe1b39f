import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_CONTENT_TYPE, signMessage, verifyMessage } from '../../src/alipayplus/signing';
import { formatJstIso } from '../../src/kernel/jst';
import { generateRsaKeyPair, loadPrivateKey, loadPublicKey } from '../../src/kernel/rsa';
import {
  CLIENT_ID,
  PUBLIC_URL,
  payBody,
  type RunningSandbox,
  startSandbox,
  testKeys,
} from '../support/sandbox-harness';
import { absoluteFormPost } from './robustness-http';

let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

describe('sandbox API: signatures', () => {
  it('accepts a signed pay and signs its answer over the request path', async () => {
    const answer = await sandbox.call('pay', payBody(1500));
    expect(answer.status).toBe(200);
    expect(answer.verified).toBe(true);
    expect(answer.headers.get('client-id')).toBe(CLIENT_ID);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(answer.body.result).toEqual({
      resultCode: 'PAYMENT_IN_PROCESS',
      resultStatus: 'U',
      resultMessage: expect.any(String),
    });
    expect(answer.body.paymentId).toMatch(/^\d{28}$/);
    expect(answer.body.paymentAmount).toEqual({ currency: 'JPY', value: '1500' });
    expect(answer.body.normalUrl).toBe(`${PUBLIC_URL}/sandbox/cashier/${answer.body.paymentId}`);
  });

  it('refuses a request signed with another key with INVALID_SIGNATURE', async () => {
    const forged = generateRsaKeyPair();
    const answer = await sandbox.call('pay', payBody(1500), { privateKeyPem: forged.privateKeyPem });
    expect(answer.verified).toBe(true);
    expect(answer.body.result).toMatchObject({ resultCode: 'INVALID_SIGNATURE', resultStatus: 'F' });
  });

  it('refuses a body changed after signing', async () => {
    const body = payBody(1500);
    const tampered = JSON.stringify({ ...body, paymentAmount: { currency: 'JPY', value: '1' } });
    const answer = await sandbox.call('pay', body, { tamperedText: tampered });
    expect(answer.body.result.resultCode).toBe('INVALID_SIGNATURE');
  });

  it('refuses an unknown Client-Id with INVALID_CLIENT', async () => {
    const answer = await sandbox.call('inquiryPayment', { paymentRequestId: 'X' }, { clientId: 'NOBODY' });
    expect(answer.body.result).toMatchObject({ resultCode: 'INVALID_CLIENT', resultStatus: 'F' });
    expect(answer.verified).toBe(true);
  });
});

describe('sandbox API: request-target forms', () => {
  /** Signs over the path only and sends the request-target in absolute form, as the official SDK does. */
  async function absoluteCall(api: string, body: unknown) {
    const path = `/aps/api/v1/payments/${api}`;
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    const time = formatJstIso(new Date());
    const answer = await absoluteFormPost(
      `${sandbox.url}${path}?trace=1`,
      {
        'Content-Type': JSON_CONTENT_TYPE,
        'Client-Id': CLIENT_ID,
        'Request-Time': time,
        Signature: signMessage(loadPrivateKey(testKeys().acqp.privateKeyPem), path, CLIENT_ID, time, bytes),
      },
      bytes,
    );
    const verified = verifyMessage(
      loadPublicKey(testKeys().sandbox.publicKeyPem),
      path,
      String(answer.headers['client-id']),
      String(answer.headers['response-time']),
      answer.body,
      String(answer.headers.signature),
    );
    return { status: answer.status, verified, body: JSON.parse(answer.text) };
  }

  it('verifies and signs over the path only when the request-target is in absolute form', async () => {
    const pay = payBody(1500);
    const paid = await absoluteCall('pay', pay);
    expect(paid).toMatchObject({ status: 200, verified: true });
    expect(paid.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');
    const ref = { paymentRequestId: pay.paymentRequestId };
    const refund = { ...ref, refundRequestId: `R${pay.paymentRequestId}`, refundAmount: pay.paymentAmount };
    const answers = [];
    for (const [api, body] of [
      ['inquiryPayment', ref],
      ['consultPayment', { paymentAmount: pay.paymentAmount }],
      ['cancelPayment', ref],
      ['refund', refund],
    ] as const) {
      const answer = await absoluteCall(api, body);
      answers.push({ api, verified: answer.verified, code: answer.body.result.resultCode });
    }
    expect(answers).toEqual([
      { api: 'inquiryPayment', verified: true, code: 'SUCCESS' },
      { api: 'consultPayment', verified: true, code: 'SUCCESS' },
      { api: 'cancelPayment', verified: true, code: 'SUCCESS' },
      { api: 'refund', verified: true, code: expect.any(String) },
    ]);
    expect(answers[3]!.code).not.toBe('INVALID_SIGNATURE');
  });

  it('still verifies an origin-form request-target', async () => {
    const answer = await sandbox.call('inquiryPayment', { paymentRequestId: 'NONE' });
    expect(answer.verified).toBe(true);
    expect(answer.body.result.resultCode).toBe('ORDER_NOT_EXIST');
  });
});

describe('sandbox API: field rules', () => {
  it('takes merchantRegisterDate only as a date-time with its offset, as Alipay+ types it', async () => {
    for (const [value, code] of [
      ['2026-01-01', 'PARAM_ILLEGAL'],
      ['2026-01-01T00:00:00', 'PARAM_ILLEGAL'],
      ['2019-11-27T12:01:01+08:00', 'PAYMENT_IN_PROCESS'],
    ] as const) {
      const body = payBody(1500);
      body.order.merchant.merchantRegisterDate = value;
      const answer = await sandbox.call('pay', body);
      expect({ value, code: answer.body.result.resultCode }).toEqual({ value, code });
      if (code === 'PARAM_ILLEGAL') {
        expect(answer.body.result.resultMessage).toContain('order.merchant.merchantRegisterDate');
      }
    }
  });

  it('answers PARAM_ILLEGAL naming the field when a value is a JSON number', async () => {
    const body = payBody(1500);
    (body.paymentAmount as Record<string, unknown>).value = 1500;
    const answer = await sandbox.call('pay', body);
    expect(answer.body.result).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
    expect(answer.body.result.resultMessage).toBe('paymentAmount.value must be a JSON string, got number');
    const inList = await sandbox.call('pay', payBody(1500, { extra: [{ note: 'a' }, { note: '' }] }));
    expect(inList.body.result.resultMessage).toBe('extra[1].note must be omitted or null, not ""');
  });

  it('answers PARAM_ILLEGAL naming a missing required field', async () => {
    const body = payBody(1500);
    delete (body as Record<string, unknown>).paymentNotifyUrl;
    const answer = await sandbox.call('pay', body);
    expect(answer.body.result.resultCode).toBe('PARAM_ILLEGAL');
    expect(answer.body.result.resultMessage).toContain('paymentNotifyUrl');
  });

  it('answers PARAM_ILLEGAL for an empty string and for a nested missing field', async () => {
    const empty = await sandbox.call('pay', payBody(1500, { paymentExpiryTime: '' }));
    expect(empty.body.result.resultMessage).toContain('paymentExpiryTime');
    const body = payBody(1500);
    delete (body.order.merchant as Record<string, unknown>).referenceMerchantId;
    const nested = await sandbox.call('pay', body);
    expect(nested.body.result.resultMessage).toContain('order.merchant.referenceMerchantId');
  });

  it('refuses a non-JPY payment amount with CURRENCY_NOT_SUPPORT', async () => {
    const answer = await sandbox.call(
      'pay',
      payBody(1500, { paymentAmount: { currency: 'USD', value: '1500' } }),
    );
    expect(answer.body.result).toMatchObject({ resultCode: 'CURRENCY_NOT_SUPPORT', resultStatus: 'F' });
  });

  it('refuses a body over 64 KiB', async () => {
    const answer = await sandbox.call('pay', payBody(1500, { padding: 'x'.repeat(70_000) }));
    expect(answer.status).toBe(413);
    expect(answer.body.result.resultCode).toBe('PARAM_ILLEGAL');
  });

  it('answers INVALID_API for an unknown API', async () => {
    const answer = await sandbox.call('payLater', {});
    expect(answer.status).toBe(404);
    expect(answer.body.result.resultCode).toBe('INVALID_API');
  });
});

describe('sandbox API: pay', () => {
  it('returns the same order for the same request and REPEAT_REQ_INCONSISTENT for a changed one', async () => {
    const body = payBody(2000);
    const first = await sandbox.call('pay', body);
    const again = await sandbox.call('pay', body);
    expect(again.body.paymentId).toBe(first.body.paymentId);
    expect(again.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');
    const changed = await sandbox.call('pay', {
      ...body,
      paymentAmount: { currency: 'JPY', value: '2001' },
    });
    expect(changed.body.result).toMatchObject({ resultCode: 'REPEAT_REQ_INCONSISTENT', resultStatus: 'F' });
  });

  it('answers U/UNKNOWN_EXCEPTION once for 5001 and creates the order on the re-send', async () => {
    const body = payBody(5001);
    const first = await sandbox.call('pay', body);
    expect(first.body.result).toMatchObject({ resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U' });
    const inquiry = await sandbox.call('inquiryPayment', { paymentRequestId: body.paymentRequestId });
    expect(inquiry.body.result.resultCode).toBe('ORDER_NOT_EXIST');
    const second = await sandbox.call('pay', body);
    expect(second.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');
    expect(second.body.paymentId).toBeDefined();
  });

  it('holds the first answer for 5002 past the client timeout; the re-send finds the order', async () => {
    const body = payBody(5002);
    await expect(sandbox.call('pay', body, { timeoutMs: 1_000 })).rejects.toThrow();
    const second = await sandbox.call('pay', body, { timeoutMs: 2_000 });
    expect(second.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');
    const inquiry = await sandbox.call('inquiryPayment', { paymentRequestId: body.paymentRequestId });
    expect(inquiry.body.paymentId).toBe(second.body.paymentId);
  });

  it('caps the expiry at 10 minutes and honours a shorter one', async () => {
    const far = new Date(Date.now() + 60 * 60_000).toISOString();
    const capped = await sandbox.call('pay', payBody(1500, { paymentExpiryTime: far }));
    const cappedAt = Date.parse(capped.body.paymentExpiryTime);
    expect(cappedAt - Date.parse(capped.body.paymentCreateTime)).toBe(10 * 60_000);
    const soon = new Date(Math.floor(Date.now() / 1000) * 1000 + 3 * 60_000);
    const shorter = await sandbox.call('pay', payBody(1500, { paymentExpiryTime: soon.toISOString() }));
    expect(Date.parse(shorter.body.paymentExpiryTime)).toBe(soon.getTime());
  });

  it('gives a WEB payment a QR code form and a WAP payment app links', async () => {
    const web = await sandbox.call('pay', payBody(1500));
    expect(web.body.orderCodeForm.codeDetails[0]).toEqual({
      codeValueType: 'QRCODE',
      codeValue: `${PUBLIC_URL}/sandbox/wallets/app/${web.body.paymentId}`,
      displayType: 'TEXT',
    });
    const connect = payBody(1500);
    connect.order.env = { terminalType: 'WAP', osType: 'IOS', userAgent: 'Mobile', clientIp: '192.0.2.1' };
    const anyApp = await sandbox.call('pay', connect);
    expect(anyApp.body.applinkUrl).toBe(`${PUBLIC_URL}/sandbox/wallets/app/${anyApp.body.paymentId}`);
    const wapBody = payBody(1500, { paymentMethod: { paymentMethodType: 'GCASH' } });
    wapBody.order.env = {
      terminalType: 'WAP',
      osType: 'ANDROID',
      userAgent: 'Mobile',
      clientIp: '192.0.2.1',
    };
    const wap = await sandbox.call('pay', wapBody);
    expect(wap.body.applinkUrl).toBe(`${PUBLIC_URL}/sandbox/wallets/GCASH/app/${wap.body.paymentId}`);
    expect(wap.body.schemeUrl).toBeDefined();
    expect(wap.body.orderCodeForm).toBeUndefined();
  });

  it('refuses a wallet the merchant may not use with UNAVAILABLE_PAYMENT_METHOD, also on the re-send', async () => {
    const set = await sandbox.control('PUT', '/sandbox/v1/merchants/RESTRICTED/wallets', {
      wallets: ['GCASH'],
    });
    expect(set.status).toBe(200);
    const body = payBody(1500, { paymentMethod: { paymentMethodType: 'DANA' } });
    body.order.merchant.referenceMerchantId = 'RESTRICTED';
    const refused = await sandbox.call('pay', body);
    expect(refused.body.result).toMatchObject({
      resultCode: 'UNAVAILABLE_PAYMENT_METHOD',
      resultStatus: 'F',
    });
    await sandbox.control('PUT', '/sandbox/v1/merchants/RESTRICTED/wallets', { wallets: ['GCASH', 'DANA'] });
    const again = await sandbox.call('pay', body);
    expect(again.body.result.resultCode).toBe('UNAVAILABLE_PAYMENT_METHOD');
  });

  it('refuses a simulated payment with a wallet the merchant may not use with 422', async () => {
    await sandbox.control('PUT', '/sandbox/v1/merchants/ONLYGCASH/wallets', { wallets: ['GCASH'] });
    const body = payBody(1500);
    body.order.merchant.referenceMerchantId = 'ONLYGCASH';
    const created = await sandbox.call('pay', body);
    const refused = await sandbox.control('POST', '/sandbox/v1/simulate/pay', {
      paymentId: created.body.paymentId,
      wallet: 'DANA',
      user: 'alice',
      action: 'pay',
    });
    expect(refused.status).toBe(422);
    const unknown = await sandbox.control('POST', '/sandbox/v1/simulate/pay', {
      paymentId: '123',
      wallet: 'GCASH',
      user: 'alice',
      action: 'pay',
    });
    expect(unknown.status).toBe(404);
  });
});

describe('sandbox API: consultPayment', () => {
  it('lists the ten wallets, enabled as the merchant may use them', async () => {
    await sandbox.control('PUT', '/sandbox/v1/merchants/CONSULT/wallets', { wallets: ['TNG', 'BOOST'] });
    const answer = await sandbox.call('consultPayment', {
      paymentAmount: { currency: 'JPY', value: '1000' },
      merchant: { referenceMerchantId: 'CONSULT' },
    });
    expect(answer.body.result.resultCode).toBe('SUCCESS');
    expect(answer.body.paymentOptions).toHaveLength(10);
    const enabled = answer.body.paymentOptions
      .filter((o: { enabled: string }) => o.enabled === 'true')
      .map((o: { paymentMethodType: string }) => o.paymentMethodType);
    expect(enabled).toEqual(['TNG', 'BOOST']);
  });
});

describe('sandbox control API', () => {
  it('validates bodies with a 400 naming the problem', async () => {
    const bad = await sandbox.control('POST', '/sandbox/v1/faults', { api: 'pay', mode: 'explode' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('mode');
    const clock = await sandbox.control('POST', '/sandbox/v1/clock', { offsetMs: 'soon' });
    expect(clock.status).toBe(400);
    const client = await sandbox.control('PUT', '/sandbox/v1/clients/NEW', { publicKey: 'not a key' });
    expect(client.status).toBe(400);
  });

  it('publishes its public key and registers clients', async () => {
    const response = await fetch(`${sandbox.url}/sandbox/v1/public-key`);
    expect(await response.text()).toContain('BEGIN PUBLIC KEY');
    const extra = generateRsaKeyPair();
    const put = await sandbox.control('PUT', '/sandbox/v1/clients/SECOND', { publicKey: extra.publicKeyPem });
    expect(put.status).toBe(200);
    const answer = await sandbox.call(
      'inquiryPayment',
      { paymentRequestId: 'NONE' },
      { clientId: 'SECOND', privateKeyPem: extra.privateKeyPem },
    );
    expect(answer.body.result.resultCode).toBe('ORDER_NOT_EXIST');
  });

  it('injects faults: unknown, http500, badSignature', async () => {
    await sandbox.control('POST', '/sandbox/v1/faults', { api: 'inquiryPayment', mode: 'unknown' });
    const unknown = await sandbox.call('inquiryPayment', { paymentRequestId: 'F1' });
    expect(unknown.body.result.resultCode).toBe('UNKNOWN_EXCEPTION');
    const after = await sandbox.call('inquiryPayment', { paymentRequestId: 'F1' });
    expect(after.body.result.resultCode).toBe('ORDER_NOT_EXIST');

    await sandbox.control('POST', '/sandbox/v1/faults', { api: 'inquiryPayment', mode: 'http500', count: 2 });
    expect((await sandbox.call('inquiryPayment', { paymentRequestId: 'F1' })).status).toBe(500);
    expect((await sandbox.call('inquiryPayment', { paymentRequestId: 'F1' })).status).toBe(500);

    await sandbox.control('POST', '/sandbox/v1/faults', { api: 'pay', mode: 'badSignature' });
    const bad = await sandbox.call('pay', payBody(1500));
    expect(bad.verified).toBe(false);
    expect(bad.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');

    await sandbox.control('POST', '/sandbox/v1/faults', { api: 'pay', mode: 'drop' });
    await expect(sandbox.call('pay', payBody(1500))).rejects.toThrow();
    const cleared = await sandbox.control('DELETE', '/sandbox/v1/faults');
    expect(cleared.status).toBe(204);
  });

  it('injects faults: delay answers late, timeout processes the request but never answers', async () => {
    await sandbox.control('POST', '/sandbox/v1/faults', { api: 'pay', mode: 'delay', delayMs: 300 });
    const started = Date.now();
    const late = await sandbox.call('pay', payBody(1500));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(late.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');

    await sandbox.control('POST', '/sandbox/v1/faults', { api: 'pay', mode: 'timeout', delayMs: 200 });
    const body = payBody(1500);
    await expect(sandbox.call('pay', body)).rejects.toThrow();
    const inquiry = await sandbox.call('inquiryPayment', { paymentRequestId: body.paymentRequestId });
    expect(inquiry.body.paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');
  });

  it('refuses a fault mode that does not apply to its target', async () => {
    const refused = await sandbox.control('POST', '/sandbox/v1/faults', { api: 'notify', mode: 'http500' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('mode');
  });

  it('answers /healthz', async () => {
    const response = await fetch(`${sandbox.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});
