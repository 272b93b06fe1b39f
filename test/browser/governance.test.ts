import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jstDate } from '../../src/kernel/jst';
import { buyCaptured, seedConsole, TEST_PASSWORD, type TestUsers } from '../integration/admin-client';
import { launchBrowser, screenshot, signInToConsole } from '../support/browser';
import { type Stack, startStack } from '../support/stack';

/**
 * Governance in a real browser (governance.md, 2-4): an operator opens a KYC case and suspends the
 * merchant, a shopper of the demo shop meets the refusal (5111), the merchant admin reads the case;
 * a fraud investigation flags a payment; the prohibited-products screen. Screenshots are kept.
 */
describe('governance screens in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let users: TestUsers;

  beforeAll(async () => {
    stack = await startStack('sqlite', { shop: true });
    users = await seedConsole(stack.database.db, 'governance-browser');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function signedIn(email: string): Promise<Page> {
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await signInToConsole(page, stack.gatewayUrl, { email, password: TEST_PASSWORD });
    return page;
  }

  it('an operator suspends the merchant, the shopper is refused (5111), the merchant reads why', async () => {
    const operator = await signedIn(users.operator);
    await operator.click('nav a[href="/admin/kyc"]');
    await operator.fill('#kyc-merchant', '30000');
    await operator.fill('#kyc-reason', '定期 KYC 審査');
    await operator.fill('#kyc-info', '履歴事項全部証明書（3 か月以内）');
    await operator.fill('#kyc-due', jstDate(stack.clock.now()));
    await screenshot(operator, 'governance-01-kyc-open');
    await operator.click('#open-kyc ~ form button[type=submit]');
    await operator.waitForURL(/\/admin\/kyc\/KYC-/);
    const caseUrl = operator.url().replace(/\?.*$/, '');

    await operator.check('input[name=outcome][value=SUSPENDED]');
    await operator.fill('#decide-note', '期限までに書類のご提出がありませんでした');
    // From now (the input's minute), until further notice.
    const now = new Date(stack.clock.now().getTime() - 60_000);
    const local = new Date(now.getTime() + 9 * 3_600_000).toISOString().slice(0, 16);
    await operator.fill('#suspend-from', local);
    await operator.click('#decide-submit');
    await expect(operator.locator('#kyc-status').textContent()).resolves.toBe('利用停止');
    await screenshot(operator, 'governance-02-kyc-suspended');

    const shopper = await browser.newPage({ locale: 'ja-JP' });
    await shopper.goto(`${stack.shopUrl}/`);
    await shopper.click('button.buy');
    await shopper.waitForLoadState();
    await expect(shopper.content()).resolves.toContain('5111');
    await screenshot(shopper, 'governance-03-shopper-refused');
    expect(await stack.database.db.selectFrom('payments').select('tracking_id').execute()).toHaveLength(0);

    // The merchant admin sees the unread notice in the header, reads it, and follows it to the case.
    const merchant = await signedIn(users.admin);
    await expect(merchant.locator('#unread-count').textContent()).resolves.toMatch(/^[1-9]/);
    await merchant.goto(`${stack.gatewayUrl}/admin/notices`);
    await screenshot(merchant, 'governance-04-merchant-inbox');
    await merchant.click('a:has-text("KYC 審査：Alipay+ のご利用を停止します")');
    await merchant.waitForURL(/\/admin\/notices\/\d+$/);
    await expect(merchant.locator('#notice').textContent()).resolves.toContain(
      '新しい決済をお受けできません',
    );
    await screenshot(merchant, 'governance-05-merchant-reads-notice');
    await merchant.click('#notice a[href^="/admin/kyc/"]');
    await merchant.waitForURL(caseUrl);
    await expect(merchant.locator('#kyc-suspension').textContent()).resolves.toContain('追って連絡するまで');
    await expect(merchant.content()).resolves.toContain('期限までに書類のご提出がありませんでした');
    await screenshot(merchant, 'governance-06-merchant-reads-case');
    const read = await stack.database.db.selectFrom('notice_reads').selectAll().execute();
    expect(read.length).toBeGreaterThanOrEqual(1);

    await operator.click('form[action$="/lift"] button');
    await operator.waitForSelector('.notice.ok');
    await shopper.goto(`${stack.shopUrl}/`);
    await shopper.click('button.buy');
    await shopper.waitForURL(/\/f01\/payments\//);
  });

  it('flags a payment under fraud investigation and shows the prohibited products', async () => {
    const payment = await buyCaptured(stack);
    const operator = await signedIn(users.operator);
    await operator.goto(`${stack.gatewayUrl}/admin/investigations`);
    await operator.fill('#fraud-merchant', '30000');
    await operator.fill('#fraud-tracking', payment.tracking_id);
    await operator.fill('#fraud-allegation', 'カード名義人から身に覚えのない決済との申し立て');
    await operator.fill('#fraud-requested', '配送記録をご提出ください');
    await operator.fill('#fraud-due', jstDate(stack.clock.now()));
    await operator.click('#open-fraud ~ form button[type=submit]');
    await operator.waitForURL(/\/admin\/investigations\/FRD-/);
    await screenshot(operator, 'governance-07-investigation');

    const merchant = await signedIn(users.admin);
    await merchant.goto(`${stack.gatewayUrl}/admin/payments/${payment.tracking_id}`);
    await expect(merchant.locator('#fraud-flag a').count()).resolves.toBe(1);
    await screenshot(merchant, 'governance-08-billing-flag');
    await merchant.click('#fraud-flag a');
    await merchant.fill('#answer-text', '11 月 20 日に配送済みです（追跡番号 1234-5678）');
    await merchant.click('form[action$="/answer"] button');
    await expect(merchant.locator('#fraud-status').textContent()).resolves.toBe('回答済み');

    await operator.goto(`${stack.gatewayUrl}/admin/prohibited`);
    await operator.fill('#prohibited-category', 'tobacco');
    await operator.fill('#prohibited-from', jstDate(stack.clock.now()));
    await operator.fill('#prohibited-note', 'Core Operator の禁止商材リスト更新');
    await operator.click('#add-prohibited ~ form button[type=submit]');
    await operator.waitForURL(/added=/);
    await screenshot(operator, 'governance-09-prohibited');

    // The merchant declares its service's categories; the listed one is pointed out at once.
    await merchant.goto(`${stack.gatewayUrl}/admin/settings?service=30000/001`);
    await merchant.fill('#service-categories', 'tea\ntobacco');
    await merchant.click('form[action="/admin/settings/categories"] button');
    await expect(merchant.locator('#prohibited-warning').textContent()).resolves.toContain('tobacco');
    await merchant.locator('#categories').scrollIntoViewIfNeeded();
    await screenshot(merchant, 'governance-10-service-categories');
    await merchant.goto(`${stack.gatewayUrl}/admin/prohibited`);
    await expect(merchant.locator('#affected-services').textContent()).resolves.toContain('30000/001');
    await screenshot(merchant, 'governance-11-merchant-prohibited');
  });
});
