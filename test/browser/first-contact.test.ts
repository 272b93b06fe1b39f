import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, seedConsole, TEST_PASSWORD, type TestUsers } from '../integration/admin-client';
import { launchBrowser, screenshot, signInToConsole } from '../support/browser';
import { eventually, type Stack, startStack } from '../support/stack';

/**
 * What a newcomer, a shopper and a merchant see first, at a desktop width (1280 px) and a phone's
 * (390 px): the landing pages, the shop and its orders, the selection screen, the cashier and QR
 * pages, the result pages and the console's refund form. Each page is kept as a screenshot at both
 * widths, and none may be wider than the screen.
 */
const WIDTHS = [1280, 390] as const;

describe('first contact in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let users: TestUsers;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    stack = await startStack('sqlite', { shop: true });
    users = await seedConsole(stack.database.db, 'first-contact');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await stack?.close();
  });

  async function newPage(width: number): Promise<Page> {
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width, height: 900 } });
    contexts.push(context);
    return context.newPage();
  }

  /** The page fits the screen: nothing sticks out sideways. */
  async function expectNoSidewaysScroll(page: Page): Promise<void> {
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]!);
  }

  /** How many lines the element's text takes (a name broken in two takes two). */
  async function linesOf(page: Page, selector: string): Promise<number> {
    return page.locator(selector).evaluate((element) => {
      const range = document.createRange();
      range.selectNodeContents(element);
      // Boxes of one line overlap vertically (whatever their font size); a new line starts below.
      const rects = Array.from(range.getClientRects()).sort((a, b) => a.top - b.top);
      let lines = 0;
      let bottom = Number.NEGATIVE_INFINITY;
      for (const rect of rects) {
        if (rect.top >= bottom - 1) lines++;
        bottom = lines === 0 || rect.top >= bottom - 1 ? rect.bottom : Math.max(bottom, rect.bottom);
      }
      return lines;
    });
  }

  async function shot(page: Page, name: string, width: number): Promise<void> {
    await expectNoSidewaysScroll(page);
    await screenshot(page, `first-contact-${name}-${width}`);
  }

  /** Shop → selection screen → cashier → DANA as `user` → pay; returns on the shop's result page. */
  async function buy(page: Page, width: number, options: { magic?: string; user: string; shots: boolean }) {
    await page.goto(`${stack.shopUrl}/`);
    if (options.magic) await page.click(`button[name=magic_amount][value="${options.magic}"]`);
    else await page.click('button.buy');
    await page.waitForURL(/\/f01\/payments\/[A-Za-z0-9_-]{32}$/);
    if (options.shots) await shot(page, 'selection', width);
    await page.click('button:has-text("[Alipay+]")');
    await page.waitForURL(/\/sandbox\/cashier\//);
    if (options.shots) await shot(page, 'cashier', width);
    await page.click('[data-wallet="DANA"]');
    await page.fill('#user', options.user);
    await page.fill('#password', 'sandbox');
    await page.click('#sign-in');
    await page.waitForSelector('#pay');
    await page.click('#pay');
    await page.waitForURL(new RegExp(`^${stack.shopUrl}/(success|error|cancel)$`), { timeout: 20_000 });
  }

  /** A paid order of the shop, bought in the browser, once the gateway has captured it. */
  async function buyCaptured(page: Page): Promise<{ orderId: string; trackingId: string }> {
    await buy(page, 1280, { user: 'alice', shots: false });
    const orderId = (await page.locator('table td.mono').first().textContent())!;
    const captured = () =>
      stack.database.db
        .selectFrom('payments')
        .select(['status', 'tracking_id'])
        .where('order_id', '=', orderId)
        .executeTakeFirst();
    await eventually(async () => (await captured())?.status === 'CAPTURED');
    return { orderId, trackingId: (await captured())!.tracking_id };
  }

  for (const width of WIDTHS) {
    it(`shows landing pages and icons on every port, and the shop fits the screen (${width} px)`, async () => {
      const page = await newPage(width);
      await page.goto(`${stack.gatewayUrl}/`);
      await expect(page.locator('a[href="/admin"]').count()).resolves.toBe(1);
      await shot(page, 'gateway-landing', width);
      await page.goto(`${stack.sandboxUrl}/`);
      await expect(page.locator('a[href="/sandbox"]').count()).resolves.toBe(1);
      await shot(page, 'sandbox-landing', width);
      for (const base of [stack.gatewayUrl, stack.sandboxUrl, stack.shopUrl]) {
        const icon = await page.request.get(`${base}/favicon.ico`);
        expect(icon.status()).toBe(200);
        expect(icon.headers()['content-type']).toBe('image/x-icon');
      }

      await page.goto(`${stack.shopUrl}/`);
      // The refund scenarios are listed with the others, and the table stays inside its card.
      for (const amount of ['6001', '6002']) {
        await expect(page.locator(`button[name=magic_amount][value="${amount}"]`).count()).resolves.toBe(1);
      }
      const magic = await page
        .locator('.magic')
        .evaluate((card) => [card.scrollWidth, card.clientWidth] as const);
      expect(magic[0]).toBeLessThanOrEqual(magic[1]);
      expect(await linesOf(page, 'header .brand')).toBe(1);
      await shot(page, 'shop', width);
    });
  }

  it('shows the order id and a branded [Alipay+] method, then ¥ amounts on the result page', async () => {
    for (const width of WIDTHS) {
      const page = await newPage(width);
      await buy(page, width, { user: 'alice', shots: true });
      const orderId = await page.locator('table td.mono').first().textContent();
      expect(orderId).toMatch(/^DEMO-/);
      await expect(page.locator('td', { hasText: '¥1,500' }).count()).resolves.toBe(1);
      await expect(page.locator('body').textContent()).resolves.not.toContain('1500 円');
      await shot(page, 'success', width);
    }
  });

  it('tells the shopper in plain words why a payment failed', async () => {
    for (const width of WIDTHS) {
      const page = await newPage(width);
      await buy(page, width, { user: 'nofunds', shots: false });
      expect(page.url()).toBe(`${stack.shopUrl}/error`);
      await expect(page.locator('#failure-reason').textContent()).resolves.toContain('not been charged');
      await shot(page, 'failure', width);
    }
  });

  it('shows a QR wallet page without breaking names (both widths)', async () => {
    for (const width of WIDTHS) {
      const page = await newPage(width);
      await page.goto(`${stack.shopUrl}/`);
      await page.click('button.buy');
      await page.waitForURL(/\/f01\/payments\//);
      const orderId = await page.locator('#order-id').textContent();
      await page.click('button:has-text("[Alipay+]")');
      await page.waitForURL(/\/sandbox\/cashier\//);
      await expect(page.locator('#reference-order-id').textContent()).resolves.toMatch(/^\d{14}$/);
      expect(orderId).toMatch(/^DEMO-/);
      await page.click('[data-wallet="GCASH"]');
      await page.waitForSelector('.qr');
      await shot(page, 'qr', width);
      expect(await linesOf(page, 'header .brand')).toBe(1);
    }
  });

  it("lists refunds made in the console on the shop's orders page, and says why one was refused", async () => {
    const page = await newPage(1280);
    const { orderId, trackingId } = await buyCaptured(page);

    const console = new ConsoleClient(stack.gatewayUrl);
    expect((await console.signIn(users.admin, TEST_PASSWORD)).status).toBe(303);
    const refunded = await console.post(`/admin/payments/${trackingId}/refunds`, {
      kind: 'partial',
      amount: '300',
      nonce: randomBytes(16).toString('base64url'),
    });
    expect(refunded.status).toBe(303);

    await page.goto(`${stack.shopUrl}/orders`);
    const row = page.locator(`tr[data-order-id="${orderId}"]`);
    await expect(row.locator('.refund[data-refund-status="SUCCEEDED"]').textContent()).resolves.toContain(
      '¥300',
    );
    await expect(row.locator('[data-state="partially-refunded"]').count()).resolves.toBe(1);

    // More than remains: refused, with the reason in words next to the code.
    await row.locator('.refund-amount').fill('5000');
    await row.locator('button.refund-partial').click();
    await page.waitForSelector('.refund[data-refund-result="NG"]');
    await expect(page.locator('.refusal-reason').textContent()).resolves.toContain('remains');
    await expect(page.locator('.refusal-reason code').textContent()).resolves.toBe('510K1008');
    await shot(page, 'orders', 1280);
    const phone = await newPage(390);
    await phone.goto(`${stack.shopUrl}/orders`);
    await shot(phone, 'orders', 390);
  });

  it('asks the console user about the amount the server will read, and marks one it cannot', async () => {
    const page = await newPage(1280);
    const { trackingId } = await buyCaptured(page);
    for (const width of WIDTHS) {
      const admin = await newPage(width);
      await signInToConsole(admin, stack.gatewayUrl, { email: users.admin, password: TEST_PASSWORD });
      await admin.goto(`${stack.gatewayUrl}/admin/payments/${trackingId}`);
      const questions: string[] = [];
      admin.on('dialog', (dialog) => {
        questions.push(dialog.message());
        void dialog.dismiss();
      });
      await admin.fill('#refund-amount', '1,5oo');
      await admin.click('#refund-partial');
      expect(questions).toEqual([]);
      await expect(
        admin.locator('#refund-amount').evaluate((input) => (input as HTMLInputElement).validationMessage),
      ).resolves.toBe('返金額は1円以上の整数で入力してください。');
      await shot(admin, 'console-billing', width);
      await admin.fill('#refund-amount', '１，０００');
      await admin.click('#refund-partial');
      await eventually(async () => questions.length === 1);
      expect(questions).toEqual(['¥1,000 を返金します。よろしいですか？']);
    }
  });
});
