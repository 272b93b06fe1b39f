import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearingDay } from '../../src/alipayplus/settlement-reports';
import type { PaymentRow } from '../../src/db/database';
import { buyCaptured, seedConsole, TEST_PASSWORD, type TestUsers } from '../integration/admin-client';
import { launchBrowser, screenshot, signInToConsole } from '../support/browser';
import { DIALECTS } from '../support/databases';
import { injectReportFault, settleDay } from '../support/reports';
import { type Stack, startStack } from '../support/stack';

/**
 * The operators' reconciliation screen in a real browser (settlement.md): the sandbox reports a
 * payment ¥1 too high, the gateway fetches and reconciles it, and an operator finds the mismatch
 * through the menu and resolves it with a note. Screenshots are kept.
 */
for (const dialect of DIALECTS) {
  describe(`reconciliation screen in a browser (${dialect})`, () => {
    let stack: Stack;
    let browser: Browser;
    let users: TestUsers;
    let payment: PaymentRow;

    beforeAll(async () => {
      stack = await startStack(dialect);
      users = await seedConsole(stack.database.db, 'reconcile-browser');
      await injectReportFault(stack, 'amountOffByOne');
      const day = clearingDay(stack.clock.now().getTime());
      payment = await buyCaptured(stack, { order_id: `RECONCILE-${Date.now()}`, amount: '4200' });
      await settleDay(stack, day);
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    it('an operator finds the amount mismatch and resolves it with a note', async () => {
      const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await signInToConsole(
        page,
        stack.gatewayUrl,
        { email: users.operator, password: TEST_PASSWORD },
        '/admin/login?lang=en',
      );

      await page.click('nav a[href="/admin/reports"]');
      await page.waitForSelector('#open-discrepancies');
      const row = page.locator('#open-discrepancies tbody tr', { hasText: payment.payment_request_id! });
      await expect(row.count()).resolves.toBeGreaterThanOrEqual(1);
      const mismatch = row.filter({ hasText: '4201' }).first();
      await expect(mismatch.textContent()).resolves.toContain('4200');
      await expect(page.locator('#suspense').textContent()).resolves.toContain('1');
      await screenshot(page, 'reconciliation-01-open');

      const id = (await mismatch.getAttribute('id'))!.replace('discrepancy-', '');
      await mismatch
        .locator('input[name=note]')
        .fill('Alipay+ confirmed the ¥1 by mail; refund to them next cycle');
      await mismatch.locator('button[type=submit]').click();
      await page.waitForSelector('.notice.ok');
      await expect(page.locator('.notice.ok').textContent()).resolves.toContain(`Discrepancy ${id} resolved`);
      await expect(page.locator(`#open-discrepancies #discrepancy-${id}`).count()).resolves.toBe(0);
      await expect(page.locator('#resolved-discrepancies').textContent()).resolves.toContain(
        'Alipay+ confirmed the ¥1 by mail',
      );
      await screenshot(page, 'reconciliation-02-resolved');

      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .select(['actor_email', 'target'])
        .where('action', '=', 'settlement.discrepancy.resolve')
        .execute();
      expect(audit).toEqual([{ actor_email: users.operator, target: `discrepancy ${id}` }]);
      expect(errors).toEqual([]);
      await context.close();
    });
  });
}
