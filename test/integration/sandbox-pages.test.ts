import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PUBLIC_URL,
  payBody,
  type RunningSandbox,
  startAcqp,
  startSandbox,
  type TestAcqp,
} from '../support/sandbox-harness';

let sandbox: RunningSandbox;
let acqp: TestAcqp | undefined;

const PC =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const PHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

afterEach(async () => {
  await acqp?.close();
  acqp = undefined;
});

async function create(merchantId = '30000', overrides: Record<string, unknown> = {}, notifyUrl?: string) {
  const body = payBody(1500, overrides, notifyUrl);
  body.order.merchant.referenceMerchantId = merchantId;
  const created = await sandbox.call('pay', body);
  expect(created.body.result.resultCode).toBe('PAYMENT_IN_PROCESS');
  return { body, paymentId: created.body.paymentId as string, normalUrl: created.body.normalUrl as string };
}

function get(url: string, userAgent = PC) {
  return sandbox.app.inject({ method: 'GET', url, headers: { 'user-agent': userAgent } });
}

function post(url: string, form: Record<string, string>) {
  return sandbox.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': PC },
    payload: new URLSearchParams(form).toString(),
  });
}

function walletsIn(html: string, section: string): string[] {
  const start = html.indexOf(`id="wallets-${section}"`);
  if (start < 0) return [];
  const end = html.indexOf('</div></div>', start);
  return [...html.slice(start, end).matchAll(/data-wallet="([A-Z_]+)"/g)].map((m) => m[1] ?? '');
}

describe('sandbox cashier', () => {
  it('shows the merchant, the amount and every wallet grouped by procedure', async () => {
    const { paymentId, normalUrl } = await create();
    expect(normalUrl.startsWith(PUBLIC_URL)).toBe(true);
    const page = await get(new URL(normalUrl).pathname);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('Kessai デモショップ');
    expect(page.body).toContain('¥1,500');
    expect(walletsIn(page.body, 'qr')).toEqual([
      'ALIPAY_CN',
      'ALIPAY_HK',
      'TNG',
      'KAKAOPAY',
      'GCASH',
      'TRUEMONEY',
    ]);
    expect(walletsIn(page.body, 'login')).toEqual(['BOOST', 'DANA', 'BPI', 'RABBIT_LINE_PAY']);
    expect(page.body).toContain(`href="/sandbox/cashier/${paymentId}/GCASH"`);
    for (const label of [
      'English',
      '简体中文',
      '繁體中文',
      '한국어',
      'ไทย',
      'Bahasa Indonesia',
      'Bahasa Melayu',
      'Filipino',
    ]) {
      expect(page.body).toContain(label);
    }
  });

  it('offers only the wallets the merchant may use, and escapes the merchant name', async () => {
    await sandbox.control('PUT', '/sandbox/v1/merchants/M2/wallets', { wallets: ['DANA', 'TNG'] });
    const body = payBody(1500);
    body.order.merchant.referenceMerchantId = 'M2';
    body.order.merchant.merchantDisplayName = '<b>Shop</b>';
    const created = await sandbox.call('pay', body);
    const page = await get(`/sandbox/cashier/${created.body.paymentId}`);
    expect(walletsIn(page.body, 'qr')).toEqual(['TNG']);
    expect(walletsIn(page.body, 'login')).toEqual(['DANA']);
    expect(page.body).toContain('&lt;b>Shop&lt;/b>');
    expect(page.body).not.toContain('<b>Shop</b>');
    const refused = await get(`/sandbox/cashier/${created.body.paymentId}/GCASH`);
    expect(refused.statusCode).toBe(422);
  });

  it('switches language and keeps it along the flow', async () => {
    const { paymentId } = await create();
    const page = await get(`/sandbox/cashier/${paymentId}?lang=ko`);
    expect(page.body).toContain('<html lang="ko"');
    expect(page.body).toContain('지갑을 선택하세요');
    expect(page.body).toContain(`href="/sandbox/cashier/${paymentId}/GCASH?lang=ko"`);
    const unknown = await get(`/sandbox/cashier/${paymentId}?lang=xx`);
    expect(unknown.body).toContain('Choose your wallet');
  });

  it('goes straight to the wallet in tile mode', async () => {
    const { paymentId } = await create('30000', { paymentMethod: { paymentMethodType: 'DANA' } });
    const page = await get(`/sandbox/cashier/${paymentId}`);
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`/sandbox/cashier/${paymentId}/DANA`);
  });

  it('answers 404 for an unknown order', async () => {
    expect((await get('/sandbox/cashier/999')).statusCode).toBe(404);
  });
});

describe('sandbox QR wallets', () => {
  it('shows a PC a QR code of the wallet-app URL, the amount in PHP, a watcher and a link', async () => {
    const { paymentId } = await create();
    const page = await get(`/sandbox/cashier/${paymentId}/GCASH`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<img id="qr" src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    expect(page.body).toContain(`data-qr-content="${PUBLIC_URL}/sandbox/wallets/GCASH/app/${paymentId}"`);
    expect(page.body).toContain('PHP 580.65');
    expect(page.body).toContain(`/sandbox/cashier/${paymentId}/status`);
    expect(page.body).toContain(`id="open-wallet-app" href="/sandbox/wallets/GCASH/app/${paymentId}"`);
    const status = await get(`/sandbox/cashier/${paymentId}/status`);
    expect(status.json()).toEqual({ status: 'PROCESSING', redirectUrl: null });
  });

  it('sends a smartphone straight to the wallet-app simulator', async () => {
    const { paymentId } = await create();
    const page = await get(`/sandbox/cashier/${paymentId}/ALIPAY_HK`, PHONE);
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`/sandbox/wallets/ALIPAY_HK/app/${paymentId}`);
  });

  it('pays in the simulator, shows the result and sends the notification', async () => {
    acqp = await startAcqp();
    const { body, paymentId } = await create('30000', {}, acqp.notifyUrl);
    const app = await get(`/sandbox/wallets/GCASH/app/${paymentId}`);
    expect(app.body).toContain('<option value="alice" selected');
    expect(app.body).toMatch(/<button id="pay"[^>]*>Pay<\/button>/);
    expect(app.body).toMatch(/<button id="cancel"[^>]*>Cancel<\/button>/);
    const result = await post(`/sandbox/wallets/GCASH/app/${paymentId}`, { user: 'alice', action: 'pay' });
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('data-status="SUCCESS"');
    expect(result.body).toContain(`id="return" href="${body.paymentRedirectUrl}"`);
    expect(result.body).toContain(`content="3;url=${body.paymentRedirectUrl}"`);
    const [notification] = await acqp.waitFor(1);
    expect(notification?.body.paymentResult.resultStatus).toBe('S');
    const status = await get(`/sandbox/cashier/${paymentId}/status`);
    expect(status.json()).toEqual({ status: 'SUCCESS', redirectUrl: body.paymentRedirectUrl });
  });

  it('shows a refusal for a user without funds', async () => {
    const { paymentId } = await create();
    const result = await post(`/sandbox/wallets/TNG/app/${paymentId}`, { user: 'nofunds', action: 'pay' });
    expect(result.body).toContain('data-result-code="USER_BALANCE_NOT_ENOUGH"');
    expect(result.body).toContain('Insufficient balance.');
  });

  it('sends the shopper back on Cancel and leaves the order open', async () => {
    const { body, paymentId } = await create();
    const result = await post(`/sandbox/wallets/GCASH/app/${paymentId}`, { user: 'alice', action: 'cancel' });
    expect(result.statusCode).toBe(303);
    expect(result.headers.location).toBe(body.paymentRedirectUrl);
    const inquiry = await sandbox.call('inquiryPayment', { paymentId });
    expect(inquiry.body.paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');
  });
});

describe('sandbox account-login wallets', () => {
  it('signs in, confirms in IDR and pays', async () => {
    acqp = await startAcqp();
    const { body, paymentId } = await create('30000', {}, acqp.notifyUrl);
    const choose = await get(`/sandbox/cashier/${paymentId}/DANA`);
    expect(choose.statusCode).toBe(303);
    expect(choose.headers.location).toBe(`/sandbox/wallets/DANA/login/${paymentId}`);
    const login = await get(`/sandbox/wallets/DANA/login/${paymentId}`);
    expect(login.body).toContain('name="user"');
    expect(login.body).toContain('name="password"');

    const wrong = await post(`/sandbox/wallets/DANA/login/${paymentId}`, { user: 'alice', password: 'nope' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('id="login-error"');

    const signedIn = await post(`/sandbox/wallets/DANA/login/${paymentId}`, {
      user: 'alice',
      password: 'sandbox',
    });
    expect(signedIn.statusCode).toBe(303);
    const confirmUrl = String(signedIn.headers.location);
    expect(confirmUrl).toMatch(new RegExp(`^/sandbox/wallets/DANA/confirm/${paymentId}\\?session=`));
    const confirm = await get(confirmUrl);
    expect(confirm.body).toContain('IDR 162,060.00');
    const session = /name="session" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';

    const forged = await post(`/sandbox/wallets/DANA/confirm/${paymentId}`, {
      session: 'alice.forged',
      action: 'pay',
    });
    expect(forged.statusCode).toBe(303);
    expect(forged.headers.location).toBe(`/sandbox/wallets/DANA/login/${paymentId}`);

    const result = await post(`/sandbox/wallets/DANA/confirm/${paymentId}`, { session, action: 'pay' });
    expect(result.body).toContain('data-status="SUCCESS"');
    expect(result.body).toContain(body.paymentRedirectUrl);
    const [notification] = await acqp.waitFor(1);
    expect(notification?.body).toMatchObject({ walletBrandName: 'DANA', customerId: 'dana-alice' });
  });
});

describe('sandbox console', () => {
  it('lists orders, notifications and API calls, and expires an order from its button', async () => {
    const { paymentId } = await create();
    const page = await get('/sandbox');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`data-payment-id="${paymentId}"`);
    expect(page.body).toContain('id="api-calls"');
    expect(page.body).toContain(`action="/sandbox/v1/orders/${paymentId}/expire"`);
    const expired = await post(`/sandbox/v1/orders/${paymentId}/expire`, {});
    expect(expired.statusCode).toBe(303);
    expect(expired.headers.location).toBe('/sandbox');
    const after = await get('/sandbox');
    expect(after.body).toContain('CLOSED (expired)');
  });
});
