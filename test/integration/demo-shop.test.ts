import type { FastifyInstance } from 'fastify';
import iconv from 'iconv-lite';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DETAIL_FIELDS,
  PURCHASE_HEAD_FIELDS,
  PURCHASE_TAIL_FIELDS,
  RESULT_FIELDS,
} from '../../src/channels/link/link-fields';
import { encodeForm, type FormPairs } from '../../src/channels/link/link-form';
import { linkHash } from '../../src/channels/link/link-hash';
import { parseFormBody, resultHash } from '../../src/demo-shop/result-form';
import { buildShopApp } from '../../src/demo-shop/shop-app';
import type { Charset } from '../../src/kernel/charset';
import { OffsetClock } from '../../src/kernel/clock';
import { type MerchantStub, startMerchantStub } from '../support/merchant-stub';

const HASH_KEY = '0123456789abcdef0123456789abcdef01234567';
const PUBLIC_URL = 'http://localhost:8082';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function clockAt(iso: string): OffsetClock {
  const clock = new OffsetClock();
  clock.setNow(new Date(iso));
  return clock;
}

function shop(encoding: 'Shift_JIS' | 'UTF-8' = 'Shift_JIS'): Promise<FastifyInstance> {
  return buildShopApp({
    publicUrl: PUBLIC_URL,
    gatewayUrl: 'http://localhost:8080',
    merchantId: '30000',
    serviceId: '001',
    hashKey: HASH_KEY,
    encoding,
    clock: clockAt('2026-11-27T10:30:00+09:00'),
  });
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** What a browser reads from the checkout page: the form's action, charset and fields in order. */
function readCheckoutForm(html: string): { action: string; acceptCharset: string; pairs: FormPairs } {
  const form = /<form id="checkout" method="post" action="([^"]+)" accept-charset="([^"]+)"/.exec(html);
  if (!form) throw new Error('no checkout form');
  const pairs: FormPairs = [
    ...html.matchAll(/<input type="hidden" name="([^"]+)" value(?:="([^"]*)")?\/>/g),
  ].map((m) => [m[1]!, unescapeHtml(m[2] ?? '')]);
  return { action: form[1]!, acceptCharset: form[2]!, pairs };
}

async function checkout(app: FastifyInstance, body: string) {
  const response = await app.inject({ method: 'POST', url: '/checkout', headers: FORM, payload: body });
  const html = iconv.decode(response.rawPayload, 'cp932');
  return { response, html, ...readCheckoutForm(html) };
}

function corrupt(hash: string): string {
  return hash.slice(0, -1) + (hash.endsWith('0') ? '1' : '0');
}

/** An A02-1/A03-1 body as the gateway would post it, its hash optionally corrupted. */
function resultBody(
  fields: Record<string, string>,
  kind: 'A02-1' | 'A03-1',
  charset: Charset,
  tamper?: (hash: string) => string,
): string {
  const complete: Record<string, string> = {};
  for (const name of RESULT_FIELDS) complete[name] = fields[name] ?? '';
  const hash = resultHash(complete, HASH_KEY, kind, charset).toUpperCase();
  const pairs: FormPairs = RESULT_FIELDS.map((name) => [name, complete[name]!]);
  pairs.push(['sps_hashcode', tamper ? tamper(hash) : hash]);
  return encodeForm(pairs, charset);
}

function paidResult(orderId: string, amount = '1500'): Record<string, string> {
  return {
    merchant_id: '30000',
    service_id: '001',
    cust_code: 'DEMO-GUEST',
    order_id: orderId,
    item_id: 'MATCHA-SET',
    item_name: '抹茶セット',
    amount,
    pay_type: '0',
    service_type: '0',
    terminal_type: '0',
    free1: 'kessai-demo-shop',
    request_date: '20261127103000',
    res_pay_method: 'alipay',
    res_result: 'OK',
    res_tracking_id: '12345678901234',
    res_payment_date: '20261127103130',
    res_date: '20261127103131',
    limit_second: '600',
  };
}

describe('demo shop checkout', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await shop();
  });
  afterAll(() => app.close());

  it('shows the products, the custom amount and the sandbox magic amounts', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(response.body).toContain('抹茶セット');
    expect(response.body).toContain('¥1,500');
    expect(response.body).toContain('name="custom_amount"');
    for (const amount of ['4001', '5001', '5002', '5003', '5004', '5005', '6001', '6002']) {
      expect(response.body).toContain(`name="magic_amount" value="${amount}"`);
    }
  });

  it('renders a Shift_JIS page whose form carries the A01-1 fields in protocol order with a verifying hash', async () => {
    const { response, action, acceptCharset, pairs } = await checkout(app, 'product=MATCHA-SET');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=Shift_JIS');
    expect(response.rawPayload.includes(iconv.encode('抹茶セット', 'cp932'))).toBe(true);
    // The amount as on every other page, with the yen sign Shift_JIS has (full-width).
    expect(response.rawPayload.includes(iconv.encode('￥1,500', 'cp932'))).toBe(true);
    expect(action).toBe('http://localhost:8080/f01/FepBuyInfoReceive.do');
    expect(acceptCharset).toBe('Shift_JIS');

    expect(pairs.map(([name]) => name)).toEqual([
      ...PURCHASE_HEAD_FIELDS,
      ...DETAIL_FIELDS,
      ...PURCHASE_TAIL_FIELDS,
      'sps_hashcode',
      '_charset_',
    ]);
    const fields = Object.fromEntries(pairs);
    expect(fields).toMatchObject({
      pay_method: '',
      merchant_id: '30000',
      service_id: '001',
      item_name: '抹茶セット',
      amount: '1500',
      pay_type: '0',
      service_type: '0',
      terminal_type: '0',
      success_url: `${PUBLIC_URL}/success`,
      cancel_url: `${PUBLIC_URL}/cancel`,
      error_url: `${PUBLIC_URL}/error`,
      pagecon_url: `${PUBLIC_URL}/pagecon`,
      request_date: '20261127103000',
      limit_second: '600',
      dtl_rowno: '1',
      dtl_amount: '1500',
    });
    expect(fields.order_id).toMatch(/^DEMO-20261127-[0-9A-F]{12}$/);
    const hashed = pairs.filter(([name]) => name !== 'sps_hashcode' && name !== '_charset_');
    expect(fields.sps_hashcode).toBe(
      linkHash(
        hashed.map(([, value]) => value),
        HASH_KEY,
      ),
    );
  });

  it('makes the browser post the body in Shift_JIS, and the gateway reading it as Windows-31J gets a verifying hash', async () => {
    const { pairs } = await checkout(app, 'product=MATCHA-SET');
    // The browser fills `_charset_` with the encoding it used.
    const sent: FormPairs = pairs.map(([name, value]) => [name, name === '_charset_' ? 'Shift_JIS' : value]);
    const body = encodeForm(sent, 'windows-31j');
    expect(iconv.encode('抹茶セット', 'cp932').toString('hex')).toBe('96959283835a83628367');
    expect(body).toContain('item_name=%96%95%92%83%83Z%83b%83g');
    expect(body).toContain('_charset_=Shift_JIS');

    const received = parseFormBody(Buffer.from(body, 'ascii'), 'windows-31j');
    expect(received?.item_name).toBe('抹茶セット');
    const values = pairs
      .filter(([name]) => name !== 'sps_hashcode' && name !== '_charset_')
      .map(([name]) => received?.[name] ?? '');
    expect(linkHash(values, HASH_KEY)).toBe(received?.sps_hashcode);
  });

  it('gives every order its own id', async () => {
    const first = await checkout(app, 'product=MATCHA-SET');
    const second = await checkout(app, 'product=MATCHA-SET');
    expect(Object.fromEntries(first.pairs).order_id).not.toBe(Object.fromEntries(second.pairs).order_id);
  });

  it('sends pay_method=alipay when the shopper skips the selection screen', async () => {
    const { pairs } = await checkout(app, 'product=SENCHA-100G&skip_selection=1');
    expect(Object.fromEntries(pairs)).toMatchObject({ pay_method: 'alipay', amount: '800' });
  });

  it('charges a custom amount or a sandbox magic amount', async () => {
    const custom = Object.fromEntries((await checkout(app, 'product=CUSTOM&custom_amount=2750')).pairs);
    expect(custom).toMatchObject({ item_id: 'CUSTOM', item_name: 'お試し決済', amount: '2750' });
    const magic = Object.fromEntries(
      (await checkout(app, 'product=MATCHA-SET&custom_amount=&magic_amount=4001')).pairs,
    );
    expect(magic).toMatchObject({ item_id: 'CUSTOM', amount: '4001' });
  });

  it('refuses an amount out of range or an unknown product with a page, not an error', async () => {
    for (const body of [
      'product=CUSTOM&custom_amount=0',
      'product=CUSTOM&custom_amount=12345678',
      'product=NOPE',
    ]) {
      const response = await app.inject({ method: 'POST', url: '/checkout', headers: FORM, payload: body });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('role="alert"');
    }
  });

  it('posts in UTF-8 for a UTF-8 service', async () => {
    const utf8 = await shop('UTF-8');
    try {
      const response = await utf8.inject({
        method: 'POST',
        url: '/checkout',
        headers: FORM,
        payload: 'product=MATCHA-SET',
      });
      expect(response.headers['content-type']).toBe('text/html; charset=UTF-8');
      const { acceptCharset, pairs } = readCheckoutForm(response.body);
      expect(acceptCharset).toBe('UTF-8');
      expect(Object.fromEntries(pairs).item_name).toBe('抹茶セット');
    } finally {
      await utf8.close();
    }
  });

  it('answers the health check', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('demo shop result handling', () => {
  let app: FastifyInstance;
  let orderId: string;
  beforeEach(async () => {
    app = await shop();
    orderId = Object.fromEntries((await checkout(app, 'product=MATCHA-SET')).pairs).order_id!;
  });
  afterEach(() => app.close());

  const post = (url: string, payload: string) => app.inject({ method: 'POST', url, headers: FORM, payload });

  it('accepts a correctly hashed A02-1 with OK, and takes repeats as normal', async () => {
    const body = resultBody(paidResult(orderId), 'A02-1', 'windows-31j');
    expect(body).toContain('item_name=%96%95%92%83%83Z%83b%83g');
    expect((await post('/pagecon', body)).body).toBe('OK,');
    expect((await post('/pagecon', body)).body).toBe('OK,');
    const orders = await app.inject({ method: 'GET', url: '/orders' });
    expect(orders.body).toContain(orderId);
    expect(orders.body).toContain('支払い済み');
    expect(orders.body).toContain('12345678901234');
  });

  it('refuses an A02-1 with a bad hash, or hashed over Shift_JIS instead of UTF-8, with NG,', async () => {
    const tampered = resultBody(paidResult(orderId), 'A02-1', 'windows-31j', corrupt);
    expect((await post('/pagecon', tampered)).body).toBe('NG,hash mismatch');
    // Hashed as an A03-1 would be (over Windows-31J bytes): wrong for A02-1.
    const wrongBytes = resultBody(paidResult(orderId), 'A03-1', 'windows-31j');
    expect((await post('/pagecon', wrongBytes)).body).toBe('NG,hash mismatch');
    expect((await post('/pagecon', 'order_id=%ZZ')).body).toMatch(/^NG,/);
    const orders = await app.inject({ method: 'GET', url: '/orders' });
    expect(orders.body).toContain('結果待ち');
  });

  it('refuses an A02-1 whose amount differs from the order', async () => {
    const body = resultBody(paidResult(orderId, '1'), 'A02-1', 'windows-31j');
    expect((await post('/pagecon', body)).body).toBe('NG,amount mismatch');
  });

  it('shows on the success page whether the A02-1 notification has arrived', async () => {
    const browserResult = resultBody(paidResult(orderId), 'A03-1', 'windows-31j');
    const before = await post('/success', browserResult);
    expect(before.statusCode).toBe(200);
    expect(before.body).toContain('<span id="notification-status" class="wait">not received yet</span>');
    expect(before.body).toContain('<td id="hash-status" class="ok">verified</td>');

    expect((await post('/pagecon', resultBody(paidResult(orderId), 'A02-1', 'windows-31j'))).body).toBe(
      'OK,',
    );

    const after = await post('/success', browserResult);
    expect(after.body).toContain('<span id="notification-status" class="ok">received</span>');
    expect(after.body).toContain('<code id="notification-result">OK</code>');
    expect(after.body).toContain(orderId);
  });

  it('flags an A03-1 whose hash does not verify over the service encoding', async () => {
    const cancelled = {
      ...paidResult(orderId),
      res_result: 'CN',
      res_err_code: '6102',
      res_payment_date: '',
    };
    const valid = await post('/cancel', resultBody(cancelled, 'A03-1', 'windows-31j'));
    expect(valid.statusCode).toBe(200);
    expect(valid.body).toContain('お支払いはキャンセルされました');
    // A03-1 hashed over UTF-8 (the A02-1 rule) does not verify for a Shift_JIS service.
    const overUtf8 = await post('/error', resultBody(cancelled, 'A02-1', 'windows-31j'));
    expect(overUtf8.statusCode).toBe(400);
    expect(overUtf8.body).toContain('id="hash-status" class="bad"');
  });

  it('escapes what the result carries', async () => {
    const response = await post(
      '/success',
      resultBody({ ...paidResult(orderId), free2: '<b>x</b>' }, 'A03-1', 'windows-31j'),
    );
    expect(response.body).toContain('&lt;b>x&lt;/b>');
    expect(response.body).not.toContain('<b>x</b>');
  });

  it('lists the orders with the note that they live in memory', async () => {
    const response = await app.inject({ method: 'GET', url: '/orders' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`data-order-id="${orderId}"`);
    expect(response.body).toContain('memory');
    expect(response.body).toContain('class="refund-actions');
  });

  it('refuses a refund post without the orders page token, and says so when no API password is set', async () => {
    const body = resultBody(paidResult(orderId), 'A02-1', 'windows-31j');
    expect((await post('/pagecon', body)).body).toBe('OK,');
    const refused = await post(`/orders/${orderId}/refund`, 'amount=100');
    expect(refused.statusCode).toBe(403);
    const orders = await app.inject({ method: 'GET', url: '/orders' });
    expect(orders.body).toContain('XML API password not configured');
  });
});

describe('merchant stub', () => {
  let stub: MerchantStub;
  beforeEach(async () => {
    stub = await startMerchantStub({ hashKey: HASH_KEY });
  });
  afterEach(() => stub.close());

  const notify = (body: string, signal?: AbortSignal) =>
    fetch(`${stub.url}/pagecon`, { method: 'POST', headers: FORM, body, signal });

  it('answers /pagecon in each mode and records every notification', async () => {
    const body = resultBody(paidResult('ORDER-1'), 'A02-1', 'windows-31j');
    const expectations: Array<[Parameters<MerchantStub['setAnswer']>[0], number, RegExp]> = [
      ['ok', 200, /^OK,$/],
      ['ng', 200, /^NG,/],
      ['http500', 500, /.*/],
      ['garbage', 200, /^hello$/],
    ];
    for (const [mode, status, text] of expectations) {
      stub.setAnswer(mode);
      const response = await notify(body);
      expect(response.status, mode).toBe(status);
      expect(await response.text(), mode).toMatch(text);
    }
    stub.setAnswer('timeout');
    await expect(notify(body, AbortSignal.timeout(500))).rejects.toThrow();

    await stub.waitForNotifications(5, 1000);
    expect(stub.notifications).toHaveLength(5);
    for (const n of stub.notifications) {
      expect(n.hashValid).toBe(true);
      expect(n.fields.item_name).toBe('抹茶セット');
      expect(n.raw.toString('ascii')).toBe(body);
    }
  });

  it('records a bad hash as not valid', async () => {
    await notify(resultBody(paidResult('ORDER-2'), 'A02-1', 'windows-31j', corrupt));
    await notify('garbled=%');
    expect(stub.notifications.map((n) => n.hashValid)).toEqual([false, false]);
  });

  it('records A03-1 posts to the result pages, verified over the service encoding', async () => {
    const response = await fetch(`${stub.url}/success`, {
      method: 'POST',
      headers: FORM,
      body: resultBody(paidResult('ORDER-3'), 'A03-1', 'windows-31j'),
    });
    expect(response.status).toBe(200);
    expect(stub.resultPages).toHaveLength(1);
    expect(stub.resultPages[0]).toMatchObject({ path: 'success', hashValid: true });
    expect(stub.notifications).toHaveLength(0);
  });

  it('waits for notifications, and gives up after the timeout', async () => {
    const waiting = stub.waitForNotifications(1, 2000);
    await notify(resultBody(paidResult('ORDER-4'), 'A02-1', 'windows-31j'));
    await expect(waiting).resolves.toBeUndefined();
    await expect(stub.waitForNotifications(2, 50)).rejects.toThrow(/expected 2 notifications/);
  });

  it('verifies a UTF-8 service', async () => {
    const utf8 = await startMerchantStub({ hashKey: HASH_KEY, charset: 'utf-8' });
    try {
      await fetch(`${utf8.url}/pagecon`, {
        method: 'POST',
        headers: FORM,
        body: resultBody(paidResult('ORDER-5'), 'A02-1', 'utf-8'),
      });
      expect(utf8.notifications[0]).toMatchObject({ hashValid: true, fields: { item_name: '抹茶セット' } });
    } finally {
      await utf8.close();
    }
  });
});
