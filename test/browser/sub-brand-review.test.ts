import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subBrandStates } from '../../src/governance/sub-brand-review.repository';
import { DEMO_MERCHANT_ID } from '../../src/merchants/demo-seed';
import { SUB_BRAND_CODES } from '../../src/merchants/sub-brands';
import { launchBrowser, screenshot, signInToConsole } from '../support/browser';
import { eventually, type Stack, startStack } from '../support/stack';

/**
 * Sub-brand review in a browser (governance.md §1): the demo merchant's first registration waits
 * for a person on the sandbox console, who rejects GCash with a reason; the merchant reads the
 * result in the console, and the shopper's cashier no longer offers GCash.
 */
describe('sub-brand review in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    // No automatic review: the wallets decide on the sandbox console.
    stack = await startStack('sqlite', {
      shop: true,
      awaitReview: false,
      env: { KESSAI_SANDBOX_REVIEW_SECONDS: '3600' },
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function statuses(): Promise<Record<string, string>> {
    const states = await subBrandStates(stack.database.db, DEMO_MERCHANT_ID);
    return Object.fromEntries(states.map((s) => [s.subBrand, s.status]));
  }

  async function signIn(page: Page, role: string): Promise<void> {
    const user = stack.runtime.demo!.consoleUsers.find((u) => u.role === role)!;
    await signInToConsole(page, stack.gatewayUrl, user, '/admin');
  }

  it('drops a wallet rejected at review from the cashier', { timeout: 90_000 }, async () => {
    await eventually(async () => Object.values(await statuses()).every((s) => s === 'PENDING'), 10_000);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

    // Nine wallets approve (through the control API the console's buttons post to); on the sandbox
    // console a person rejects GCash with a reason.
    const [registration] = await stack.database.db
      .selectFrom('sub_brand_registrations')
      .select('registration_request_id')
      .execute();
    for (const psp of SUB_BRAND_CODES.filter((c) => c !== 'GCASH')) {
      const decided = await fetch(
        `${stack.sandboxUrl}/sandbox/v1/registrations/${registration!.registration_request_id}/psps/${psp}`,
        { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"decision":"APPROVED"}' },
      );
      expect(decided.status).toBe(200);
    }
    await page.goto(`${stack.sandboxUrl}/sandbox#registrations`);
    const gcash = page.locator('[data-registration-id] [data-psp="GCASH"]').first();
    await gcash.locator('input[name="reason"]').fill('website does not show a returns policy');
    await screenshot(page, 'sub-brand-01-sandbox-review');
    await gcash.locator('button[value="REJECTED"]').click();
    await page.waitForSelector('[data-psp="GCASH"]:has-text("REJECTED")');
    await screenshot(page, 'sub-brand-02-sandbox-reviewed');

    await eventually(
      async () => (await statuses()).GCASH === 'REJECTED' && (await statuses()).DANA === 'APPROVED',
      10_000,
    );

    // The merchant reads the result in the console, with the reason.
    await signIn(page, 'merchant_admin');
    await page.goto(`${stack.gatewayUrl}/admin/sub-brands`);
    await expect(page.locator('[data-sub-brand="GCASH"]').getAttribute('data-status')).resolves.toBe(
      'REJECTED',
    );
    await expect(page.locator('[data-sub-brand="GCASH"]').textContent()).resolves.toContain('returns policy');
    await screenshot(page, 'sub-brand-03-console-merchant');

    // The shopper's cashier offers the nine approved wallets, not GCash.
    await page.goto(`${stack.shopUrl}/`);
    await page.click('button.buy');
    await page.waitForURL(/\/f01\/payments\//);
    await page.click('button:has-text("[Alipay+]")');
    await page.waitForURL(/\/sandbox\/cashier\//);
    await expect(page.locator('[data-wallet]').count()).resolves.toBe(9);
    await expect(page.locator('[data-wallet="GCASH"]').count()).resolves.toBe(0);
    await expect(page.locator('[data-wallet="DANA"]').count()).resolves.toBe(1);
    await screenshot(page, 'sub-brand-04-cashier-without-gcash');
  });
});
