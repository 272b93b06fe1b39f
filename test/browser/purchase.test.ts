import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../support/browser';
import { type Stack, startStack } from '../support/stack';

/**
 * A person's purchase in a real browser: demo shop → gateway selection screen → [Alipay+] →
 * sandbox cashier → DANA sign-in as alice → pay → back through the gateway → shop success page,
 * which shows that the A02-1 notification has arrived.
 */
describe('purchase in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    stack = await startStack('sqlite', { shop: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('buys from the demo shop with DANA and lands on the success page with the notification', async () => {
    const page = await browser.newPage({ locale: 'ja-JP' });
    await page.goto(`${stack.shopUrl}/`);
    await screenshot(page, '01-shop');
    await page.click('button.buy');

    await page.waitForURL(/\/f01\/payments\/[A-Za-z0-9_-]{32}$/);
    await expect(page.locator('button', { hasText: '[Alipay+]' }).count()).resolves.toBe(1);
    await screenshot(page, '02-gateway-selection');
    await page.click('button:has-text("[Alipay+]")');

    await page.waitForURL(/\/sandbox\/cashier\//);
    await screenshot(page, '03-sandbox-cashier');
    await page.click('[data-wallet="DANA"]');
    await page.fill('#user', 'alice');
    await page.fill('#password', 'sandbox');
    await screenshot(page, '04-dana-sign-in');
    await page.click('#sign-in');
    await page.waitForSelector('#pay');
    await screenshot(page, '05-dana-confirm');
    await page.click('#pay');

    await page.waitForURL(`${stack.shopUrl}/success`, { timeout: 20_000 });
    await expect(page.locator('#notification-status').textContent()).resolves.toContain('received');
    expect((await page.locator('#hash-status').textContent())?.trim()).toBe('verified');
    await screenshot(page, '06-shop-success');

    const captured = await stack.database.db
      .selectFrom('payments')
      .select(['status', 'wallet'])
      .orderBy('received_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(captured).toEqual({ status: 'CAPTURED', wallet: 'DANA' });

    // The shop's orders page refunds through the XML API: part, then the rest.
    await page.goto(`${stack.shopUrl}/orders`);
    await page.fill('.refund-amount', '500');
    await page.click('button.refund-partial');
    await page.waitForSelector('.refund[data-refund-status="SUCCEEDED"]');
    await expect(page.locator('[data-state="partially-refunded"]').count()).resolves.toBe(1);
    await page.click('button.refund-full');
    await page.waitForFunction(
      () => document.querySelectorAll('.refund[data-refund-status="SUCCEEDED"]').length === 2,
    );
    await expect(page.locator('[data-state="refunded"]').count()).resolves.toBe(1);
    await expect(page.locator('button.refund-full').count()).resolves.toBe(0);
    await screenshot(page, '08-shop-orders-refunded');
    const refunded = await stack.database.db
      .selectFrom('payments')
      .select(['status', 'refunded_amount'])
      .orderBy('received_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(refunded).toEqual({ status: 'REFUNDED', refunded_amount: 1500 });
  });

  it('shows a real QR code for a QR wallet, with a link to the wallet-app simulator', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.shopUrl}/`);
    await page.click('button.buy');
    await page.waitForURL(/\/f01\/payments\//);
    await page.click('button:has-text("[Alipay+]")');
    await page.waitForURL(/\/sandbox\/cashier\//);
    await page.click('[data-wallet="GCASH"]');
    await expect(page.locator('svg, img[src^="data:image"]').count()).resolves.toBeGreaterThan(0);
    await screenshot(page, '07-gcash-qr');
  });
});
