import { describe, expect, it } from 'vitest';
import {
  type DetailRow,
  encodeForm,
  type FormPairs,
  signedPurchaseForm,
} from '../../src/channels/link/link-form';
import {
  checkPurchaseRequest,
  type ExistingOrder,
  LINK_ERROR_CODES,
  MAX_PURCHASE_BODY_BYTES,
  type PurchaseCheck,
  type PurchaseCheckDeps,
  resumableToken,
  type ServiceForCheck,
} from '../../src/channels/link/purchase-request';
import type { Charset } from '../../src/kernel/charset';
import { SPEC_HASH_KEY, SPEC_PURCHASE_FIELDS } from '../support/spec-vectors';

const HASH_KEY = SPEC_HASH_KEY;
const VECTOR: Record<string, string> = { ...SPEC_PURCHASE_FIELDS };
// 2026-11-27 10:30:00 JST, the vector's request_date.
const REQUESTED_AT = new Date('2026-11-27T01:30:00Z');
const PC_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const DOCOMO_UA = 'DoCoMo/2.0 P07A3(c500;TB;W24H15)';

const SERVICE: ServiceForCheck = {
  merchantId: '30000',
  serviceId: '001',
  hashKey: HASH_KEY,
  encoding: 'Shift_JIS',
  urlHosts: ['localhost', '127.0.0.1'],
  active: true,
  maintenance: false,
  merchantSuspended: false,
  merchantDisplayName: 'Kessai デモショップ',
};

interface Setup {
  service?: Partial<ServiceForCheck> | null;
  now?: Date;
  mode?: 'demo' | 'production';
  gatewayMaintenance?: boolean;
  purchaseBlocked?: boolean;
  usedOrderIds?: string[];
  /** What DNS answers for every name (default: loopback). */
  resolvesTo?: string;
  findOrder?: PurchaseCheckDeps['findOrder'];
  /** What the governance rules answer (default: nothing stops the purchase). */
  governance?: '5111' | '5112' | null;
}

function depsFor(setup: Setup = {}): PurchaseCheckDeps {
  return {
    now: setup.now ?? new Date(REQUESTED_AT.getTime() + 5_000),
    mode: setup.mode ?? 'demo',
    resolve: async () => [{ address: setup.resolvesTo ?? '127.0.0.1', family: 4 }],
    findService: async (merchantId, serviceId) =>
      setup.service === null || merchantId !== SERVICE.merchantId || serviceId !== SERVICE.serviceId
        ? null
        : { ...SERVICE, ...setup.service },
    maintenanceFor: async () => (setup.gatewayMaintenance ? { endsAt: null } : null),
    isPurchaseBlocked: async () => setup.purchaseBlocked ?? false,
    findOrder:
      setup.findOrder ??
      (async (_m, _s, orderId) =>
        (setup.usedOrderIds ?? []).includes(orderId)
          ? { token: 'T'.repeat(32), status: 'CAPTURED', fields: {}, details: [] }
          : null),
  };
}

interface Post {
  fields?: Record<string, string>;
  details?: DetailRow[];
  /** Sign with this key instead of the service's. */
  hashKey?: string;
  charset?: Charset;
  contentType?: string;
  userAgent?: string;
  /** Changes the pairs after signing (to tamper, add or drop fields). */
  edit?: (pairs: FormPairs) => FormPairs;
}

function bodyOf(post: Post = {}): Buffer {
  let pairs = signedPurchaseForm({ ...VECTOR, ...post.fields }, post.hashKey ?? HASH_KEY, post.details);
  if (post.edit) pairs = post.edit(pairs);
  return Buffer.from(encodeForm(pairs, post.charset ?? 'windows-31j'), 'ascii');
}

function check(post: Post = {}, setup: Setup = {}, body = bodyOf(post)): Promise<PurchaseCheck> {
  return checkPurchaseRequest(
    {
      body,
      contentType: post.contentType ?? 'application/x-www-form-urlencoded',
      userAgent: post.userAgent ?? PC_UA,
      clientIp: '203.0.113.9',
    },
    depsFor(setup),
  );
}

async function accepted(post: Post = {}, setup: Setup = {}) {
  const result = await check(post, setup);
  if (!result.ok) throw new Error(`refused ${result.code} ${result.field}`);
  return result.request;
}

async function refusal(post: Post = {}, setup: Setup = {}, body?: Buffer) {
  const result = await check(post, setup, body);
  if (result.ok) throw new Error('accepted');
  return {
    code: result.code,
    field: result.field,
    httpStatus: result.httpStatus,
    authenticated: result.authenticated,
  };
}

const replace =
  (name: string, value: string) =>
  (pairs: FormPairs): FormPairs =>
    pairs.map(([n, v]) => [n, n === name ? value : v]);

describe('A01-1 purchase request: the spec test vector', () => {
  it('is signed with the hash the spec gives', () => {
    const pairs = signedPurchaseForm(VECTOR, HASH_KEY);
    expect(pairs.at(-1)).toEqual(['sps_hashcode', '2c58b0307325f8efc21a9c7725624631dd448dcd']);
  });

  it('verifies when posted in Shift_JIS', async () => {
    const body = bodyOf();
    expect(body.toString('ascii')).toContain('item_name=%96%95%92%83%83Z%83b%83g');
    const request = await accepted();
    expect(request.charset).toBe('windows-31j');
    expect(request.fields.item_name).toBe('抹茶セット');
    expect(request.fields.order_id).toBe('ORDER-20261127-0001');
    expect(request.amount).toBe(1500);
    expect(request.limitSecond).toBe(600);
    expect(request.directToAlipay).toBe(true);
    expect(request.device).toBe('PC');
    expect(request.osType).toBeNull();
    expect(request.details).toEqual([]);
  });

  it('verifies when posted in UTF-8 with _charset_=UTF-8', async () => {
    const request = await accepted({ charset: 'utf-8', edit: (p) => [['_charset_', 'UTF-8'], ...p] });
    expect(request.charset).toBe('utf-8');
    expect(request.fields.item_name).toBe('抹茶セット');
  });

  it('verifies when posted in UTF-8 with a Content-Type naming charset=UTF-8', async () => {
    const request = await accepted({
      charset: 'utf-8',
      contentType: 'application/x-www-form-urlencoded; charset="utf-8"',
    });
    expect(request.charset).toBe('utf-8');
  });

  it('reads UTF-8 by default for a service configured for UTF-8', async () => {
    const request = await accepted({ charset: 'utf-8' }, { service: { encoding: 'UTF-8' } });
    expect(request.charset).toBe('utf-8');
    expect(request.fields.item_name).toBe('抹茶セット');
  });

  it('reads an undeclared UTF-8 body on a Shift_JIS service as Windows-31J (and refuses what it cannot read)', async () => {
    expect(await refusal({ charset: 'utf-8' })).toMatchObject({ code: '5103', field: 'item_name' });
  });

  it('counts absent fields as empty (clients that leave empty fields out)', async () => {
    const request = await accepted({ edit: (pairs) => pairs.filter(([, value]) => value !== '') });
    expect(request.fields.sps_cust_no).toBe('');
    expect(request.fields.free_csv).toBe('');
  });

  it('reads the fields in protocol order whatever order the body has', async () => {
    await accepted({ edit: (pairs) => [...pairs].reverse() });
  });

  it('classifies the device from the User-Agent, not from terminal_type', async () => {
    const request = await accepted({ userAgent: IPHONE_UA });
    expect(request.device).toBe('SMARTPHONE');
    expect(request.osType).toBe('IOS');
    expect(request.fields.terminal_type).toBe('0');
  });

  it('sends an empty pay_method or a list with alipay to the selection screen', async () => {
    expect((await accepted({ fields: { pay_method: '' } })).directToAlipay).toBe(false);
    expect((await accepted({ fields: { pay_method: 'credit,alipay' } })).directToAlipay).toBe(false);
  });

  it('keeps detail rows in order, lining up rows whose empty fields were left out', async () => {
    const details: DetailRow[] = [
      { dtl_rowno: '1', dtl_item_id: 'A-1', dtl_item_name: '抹茶', dtl_item_count: '2', dtl_amount: '1000' },
      { dtl_rowno: '2', dtl_item_id: 'B-2', dtl_item_name: '羊羹', dtl_item_count: '1', dtl_amount: '500' },
    ];
    const request = await accepted({ details, edit: (pairs) => pairs.filter(([, value]) => value !== '') });
    expect(request.details).toHaveLength(2);
    expect(request.details[1]).toMatchObject({
      dtl_rowno: '2',
      dtl_item_name: '羊羹',
      dtl_tax: '',
      dtl_free3: '',
    });
  });
});

describe('A01-1 trimming and the Shift_JIS mappings', () => {
  it('trims ASCII whitespace around values, as the hash does', async () => {
    const request = await accepted({ edit: replace('cust_code', ' \tCUST-0001\r\n') });
    expect(request.fields.cust_code).toBe('CUST-0001');
  });

  it('keeps the ideographic space U+3000 (ASCII-only trim)', async () => {
    const request = await accepted({ fields: { item_name: '\u3000抹茶' } });
    expect(request.fields.item_name).toBe('\u3000抹茶');
    // Signed as if U+3000 were trimmed (String.prototype.trim): the gateway must not agree.
    const trimmedHash = signedPurchaseForm({ ...VECTOR, item_name: '抹茶' }, HASH_KEY).at(-1)![1];
    const result = await refusal({
      fields: { item_name: '\u3000抹茶' },
      edit: replace('sps_hashcode', trimmedHash),
    });
    expect(result.code).toBe('5105');
  });

  it('verifies a 〜 hashed the strict Shift_JIS way (U+301C) and keeps that mapping', async () => {
    const request = await accepted({ fields: { item_name: '波〜' }, charset: 'shift_jis-strict' });
    expect(request.charset).toBe('shift_jis-strict');
    expect(request.fields.item_name).toBe('波\u301C');
  });

  it('verifies the same bytes hashed the Windows-31J way (U+FF5E) with Windows-31J', async () => {
    const request = await accepted({ fields: { item_name: '波～' } });
    expect(request.charset).toBe('windows-31j');
    expect(request.fields.item_name).toBe('波\uFF5E');
  });
});

describe('A01-1 check 1: size and decoding (5103)', () => {
  it('answers 413 with 5103 for a body of 64 KiB + 1 byte', async () => {
    const body = bodyOf();
    const padding = `&pad=${'a'.repeat(MAX_PURCHASE_BODY_BYTES - body.length - 5)}`;
    const exact = Buffer.concat([body, Buffer.from(padding, 'ascii')]);
    expect(exact.length).toBe(MAX_PURCHASE_BODY_BYTES);
    expect((await check({}, {}, exact)).ok).toBe(true);
    const over = Buffer.concat([exact, Buffer.from('a')]);
    expect(await refusal({}, {}, over)).toEqual({
      code: '5103',
      field: null,
      httpStatus: 413,
      authenticated: false,
    });
  });

  it('refuses a malformed percent-escape', async () => {
    const body = Buffer.concat([bodyOf(), Buffer.from('&free1=%G1', 'ascii')]);
    expect(await refusal({}, {}, body)).toMatchObject({ code: '5103', field: null, httpStatus: 400 });
  });

  it('refuses bytes that are not valid in the charset, naming the field', async () => {
    const body = Buffer.from(
      encodeForm(signedPurchaseForm(VECTOR, HASH_KEY), 'utf-8').replace('item_name=', 'item_name=%FF'),
    );
    const utf8 = await check({ contentType: 'application/x-www-form-urlencoded;charset=UTF-8' }, {}, body);
    expect(utf8).toMatchObject({ ok: false, code: '5103', field: 'item_name' });
    const sjis = Buffer.from(bodyOf().toString('ascii').replace('item_name=', 'item_name=%85%40'));
    expect(await refusal({}, {}, sjis)).toMatchObject({ code: '5103', field: 'item_name' });
  });

  it('refuses a repeated field, naming it', async () => {
    const result = await refusal({ edit: (pairs) => [...pairs, ['amount', '1']] });
    expect(result).toMatchObject({ code: '5103', field: 'amount' });
  });
});

describe('A01-1 check 2: required (5101), length (5102), format (5103)', () => {
  it.each([
    'merchant_id',
    'service_id',
    'cust_code',
    'order_id',
    'item_id',
    'amount',
    'success_url',
    'pagecon_url',
    'request_date',
    'sps_hashcode',
  ])('refuses a request without %s with 5101', async (name) => {
    const result = await refusal({ edit: (pairs) => pairs.filter(([n]) => n !== name) });
    expect(result).toMatchObject({ code: '5101', field: name, httpStatus: 400, authenticated: false });
  });

  it('counts a value of only ASCII spaces as missing', async () => {
    expect(await refusal({ fields: { cust_code: '   ' } })).toMatchObject({
      code: '5101',
      field: 'cust_code',
    });
  });

  it.each([
    ['order_id', 'O'.repeat(39)],
    ['cust_code', 'C'.repeat(65)],
    ['item_name', '抹'.repeat(41)],
    ['free1', 'あ'.repeat(21)],
    ['free_csv', 'k'.repeat(2001)],
    ['amount', '10000000'],
    ['merchant_id', '300000'],
    ['success_url', `http://localhost/${'p'.repeat(484)}`],
    ['limit_second', '10000'],
  ])('refuses %s too long with 5102', async (name, value) => {
    expect(await refusal({ fields: { [name]: value } })).toMatchObject({ code: '5102', field: name });
  });

  it('counts M lengths in characters, not bytes', async () => {
    const request = await accepted(
      { fields: { item_name: '抹'.repeat(40), free3: '😀'.repeat(20) }, charset: 'utf-8' },
      { service: { encoding: 'UTF-8' } },
    );
    expect(request.fields.item_name).toBe('抹'.repeat(40));
  });

  it.each([
    ['merchant_id', '3000'],
    ['service_id', 'A01'],
    ['amount', '0'],
    ['amount', '1,500'],
    ['amount', '0500'],
    ['tax', '-1'],
    ['tax', '00'],
    ['cust_code', 'CUST\u00a00001'],
    ['order_id', 'ORDER\t1'],
    ['item_name', 'bell\u0007'],
    ['item_name', 'evil\u202egpj.exe'],
    ['terminal_type', '3'],
    ['pay_type', 'x'],
    ['success_url', 'not a url'],
    ['request_date', '20260230103000'],
    ['request_date', '2026112710300'],
    ['limit_second', '6O0'],
  ])('refuses %s = %j with 5103', async (name, value) => {
    const result = await refusal({
      fields: { [name]: value },
      charset: 'utf-8',
      contentType: 'text/x;charset=utf-8',
    });
    expect(result).toMatchObject({ code: '5103', field: name });
  });

  it('refuses the digit shift that keeps the hash (item_name "…1" + amount "0500") by the leading zero', async () => {
    // tax is empty and the values are joined without a separator: both forms hash alike.
    const shifted = { item_name: 'Test item1', tax: '', amount: '0500' };
    expect(await refusal({ fields: shifted })).toMatchObject({ code: '5103', field: 'amount' });
    expect((await accepted({ fields: { ...shifted, amount: '500' } })).amount).toBe(500);
  });

  it('refuses an sps_hashcode that is not 40 hex characters', async () => {
    const result = await refusal({ edit: replace('sps_hashcode', 'z'.repeat(40)) });
    expect(result).toMatchObject({ code: '5103', field: 'sps_hashcode' });
  });

  it('refuses a detail row field of the wrong format', async () => {
    const result = await refusal({ details: [{ dtl_rowno: '1', dtl_item_count: 'two' }] });
    expect(result).toMatchObject({ code: '5103', field: 'dtl_item_count' });
  });

  it('refuses Thai text on a Shift_JIS service with 5103 naming the field', async () => {
    const post: Post = {
      fields: { free2: 'ชาเขียว' },
      charset: 'utf-8',
      edit: (p) => [['_charset_', 'UTF-8'], ...p],
    };
    expect(await refusal(post)).toMatchObject({ code: '5103', field: 'free2' });
    const onUtf8Service = await accepted(post, { service: { encoding: 'UTF-8' } });
    expect(onUtf8Service.fields.free2).toBe('ชาเขียว');
  });

  it('checks every field for presence before any length, and lengths before formats', async () => {
    const post: Post = {
      fields: { amount: 'abc', order_id: 'O'.repeat(39) },
      edit: (p) => p.filter(([n]) => n !== 'sps_hashcode'),
    };
    expect((await refusal(post)).code).toBe('5101');
    expect((await refusal({ fields: { amount: 'abc', order_id: 'O'.repeat(39) } })).code).toBe('5102');
  });
});

describe('A01-1 checks 3–10', () => {
  it('refuses an unknown service with 5108 (404)', async () => {
    expect(await refusal({}, { service: null })).toMatchObject({
      code: '5108',
      httpStatus: 404,
      authenticated: false,
    });
    expect((await refusal({ fields: { service_id: '002' } })).code).toBe('5108');
  });

  it('refuses an inactive service with 5108', async () => {
    expect((await refusal({}, { service: { active: false } })).code).toBe('5108');
  });

  it('refuses a wrong hash with 5105 (403), unauthenticated', async () => {
    expect(await refusal({ hashKey: 'another-key-entirely-0000000000000000000' })).toEqual({
      code: '5105',
      field: 'sps_hashcode',
      httpStatus: 403,
      authenticated: false,
    });
    expect((await refusal({ edit: replace('amount', '1') })).code).toBe('5105');
  });

  it('compares the hash case-insensitively', async () => {
    await accepted({ edit: (p) => p.map(([n, v]) => [n, n === 'sps_hashcode' ? v.toUpperCase() : v]) });
  });

  it('refuses a request_date older than limit_second with 5106, authenticated', async () => {
    const late = { now: new Date(REQUESTED_AT.getTime() + 600_001) };
    expect(await refusal({}, late)).toEqual({
      code: '5106',
      field: 'request_date',
      httpStatus: 403,
      authenticated: true,
    });
    await accepted({}, { now: new Date(REQUESTED_AT.getTime() + 600_000) });
    expect(
      (await refusal({ fields: { limit_second: '60' } }, { now: new Date(REQUESTED_AT.getTime() + 61_000) }))
        .code,
    ).toBe('5106');
    expect(
      (await accepted({ fields: { limit_second: '' } }, { now: new Date(REQUESTED_AT.getTime() + 599_000) }))
        .limitSecond,
    ).toBe(600);
  });

  it('refuses a request_date more than 600 s in the future with 5106', async () => {
    expect((await refusal({}, { now: new Date(REQUESTED_AT.getTime() - 600_001) })).code).toBe('5106');
    await accepted({}, { now: new Date(REQUESTED_AT.getTime() - 600_000) });
  });

  it('refuses a pay_method list without alipay with 5109', async () => {
    expect(await refusal({ fields: { pay_method: 'credit,webcvs' } })).toMatchObject({
      code: '5109',
      field: 'pay_method',
    });
    expect((await refusal({ fields: { pay_method: 'Alipay' } })).code).toBe('5109');
  });

  it.each([
    ['pay_type', '1'],
    ['pay_type', ''],
    ['service_type', '1'],
    ['sps_cust_no', '123'],
    ['sps_payment_no', '001'],
    ['auto_charge_type', '1'],
    ['div_settele', '0'],
    ['last_charge_month', '202612'],
    ['camp_type', '1'],
    ['tracking_id', '12345678901234'],
  ])('refuses %s = %j with 5104', async (name, value) => {
    expect(await refusal({ fields: { [name]: value } })).toMatchObject({
      code: '5104',
      field: name,
      httpStatus: 400,
    });
  });

  it('refuses a URL that is not http(s) with 5113', async () => {
    const result = await refusal({ fields: { cancel_url: 'ftp://localhost/cancel' } });
    expect(result).toEqual({ code: '5113', field: 'cancel_url', httpStatus: 403, authenticated: true });
    expect((await refusal({ fields: { error_url: 'javascript:alert(1)' } })).field).toBe('error_url');
  });

  it('refuses an unregistered host with 5113, ignoring ports', async () => {
    expect(await refusal({ fields: { pagecon_url: 'https://evil.example/p' } })).toMatchObject({
      code: '5113',
      field: 'pagecon_url',
    });
    await accepted({ fields: { success_url: 'https://127.0.0.1:9443/ok' } });
  });

  it('admits wildcard entries for sub-domains', async () => {
    const service = { urlHosts: ['*.shop.example'] };
    const fields = {
      success_url: 'https://www.shop.example/s',
      cancel_url: 'https://www.shop.example/c',
      error_url: 'https://www.shop.example/e',
      pagecon_url: 'https://api.shop.example/p',
    };
    await accepted({ fields }, { service });
    expect(
      (await refusal({ fields: { ...fields, pagecon_url: 'https://shop.example.evil/p' } }, { service }))
        .code,
    ).toBe('5113');
  });

  it('admits internal callback hosts in production only through an exact entry', async () => {
    const fields = {
      success_url: 'https://www.shop.example/s',
      cancel_url: 'https://www.shop.example/c',
      error_url: 'https://www.shop.example/e',
      pagecon_url: 'http://hooks.localhost/p',
    };
    const wildcard = { urlHosts: ['www.shop.example', '*.localhost'] };
    await accepted({ fields }, { service: wildcard, mode: 'demo' });
    expect(await refusal({ fields }, { service: wildcard, mode: 'production' })).toMatchObject({
      code: '5113',
      field: 'pagecon_url',
    });
    await accepted(
      { fields },
      { service: { urlHosts: ['www.shop.example', 'hooks.localhost'] }, mode: 'production' },
    );
    await accepted({}, { mode: 'production' }); // localhost registered explicitly
  });

  it('refuses in production, with 5113, a pagecon_url whose registered name resolves to an internal address', async () => {
    const hosts = { urlHosts: ['www.shop.example', 'hooks.shop.example'] };
    const fields = {
      success_url: 'https://www.shop.example/s',
      cancel_url: 'https://www.shop.example/c',
      error_url: 'https://www.shop.example/e',
      pagecon_url: 'https://hooks.shop.example/p',
    };
    expect(await refusal({ fields }, { service: hosts, mode: 'production' })).toEqual({
      code: '5113',
      field: 'pagecon_url',
      httpStatus: 403,
      authenticated: true,
    });
    await accepted({ fields }, { service: hosts, mode: 'production', resolvesTo: '203.0.113.7' });
    await accepted({ fields }, { service: hosts, mode: 'demo' });
  });

  it('refuses a feature phone with 5110, whatever terminal_type says', async () => {
    expect(await refusal({ userAgent: DOCOMO_UA })).toEqual({
      code: '5110',
      field: null,
      httpStatus: 403,
      authenticated: true,
    });
    expect(
      (
        await refusal({
          userAgent: 'KDDI-KC3Z UP.Browser/6.2_7.2.7.1.K.8.400 (GUI) MMP/2.0',
          fields: { terminal_type: '1' },
        })
      ).code,
    ).toBe('5110');
  });

  it('refuses terminal_type 2 with 5110', async () => {
    expect(await refusal({ fields: { terminal_type: '2' } })).toMatchObject({
      code: '5110',
      field: 'terminal_type',
    });
  });

  it('refuses during gateway or service maintenance with 5112 (503)', async () => {
    expect(await refusal({}, { gatewayMaintenance: true })).toMatchObject({ code: '5112', httpStatus: 503 });
    expect((await refusal({}, { service: { maintenance: true } })).code).toBe('5112');
  });

  it('refuses a suspended merchant with 5111', async () => {
    expect(await refusal({}, { service: { merchantSuspended: true } })).toMatchObject({
      code: '5111',
      httpStatus: 403,
    });
  });

  it('refuses with 5111 what governance blocks (no approved sub-brand, a KYC suspension, a prohibited category)', async () => {
    expect(await refusal({}, { purchaseBlocked: true })).toMatchObject({ code: '5111', httpStatus: 403 });
  });

  it('refuses an order_id already used with 5107 (409)', async () => {
    expect(await refusal({}, { usedOrderIds: ['ORDER-20261127-0001'] })).toEqual({
      code: '5107',
      field: 'order_id',
      httpStatus: 409,
      authenticated: true,
    });
  });

  it('reports what it could read of a refused request', async () => {
    const result = await check({ hashKey: 'wrong-key-000000000000000000000000000000' });
    expect(result).toMatchObject({
      ok: false,
      partial: { merchantId: '30000', serviceId: '001', orderId: 'ORDER-20261127-0001' },
    });
  });
});

describe('A01-1 check order: the first failure decides', () => {
  const badUrl = { pagecon_url: 'https://evil.example/p' };
  const cases: Array<[string, Post, Setup, string]> = [
    [
      'a missing field before an unknown service',
      { edit: (p) => p.filter(([n]) => n !== 'cust_code') },
      { service: null },
      '5101',
    ],
    ['unknown service before a bad hash', { hashKey: 'x'.repeat(40) }, { service: null }, '5108'],
    ['a bad hash before a bad URL', { hashKey: 'x'.repeat(40), fields: badUrl }, {}, '5105'],
    [
      'a bad hash before an expired request',
      { hashKey: 'x'.repeat(40) },
      { now: new Date(2030, 0, 1) },
      '5105',
    ],
    [
      'an expired request before pay_method',
      { fields: { pay_method: 'credit' } },
      { now: new Date(2030, 0, 1) },
      '5106',
    ],
    ['pay_method before pay_type', { fields: { pay_method: 'credit', pay_type: '1' } }, {}, '5109'],
    ['a value rule before a bad URL', { fields: { ...badUrl, tracking_id: '1' } }, {}, '5104'],
    ['a bad URL before the device', { fields: badUrl, userAgent: DOCOMO_UA }, {}, '5113'],
    ['the device before maintenance', { userAgent: DOCOMO_UA }, { gatewayMaintenance: true }, '5110'],
    [
      'maintenance before suspension',
      {},
      { service: { maintenance: true, merchantSuspended: true } },
      '5112',
    ],
    [
      'suspension before a used order id',
      {},
      { service: { merchantSuspended: true }, usedOrderIds: ['ORDER-20261127-0001'] },
      '5111',
    ],
  ];
  it.each(cases)('%s', async (_name, post, setup, code) => {
    expect((await refusal(post, setup)).code).toBe(code);
  });

  it('knows every code it produces', async () => {
    for (const code of [
      '5101',
      '5102',
      '5103',
      '5104',
      '5105',
      '5106',
      '5107',
      '5108',
      '5109',
      '5110',
      '5111',
      '5112',
      '5113',
    ]) {
      expect(LINK_ERROR_CODES).toHaveProperty(code);
    }
  });
});

describe('A01-1 check 10: resuming an open payment on an identical re-post', () => {
  const token = 'R'.repeat(32);
  async function existingFrom(post: Post, status: string): Promise<ExistingOrder> {
    const request = await accepted(post);
    return { token, status, fields: request.fields, details: request.details };
  }
  const details = [{ dtl_rowno: '1', dtl_item_id: 'A', dtl_item_count: '1', dtl_amount: '1500' }];

  it.each(['REQUESTED', 'IN_PROGRESS'])('offers a %s payment to the very same request', async (status) => {
    const existing = await existingFrom({ details }, status);
    const result = await check({ details }, { findOrder: async () => existing });
    expect(result).toMatchObject({ ok: false, code: '5107', resumeToken: token });
  });

  it.each(['CAPTURED', 'FAILED', 'CANCELED', 'EXPIRED'])(
    'refuses with 5107 once the payment is %s',
    async (status) => {
      const existing = await existingFrom({}, status);
      const result = await check({}, { findOrder: async () => existing });
      expect(result).toMatchObject({ ok: false, code: '5107' });
      expect(result).not.toHaveProperty('resumeToken');
    },
  );

  it('refuses with 5107 a request that differs in a field or a detail row', async () => {
    const existing = await existingFrom({ details }, 'REQUESTED');
    const request = await accepted({ details: [{ ...details[0], dtl_amount: '1400' }] });
    expect(resumableToken(existing, request.fields, request.details)).toBeNull();
    const other = await accepted({ fields: { free1: 'x' }, details });
    expect(resumableToken(existing, other.fields, other.details)).toBeNull();
    const same = await accepted({ details });
    expect(resumableToken(existing, same.fields, same.details)).toBe(token);
  });
});
