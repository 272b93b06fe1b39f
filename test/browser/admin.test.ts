import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentRow } from '../../src/db/database';
import {
  buyCaptured,
  paymentRow,
  seedConsole,
  TEST_PASSWORD,
  type TestUsers,
} from '../integration/admin-client';
import { launchBrowser, screenshot, signInToConsole } from '../support/browser';
import { type Stack, startStack } from '../support/stack';

/**
 * The payment management tool in a real browser (admin.md, Quality bar): sign-in, search by order
 * id, the billing screen, a partial then a full refund with their confirmations, the buttons gone
 * and the reason shown, CSV downloads, the language switch, another merchant's payment (404) and a
 * form without its CSRF token (refused). Screenshots of the main screens are kept.
 */
describe('payment management tool in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let users: TestUsers;
  let payment: PaymentRow;

  beforeAll(async () => {
    stack = await startStack('sqlite');
    users = await seedConsole(stack.database.db, 'browser');
    // A month of history so that the dashboard's chart has something to show.
    const day = 86_400_000;
    const history = Array.from({ length: 240 }, (_, i) =>
      paymentRow({
        received_at: Date.now() - (i % 30) * day - 3_600_000,
        amount: 800 + ((i * 137) % 9000),
        wallet: ['ALIPAY_CN', 'GCASH', 'KAKAOPAY', 'TRUEMONEY', 'DANA'][Math.floor(i / 30) % 5]!,
        cust_code: `C${1000 + (i % 40)}`,
      }),
    );
    await stack.database.db.insertInto('payments').values(history).execute();
    const { addRollups } = await import('../../src/reporting/rollup.repository');
    const { jstDate } = await import('../../src/kernel/jst');
    await addRollups(
      stack.database.db,
      history.flatMap((p) => [
        {
          merchantId: '30000',
          serviceId: '001',
          day: jstDate(new Date(p.received_at)),
          subBrand: '',
          status: 'IN_PROGRESS' as const,
          count: 1,
          amount: p.amount,
        },
        {
          merchantId: '30000',
          serviceId: '001',
          day: jstDate(new Date(p.paid_at!)),
          subBrand: p.wallet!,
          status: 'CAPTURED' as const,
          count: 1,
          amount: p.amount,
        },
      ]),
    );
    payment = await buyCaptured(stack, { order_id: `BROWSER-${Date.now()}`, amount: '1500' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const signIn = (page: Page, email: string) =>
    signInToConsole(page, stack.gatewayUrl, { email, password: TEST_PASSWORD }, '/admin');

  it('signs in, searches by order id, refunds in part and then in full, and downloads the CSV', async () => {
    const context = await browser.newContext({
      locale: 'ja-JP',
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${stack.gatewayUrl}/admin/login`);
    await screenshot(page, 'admin-01-login');
    await signIn(page, users.admin);
    await expect(page.locator('h1').textContent()).resolves.toBe('ダッシュボード');
    await expect(page.locator('svg.chart rect').count()).resolves.toBeGreaterThan(20);
    await screenshot(page, 'admin-02-dashboard');

    await page.click('nav a:has-text("伝票検索")');
    await page.fill('#f-order_id', payment.order_id);
    await page.click('form.filters button[type=submit]');
    await page.waitForSelector('#payments');
    await expect(page.locator('#payments tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('#payments tbody').textContent()).resolves.toContain('¥1,500');
    await screenshot(page, 'admin-03-search');

    const [utf8] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("UTF-8")')]);
    const utf8Bytes = readFileSync((await utf8.path())!);
    expect([...utf8Bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(utf8Bytes.toString('utf8')).toContain(`${payment.tracking_id},${payment.order_id}`);
    const [sjis] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Shift_JIS")')]);
    const sjisText = iconv.decode(readFileSync((await sjis.path())!), 'cp932');
    expect(sjisText).toContain('売上済');
    expect(sjisText).toContain(payment.tracking_id);

    await page.click(`#payments a:has-text("${payment.tracking_id}")`);
    await page.waitForURL(`${stack.gatewayUrl}/admin/payments/${payment.tracking_id}`);
    await expect(page.locator('h1').textContent()).resolves.toContain('請求情報');
    await screenshot(page, 'admin-04-billing');

    // Partial refund: the confirmation names the amount.
    const questions: string[] = [];
    page.on('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.accept();
    });
    await page.fill('#refund-amount', '500');
    await page.click('#refund-partial');
    await page.waitForSelector('text=¥500 の返金が完了しました。');
    expect(questions.at(-1)).toBe('¥500 を返金します。よろしいですか？');
    await expect(page.locator('#refund-full').textContent()).resolves.toBe('全額返金（¥1,000）');

    await page.click('#refund-full');
    await page.waitForSelector('text=¥1,000 の返金が完了しました。');
    expect(questions.at(-1)).toBe('¥1,000 を返金します。よろしいですか？');
    await expect(page.locator('#refund-full').count()).resolves.toBe(0);
    await expect(page.locator('#refund-partial').count()).resolves.toBe(0);
    await expect(page.locator('#refund-reason').textContent()).resolves.toContain(
      '返金可能な残額はありません',
    );
    await screenshot(page, 'admin-05-billing-refunded');

    await page.click('.tabs a:has-text("詳細")');
    await page.waitForSelector('#refunds');
    await expect(page.locator('#refunds tbody tr').count()).resolves.toBe(2);
    await screenshot(page, 'admin-06-billing-details');

    await page.click('a[hreflang=en]');
    await expect(page.locator('h1').textContent()).resolves.toContain('Billing information');
    await page.click('nav a:has-text("Payments")');
    await expect(page.locator('h1').textContent()).resolves.toBe('Payment search');
    await page.click('a[hreflang=ja]');
    await page.click('nav a:has-text("サービス設定")');
    await expect(page.locator('#encoding_warning').textContent()).resolves.toContain('A02-1');
    await screenshot(page, 'admin-09-settings');
    await page.click('nav a:has-text("ユーザー")');
    await screenshot(page, 'admin-10-users');
    await page.click('nav a:has-text("監査ログ")');
    await expect(page.locator('#audit').textContent()).resolves.toContain('refund');
    await screenshot(page, 'admin-11-audit');
    expect(errors).toEqual([]);
    await context.close();
  });

  it("answers another merchant's payment with 404 and refuses a form without its CSRF token", async () => {
    const other = await browser.newContext();
    const page = await other.newPage();
    await signIn(page, users.otherAdmin);
    const response = await page.goto(`${stack.gatewayUrl}/admin/payments/${payment.tracking_id}`);
    expect(response?.status()).toBe(404);
    await expect(page.locator('h1').textContent()).resolves.toBe('見つかりません');
    await other.close();

    const own = await browser.newContext();
    const mine = await own.newPage();
    await signIn(mine, users.admin);
    await mine.goto(`${stack.gatewayUrl}/admin/payments/${payment.tracking_id}`);
    await mine.evaluate(() => {
      document.querySelectorAll('form input[name=_csrf]').forEach((field) => {
        field.remove();
      });
    });
    mine.on('dialog', (dialog) => void dialog.accept());
    const [refused] = await Promise.all([mine.waitForNavigation(), mine.click('#resend')]);
    expect(refused?.status()).toBe(403);
    await expect(mine.locator('h1').textContent()).resolves.toBe('操作できません');
    await own.close();
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
    });
    const page = await phone.newPage();
    await signIn(page, users.viewer);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'admin-07-dashboard-phone');
    await page.goto(`${stack.gatewayUrl}/admin/payments/${payment.tracking_id}`);
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await screenshot(page, 'admin-08-billing-phone');
    await phone.close();
  });
});
