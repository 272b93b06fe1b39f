import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJstDisplay } from '../../src/kernel/jst';
import { seedConsole, TEST_PASSWORD, type TestUsers } from '../integration/admin-client';
import { launchBrowser, screenshot, signInToConsole } from '../support/browser';
import { clearStartupNotices, eventually, type Stack, startStack } from '../support/stack';

/**
 * A maintenance window from its announcement to its end, in a real browser (governance.md, 5):
 * the operator schedules it, the merchant reads the notice and sees the banner, the public status
 * page lists it, the shopper meets the 5112 page with the end in JST during it, and buys again
 * after it. Screenshots of each screen are kept.
 */
const DAY = 86_400_000;

describe('maintenance window in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let users: TestUsers;

  beforeAll(async () => {
    stack = await startStack('sqlite', { shop: true });
    await clearStartupNotices(stack);
    users = await seedConsole(stack.database.db, 'browser-maintenance');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function signedInPage(email: string): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInToConsole(page, stack.gatewayUrl, { email, password: TEST_PASSWORD }, '/admin/login?lang=en');
    return page;
  }

  const minute = (d: Date) => formatJstDisplay(d).slice(0, 16);

  it('announces a window, shows the banner and the status, answers 5112 during it and recovers after it', async () => {
    const announced = stack.clock.now();
    const start = new Date(Math.ceil((announced.getTime() + 8 * DAY) / 3_600_000) * 3_600_000);
    const end = new Date(start.getTime() + 2 * 3_600_000);

    // The operator schedules it; a start in the past is refused first, and nothing is saved.
    const operator = await signedInPage(users.operator);
    await operator.goto(`${stack.gatewayUrl}/admin/maintenance`);
    await operator.fill('#starts_at', minute(new Date(announced.getTime() - DAY)).replace(' ', 'T'));
    await operator.fill('#ends_at', minute(end).replace(' ', 'T'));
    await operator.fill('#text_ja', '決済基盤の定期メンテナンスのため');
    await operator.fill('#text_en', 'Scheduled upgrade of the payment platform');
    await operator.click('#maintenance-form button[type=submit]');
    await expect(operator.locator('.notice.error').textContent()).resolves.toContain(
      'The start is in the past.',
    );
    await screenshot(operator, 'maintenance-01-refused');
    await operator.fill('#starts_at', minute(start).replace(' ', 'T'));
    await operator.click('#maintenance-form button[type=submit]');
    await operator.waitForURL(/done=scheduled/);
    await expect(operator.locator('#coming-maintenance tbody tr').count()).resolves.toBe(1);
    await expect(operator.locator('#banners').textContent()).resolves.toContain(
      `Maintenance scheduled: ${minute(start)} – ${minute(end)} (JST)`,
    );
    await screenshot(operator, 'maintenance-02-scheduled');

    // The merchant: unread count, inbox, the notice, and the banner.
    const merchant = await signedInPage(users.admin);
    await expect(merchant.locator('#unread-count').textContent()).resolves.toBe('1');
    await expect(merchant.locator('#banners').textContent()).resolves.toContain('Maintenance scheduled');
    await merchant.click('#notices-link');
    await screenshot(merchant, 'maintenance-03-inbox');
    await merchant.click('#notices a:has-text("Maintenance scheduled")');
    await expect(merchant.locator('#notice').textContent()).resolves.toContain(
      'Scheduled upgrade of the payment platform',
    );
    await expect(merchant.locator('#unread-count').textContent()).resolves.toBe('0');
    await screenshot(merchant, 'maintenance-04-notice');

    // The public status page.
    const status = await browser.newPage({ locale: 'ja-JP' });
    await status.goto(`${stack.gatewayUrl}/status`);
    await expect(status.locator('body').textContent()).resolves.toContain(
      `${minute(start)} – ${minute(end)} JST`,
    );
    await screenshot(status, 'maintenance-05-status-scheduled');

    // During the window: the shopper gets 5112 with the end in JST.
    stack.clock.setNow(new Date(start.getTime() + 60_000));
    stack.runtime.worker?.wake();
    await eventually(async () => {
      const rows = await stack.database.db.selectFrom('notices').select('title_en').execute();
      return rows.some((r) => r.title_en.startsWith('Maintenance has started'));
    });
    const shopper = await browser.newPage({ locale: 'ja-JP' });
    await shopper.goto(`${stack.shopUrl}/`);
    await shopper.click('button.buy');
    await shopper.waitForSelector('#maintenance-end');
    await expect(shopper.locator('h1').textContent()).resolves.toContain('5112');
    await expect(shopper.locator('#maintenance-end').textContent()).resolves.toContain(
      `${minute(end)} (JST)`,
    );
    await screenshot(shopper, 'maintenance-06-purchase-5112');
    await status.reload();
    await expect(status.locator('#state').textContent()).resolves.toContain('Maintenance in progress');
    await screenshot(status, 'maintenance-07-status-running');
    const merchantDuring = await signedInPage(users.admin);
    await expect(merchantDuring.locator('#banners').textContent()).resolves.toContain(
      `Maintenance in progress (expected end ${minute(end)} JST)`,
    );
    await screenshot(merchantDuring, 'maintenance-08-console-banner-running');

    // After the window: purchases go through to the selection or Alipay+ again.
    stack.clock.setNow(new Date(end.getTime() + 60_000));
    stack.runtime.worker?.wake();
    await shopper.goto(`${stack.shopUrl}/`);
    await shopper.click('button.buy');
    await shopper.waitForURL((url) => !url.pathname.startsWith('/f01/FepBuyInfoReceive'));
    await expect(shopper.locator('#maintenance-end').count()).resolves.toBe(0);
    await status.reload();
    await expect(status.locator('#state').textContent()).resolves.toContain('正常に稼働しています');
    const merchantAfter = await signedInPage(users.admin);
    await expect(merchantAfter.locator('#banners').count()).resolves.toBe(0);
    await merchantAfter.goto(`${stack.gatewayUrl}/admin/notices?kind=maintenance`);
    await expect(merchantAfter.locator('#notices tbody tr').count()).resolves.toBe(4);
    await screenshot(merchantAfter, 'maintenance-09-inbox-after');
    stack.clock.set(0);
  }, 120_000);
});
