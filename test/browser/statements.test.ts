import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jstDate, startOfJstDay } from '../../src/kernel/jst';
import { addServiceFee } from '../../src/settlement/fee.repository';
import { closeStatements } from '../../src/settlement/statement.repository';
import { seedConsole, TEST_PASSWORD, type TestUsers } from '../integration/admin-client';
import { launchBrowser, screenshot, signInToConsole } from '../support/browser';
import { DIALECTS } from '../support/databases';
import { capturedAt, refundedAt } from '../support/settlement-fixtures';
import { type Stack, startStack } from '../support/stack';

/**
 * Statements in a real browser (settlement.md, Paying merchants): a merchant saves its payout
 * account (bad kana refused), opens last month's statement and downloads it as CSV (UTF-8 with
 * BOM, Shift_JIS) and PDF (Japanese text in an embedded font); another merchant gets 404; the
 * operator makes the transfer file and marks the payout paid.
 */
for (const dialect of DIALECTS) {
  describe(`statements and payouts in a browser (${dialect})`, () => {
    let stack: Stack;
    let browser: Browser;
    let users: TestUsers;
    let statementId: number;
    // Last month (JST): its 10th and 20th, and its last day.
    const now = new Date();
    const lastDay = jstDate(startOfJstDay(now, -Number(jstDate(now).slice(8, 10))));
    const month = lastDay.slice(0, 7);
    const at = (day: string) => new Date(`${month}-${day}T12:00:00+09:00`);

    beforeAll(async () => {
      stack = await startStack(dialect);
      const db = stack.database.db;
      users = await seedConsole(db, 'statements');
      await addServiceFee(
        db,
        {
          merchantId: '30000',
          serviceId: '001',
          effectiveFrom: `${month}-01`,
          rateBps: 325,
          fixedFee: 0,
          createdBy: 'test',
        },
        at('01'),
      );
      const p = await capturedAt(db, 10_000, at('10'));
      await capturedAt(db, 5_000, at('20'));
      await refundedAt(db, p, 3_000, at('20'));
      const outcome = (await closeStatements(db, lastDay, now)).find((o) => o.merchantId === '30000');
      if (outcome?.result.kind !== 'issued' && outcome?.result.kind !== 'already-issued')
        throw new Error('no statement');
      statementId = outcome.result.statement.statement_id;
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    async function signedIn(email: string): Promise<Page> {
      const context = await browser.newContext({
        locale: 'ja-JP',
        acceptDownloads: true,
        viewport: { width: 1280, height: 900 },
      });
      const page = await context.newPage();
      await signInToConsole(page, stack.gatewayUrl, { email, password: TEST_PASSWORD });
      return page;
    }

    it('lets a merchant save its bank account and download its statement as CSV and PDF', async () => {
      const page = await signedIn(users.admin);
      await page.click('nav a:has-text("精算書")');
      await expect(page.locator('#statements tbody tr').count()).resolves.toBe(1);
      await expect(page.locator('#payouts tbody').textContent()).resolves.toContain('¥11,610');

      await page.fill('#bank-bank_code', '0001');
      await page.fill('#bank-bank_name', 'ミズホ');
      await page.fill('#bank-branch_code', '123');
      await page.fill('#bank-branch_name', 'トウキョウ');
      await page.fill('#bank-account_number', '1234567');
      await page.fill('#bank-holder_name', '山田商店');
      await page.click('#bank-title ~ form button[type=submit]');
      await expect(page.locator('.notice.error').textContent()).resolves.toContain('"山" cannot be written');
      await page.fill('#bank-holder_name', 'ヤマダショウテン');
      await page.click('#bank-title ~ form button[type=submit]');
      await expect(page.locator('.notice.ok').textContent()).resolves.toBe('振込先口座を保存しました。');
      await expect(page.locator('#bank-title + p').textContent()).resolves.toContain('ﾔﾏﾀﾞｼﾖｳﾃﾝ');
      await screenshot(page, 'statements-01-list');

      await page.click(`#statements a[href="/admin/statements/${statementId}"]`);
      await expect(page.locator('#statement-lines tbody tr').count()).resolves.toBe(3);
      await expect(page.locator('#statement-lines tfoot').textContent()).resolves.toContain('¥11,610');
      await screenshot(page, 'statements-02-statement');

      const [utf8] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("UTF-8")')]);
      const utf8Bytes = readFileSync((await utf8.path())!);
      expect([...utf8Bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const utf8Text = utf8Bytes.subarray(3).toString('utf8');
      expect(utf8Text).toContain(`30000,${month}-01〜${lastDay},15000,3000,390,11610,0,11610,0,`);
      expect(utf8Text.split('\r\n').filter((l) => l.startsWith(month))).toHaveLength(3);

      const [sjis] = await Promise.all([
        page.waitForEvent('download'),
        page.click('a:has-text("Shift_JIS")'),
      ]);
      const sjisText = iconv.decode(readFileSync((await sjis.path())!), 'cp932');
      expect(sjisText.startsWith('加盟店,対象期間,売上,返金,手数料')).toBe(true);
      expect(sjisText).toContain(',返金,');

      const [pdf] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("PDF")')]);
      const pdfBytes = readFileSync((await pdf.path())!);
      const pdfText = pdfBytes.toString('latin1');
      expect(pdfText.startsWith('%PDF-')).toBe(true);
      expect(pdfText).toMatch(/\/BaseFont \/[A-Z]{6}\+IPAGothic/);
      expect(pdfText).toContain('/FontFile2');
    });

    it("answers 404 for another merchant's statement and its files", async () => {
      const page = await signedIn(users.otherAdmin);
      for (const path of ['', '.csv', '.pdf']) {
        const response = await page.request.get(`${stack.gatewayUrl}/admin/statements/${statementId}${path}`);
        expect(response.status()).toBe(404);
      }
      await page.goto(`${stack.gatewayUrl}/admin/statements`);
      await expect(page.locator('#statements').count()).resolves.toBe(0);
    });

    it('lets the operator make the transfer file, import the bank result and mark the payout paid', async () => {
      const page = await signedIn(users.operator);
      await page.click('nav a:has-text("振込")');
      page.on('dialog', (d) => void d.accept());
      await page.click('button:has-text("振込ファイルを作成")');
      await expect(page.locator('.notice.ok').textContent()).resolves.toMatch(
        /振込ファイル \d+ を作成しました/,
      );
      const [file] = await Promise.all([page.waitForEvent('download'), page.click('#zengin-files a')]);
      const transfer = readFileSync((await file.path())!);
      const records = transfer.toString('latin1').split('\r\n');
      expect(records.slice(0, 4).map((r) => r.length)).toEqual([120, 120, 120, 120]);
      // The bank answers "not transferred" (code 9): the payout stays sent, and the screen says which.
      transfer[122 + 113] = '9'.charCodeAt(0);
      await page.setInputFiles('#result-file', {
        name: 'result.txt',
        mimeType: 'text/plain',
        buffer: transfer,
      });
      await page.click('button:has-text("取り込む")');
      await expect(page.locator('.notice.warn').textContent()).resolves.toMatch(
        /0 件を振込済みにしました。振込できなかった振込: \d+/,
      );
      await expect(page.locator('#payouts tbody').textContent()).resolves.toContain('振込依頼済み');
      await page.click('#payouts button:has-text("振込済みにする")');
      await expect(page.locator('#payouts tbody').textContent()).resolves.toContain('振込済み');
      await expect(page.locator('#payouts tbody').textContent()).resolves.not.toContain('振込依頼済み');
      await screenshot(page, 'statements-03-payouts');
      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .select(['action', 'actor_email'])
        .where('action', 'in', ['payout.file', 'payout.bank-result', 'payout.paid'])
        .orderBy('id')
        .execute();
      expect(audit.map((a) => `${a.action} ${a.actor_email}`)).toEqual([
        `payout.file ${users.operator}`,
        `payout.bank-result ${users.operator}`,
        `payout.paid ${users.operator}`,
      ]);
      // Without the CSRF token the form is refused.
      const refused = await page.request.post(`${stack.gatewayUrl}/admin/payouts/file`, {
        form: { date: '2026-12-15' },
      });
      expect(refused.status()).toBe(403);
    });
  });
}
