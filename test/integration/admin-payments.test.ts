import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jstLocalValue } from '../../src/admin/payment-search';
import { jstDate } from '../../src/kernel/jst';
import { DIALECTS } from '../support/databases';
import { eventually, type Stack, simulatePay, startStack } from '../support/stack';
import {
  buyCaptured,
  ConsoleClient,
  paymentRow,
  resultsOf,
  seedConsole,
  TEST_PASSWORD,
  type TestUsers,
} from './admin-client';

/**
 * Search, CSV, the billing-information screen with its refund and re-send buttons, and the
 * dashboard's rollups, over real HTTP on both databases (admin.md, Screens 1–3).
 */
const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  describe(`console payments (${dialect})`, () => {
    let stack: Stack;
    let users: TestUsers;
    let admin: ConsoleClient;

    beforeAll(async () => {
      stack = await startStack(dialect);
      users = await seedConsole(stack.database.db, `p-${dialect}`);
      admin = new ConsoleClient(stack.gatewayUrl);
      expect((await admin.signIn(users.admin, TEST_PASSWORD)).status).toBe(303);
    });
    afterAll(async () => {
      await stack?.close();
    });

    const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
    const rowsOf = (html: string) =>
      [...resultsOf(html).matchAll(/href="\/admin\/payments\/(\w+)"/g)].map((m) => m[1]!);

    it('pages through a result set by keyset, newest first in a stable order, without repeats', async () => {
      const base = Date.now() - 2 * DAY;
      const rows = Array.from({ length: 120 }, (_, i) =>
        // Pairs of payments share an instant: the tracking id breaks the tie.
        paymentRow({ cust_code: `PAGE-${dialect}`, received_at: base + Math.floor(i / 2) * 1000 }),
      );
      await stack.database.db.insertInto('payments').values(rows).execute();
      const expected = [...rows]
        .sort((a, b) => b.received_at - a.received_at || (a.tracking_id < b.tracking_id ? 1 : -1))
        .map((r) => r.tracking_id);

      const seen: string[] = [];
      let path = `/admin/payments?${q({ from: jstLocalValue(new Date(base - DAY)), cust_code: `PAGE-${dialect}` })}`;
      for (let pageNo = 0; pageNo < 5; pageNo++) {
        const page = await admin.page(path);
        expect(page.status).toBe(200);
        seen.push(...rowsOf(page.html));
        const next = /<a href="([^"]+)" rel="next">/.exec(page.html);
        if (!next) break;
        path = next[1]!.replace(/&amp;/g, '&');
      }
      expect(seen).toEqual(expected);
    });

    it('applies the filters inside the order-date range and refuses a missing "from" or a range over a year', async () => {
      const at = Date.now() - 3 * DAY;
      const tag = `FILTER-${dialect}`;
      const rows = [
        paymentRow({ cust_code: tag, amount: 1000, status: 'CAPTURED', wallet: 'GCASH', received_at: at }),
        paymentRow({
          cust_code: tag,
          amount: 5000,
          status: 'FAILED',
          wallet: 'DANA',
          received_at: at + 120_000,
        }),
        paymentRow({
          cust_code: tag,
          amount: 9000,
          status: 'CAPTURED',
          wallet: 'DANA',
          received_at: at + 240_000,
        }),
        paymentRow({
          cust_code: tag,
          amount: 3000,
          status: 'CAPTURED',
          wallet: 'GCASH',
          received_at: at - 10 * DAY,
        }),
      ];
      await stack.database.db.insertInto('payments').values(rows).execute();
      const from = jstLocalValue(new Date(at - DAY));
      const found = async (extra: Record<string, string>) =>
        rowsOf((await admin.page(`/admin/payments?${q({ from, cust_code: tag, ...extra })}`)).html).sort();
      const ids = (...i: number[]) => i.map((n) => rows[n]!.tracking_id).sort();

      expect(await found({})).toEqual(ids(0, 1, 2));
      expect(await found({ status: 'CAPTURED' })).toEqual(ids(0, 2));
      expect(await found({ sub_brand: 'DANA' })).toEqual(ids(1, 2));
      expect(await found({ amount_min: '2,000', amount_max: '9000' })).toEqual(ids(1, 2));
      expect(await found({ order_id: rows[2]!.order_id })).toEqual(ids(2));
      expect(await found({ tracking_id: rows[1]!.tracking_id })).toEqual(ids(1));
      // "to" is inclusive of its whole minute.
      expect(await found({ to: jstLocalValue(new Date(at + 60_000)) })).toEqual(ids(0));
      expect(
        rowsOf(
          (
            await admin.page(
              `/admin/payments?${q({ from: jstLocalValue(new Date(at - 20 * DAY)), cust_code: tag })}`,
            )
          ).html,
        ).sort(),
      ).toEqual(ids(0, 1, 2, 3));

      const missing = await admin.page(`/admin/payments?${q({ from: '', cust_code: tag })}`);
      expect(missing.status).toBe(400);
      expect(missing.html).toContain('受付日時（から）を入力してください。');
      const tooLong = await admin.page(
        `/admin/payments?${q({ from: '2025-01-01T00:00', to: '2026-01-01T00:00' })}`,
      );
      expect(tooLong.status).toBe(400);
      expect(tooLong.html).toContain('検索期間は1年以内にしてください。');
      const bad = await admin.page(`/admin/payments?${q({ from: '2026-02-30', status: 'PAID' })}`);
      expect(bad.status).toBe(400);
      expect(rowsOf(bad.html)).toEqual([]);
    });

    it('streams the whole result set as CSV in UTF-8 with a BOM and in Shift_JIS', async () => {
      const at = Date.now() - 4 * DAY;
      const tag = `CSV-${dialect}`;
      const rows = Array.from({ length: 2_345 }, (_, i) =>
        paymentRow({
          cust_code: tag,
          received_at: at + i,
          amount: 1000 + i,
          item_name: i === 0 ? '=HYPERLINK("x")' : i === 1 ? '抹茶セット, "特選"' : '抹茶セット',
        }),
      );
      for (let i = 0; i < rows.length; i += 500) {
        await stack.database.db
          .insertInto('payments')
          .values(rows.slice(i, i + 500))
          .execute();
      }
      const query = q({ from: jstLocalValue(new Date(at - DAY)), cust_code: tag });

      const utf8 = await admin.fetch(`/admin/payments.csv?${query}`);
      expect(utf8.status).toBe(200);
      expect(utf8.headers.get('content-type')).toBe('text/csv; charset=UTF-8');
      expect(utf8.headers.get('content-disposition')).toMatch(
        /^attachment; filename="payments-\d{14}-utf8\.csv"$/,
      );
      expect(utf8.headers.get('content-length')).toBeNull();
      const bytes = Buffer.from(await utf8.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = bytes.subarray(3).toString('utf8');
      const lines = text.split('\r\n');
      expect(lines[0]).toBe(
        'トラッキングID,オーダーID,受付日時,金額,返金額,ステータスコード,ステータス,サブブランド,顧客ID,加盟店ID,サービスID,商品ID,商品名,決済日時',
      );
      expect(lines).toHaveLength(rows.length + 2);
      expect(lines[lines.length - 1]).toBe('');
      const newest = rows[rows.length - 1]!;
      expect(lines[1]).toContain(`${newest.tracking_id},${newest.order_id},`);
      expect(lines[1]).toContain(',3344,0,CAPTURED,売上済,GCASH,');
      expect(text).toContain(`'=HYPERLINK(""x"")`);
      expect(text).toContain('"抹茶セット, ""特選"""');

      const sjis = await admin.fetch(`/admin/payments.csv?${query}&encoding=sjis`);
      expect(sjis.headers.get('content-type')).toBe('text/csv; charset=Shift_JIS');
      const decoded = iconv.decode(Buffer.from(await sjis.arrayBuffer()), 'cp932');
      expect(decoded).toBe(text);

      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .select('detail')
        .where('action', '=', 'payments.csv')
        .execute();
      expect(audit.length).toBeGreaterThanOrEqual(2);
    });

    it('names the UTF-8 and the Shift_JIS downloads apart', async () => {
      const query = q({ from: jstLocalValue(new Date(Date.now() - DAY)) });
      const sjis = await admin.fetch(`/admin/payments.csv?${query}&encoding=sjis`);
      expect(sjis.headers.get('content-disposition')).toMatch(
        /^attachment; filename="payments-\d{14}-sjis\.csv"$/,
      );
      await sjis.arrayBuffer();
    });

    it('lists a failed payment with the wallet the shopper chose, on screen and in the CSV', async () => {
      const fields = stack.purchaseFields({ amount: '1200' });
      const response = await stack.postPurchase(fields);
      const cashierUrl = response.headers.get('location')!;
      expect((await simulatePay(stack, { cashierUrl, wallet: 'DANA', user: 'nofunds' })).status).toBe('FAIL');
      await eventually(async () => (await stack.payment({ orderId: fields.order_id! })).status === 'FAILED');
      expect((await stack.payment({ orderId: fields.order_id! })).wallet).toBe('DANA');
      const query = q({ from: jstLocalValue(new Date(Date.now() - DAY)), order_id: fields.order_id! });
      const list = await admin.page(`/admin/payments?${query}`);
      expect(resultsOf(list.html)).toContain('DANA');
      const csv = await (await admin.fetch(`/admin/payments.csv?${query}`)).text();
      expect(csv.split('\r\n')[1]).toContain('DANA');
    });

    it('labels the detail rows in words, not protocol names, and shows a viewer no empty actions card', async () => {
      const payment = paymentRow({
        details: JSON.stringify([{ dtl_rowno: '1', dtl_item_name: '抹茶', dtl_amount: '1500' }]),
      });
      await stack.database.db.insertInto('payments').values(payment).execute();
      const page = await admin.page(`/admin/payments/${payment.tracking_id}`);
      expect(page.html).toContain('<th scope="col" title="dtl_item_name">商品名</th>');
      expect(page.html).not.toContain('>dtl_item_name<');
      expect(page.html).toContain('id="actions"');
      const viewer = new ConsoleClient(stack.gatewayUrl);
      expect((await viewer.signIn(users.viewer, TEST_PASSWORD)).status).toBe(303);
      const seen = await viewer.page(`/admin/payments/${payment.tracking_id}`);
      expect(seen.status).toBe(200);
      expect(seen.html).not.toContain('id="actions"');
      expect(seen.html).toContain(payment.order_id);
    });

    it('shows the billing information: basic tab, then history, notifications and Alipay+ messages', async () => {
      const payment = await buyCaptured(stack, { tax: '136', free1: 'gift', item_name: '抹茶セット' });
      const basic = await admin.page(`/admin/payments/${payment.tracking_id}`);
      expect(basic.status).toBe(200);
      for (const text of [
        'Kessai デモショップ (30000)',
        payment.order_id,
        '抹茶セット',
        '¥1,500',
        '¥136',
        'free1: gift',
        '売上済',
        'GCash',
        payment.alipay_payment_id!,
      ]) {
        expect(basic.html).toContain(text);
      }
      expect(basic.html).toContain('id="refund-full"');
      expect(basic.html).toContain('全額返金（¥1,500）');

      await stack.merchant.waitForNotifications(1);
      const details = await admin.page(`/admin/payments/${payment.tracking_id}?tab=details`);
      expect(details.html).toContain('受付済');
      expect(details.html).toContain('処理中');
      expect(details.html).toContain('shopper chose Alipay+');
      expect(details.html).toMatch(/<td>200<\/td><td class="wrap">OK,/);
      expect(details.html).toContain('notifyPayment');
      expect(details.html).toContain('&quot;paymentRequestId&quot;');
      expect(details.html).not.toMatch(/signature=/);
    });

    it('re-sends the result notification and records it', async () => {
      const payment = await buyCaptured(stack);
      const notices = () =>
        stack.merchant.notifications.filter((n) => n.fields.res_tracking_id === payment.tracking_id);
      const until = Date.now() + 5000;
      while (notices().length < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
      const response = await admin.post(`/admin/payments/${payment.tracking_id}/notifications/resend`);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(
        `/admin/payments/${payment.tracking_id}?tab=details&resent=1`,
      );
      const again = Date.now() + 5000;
      while (notices().length < 2 && Date.now() < again) await new Promise((r) => setTimeout(r, 25));
      expect(notices()).toHaveLength(2);
      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .selectAll()
        .where('action', '=', 'notification.resend')
        .where('target', '=', payment.tracking_id)
        .executeTakeFirstOrThrow();
      expect(audit.actor_email).toBe(users.admin);
      expect(audit.merchant_id).toBe('30000');
    });

    it('refunds partly, then the rest; the buttons go and the screen says why', async () => {
      const payment = await buyCaptured(stack);
      const path = `/admin/payments/${payment.tracking_id}`;
      const nonce = () => /name="nonce" value="([^"]+)"/.exec(lastPage)![1]!;
      let lastPage = (await admin.page(path)).html;

      const over = await admin.post(`${path}/refunds`, { kind: 'partial', amount: '2000', nonce: nonce() });
      expect(over.status).toBe(422);
      expect(await over.text()).toContain('返金額が返金可能残額（¥1,500）を超えています。');
      const junk = await admin.post(`${path}/refunds`, { kind: 'partial', amount: '五百', nonce: nonce() });
      expect(junk.status).toBe(422);

      const partialNonce = nonce();
      const partial = await admin.post(`${path}/refunds`, {
        kind: 'partial',
        amount: '５００',
        nonce: partialNonce,
      });
      expect(partial.status).toBe(303);
      const shown = await admin.page(partial.headers.get('location')!);
      expect(shown.html).toContain('¥500 の返金が完了しました。');
      expect(shown.html).toContain('全額返金（¥1,000）');
      // The same form sent twice is one refund.
      const twice = await admin.post(`${path}/refunds`, {
        kind: 'partial',
        amount: '500',
        nonce: partialNonce,
      });
      expect(twice.status).toBe(303);
      expect(twice.headers.get('location')).toContain('replayed=1');

      lastPage = shown.html;
      const full = await admin.post(`${path}/refunds`, { kind: 'full', nonce: nonce() });
      expect(full.status).toBe(303);
      const done = await admin.page(full.headers.get('location')!);
      expect(done.html).toContain('¥1,000 の返金が完了しました。');
      expect(done.html).not.toContain('id="refund-full"');
      expect(done.html).not.toContain('id="refund-partial"');
      expect(done.html).toContain('返金可能な残額はありません');
      expect(done.html).toContain('返金済');

      const refunds = await stack.database.db
        .selectFrom('refunds')
        .selectAll()
        .where('tracking_id', '=', payment.tracking_id)
        .execute();
      expect(refunds.map((r) => [r.amount, r.status, r.channel, r.requested_by])).toEqual([
        [500, 'SUCCEEDED', 'CONSOLE', users.admin],
        [1000, 'SUCCEEDED', 'CONSOLE', users.admin],
      ]);
      const audited = await stack.database.db
        .selectFrom('admin_audit')
        .select('action')
        .where('target', '=', payment.tracking_id)
        .execute();
      expect(audited.filter((a) => a.action === 'refund')).toHaveLength(2);
      expect(audited.filter((a) => a.action === 'refund.refused')).toHaveLength(2);

      const again = await admin.post(`${path}/refunds`, { kind: 'full', nonce: 'x'.repeat(22) });
      expect(again.status).toBe(409);
      expect(await again.text()).toContain('返金可能な残額がありません。');
    });

    it('shows the amount captured to check when the merchant answered NG to its result', async () => {
      const payment = paymentRow({ status: 'CAPTURED', amount: 500 });
      await stack.database.db.insertInto('payments').values(payment).execute();
      const base = {
        tracking_id: payment.tracking_id,
        result: 'OK',
        err_code: '',
        attempts: 1,
        created_at: Date.now(),
        next_attempt_at: null,
        finished_at: Date.now(),
      };
      const before = await admin.page(`/admin/payments/${payment.tracking_id}`);
      expect(before.html).not.toContain('id="amount-check"');
      const notification = await stack.database.db
        .insertInto('notifications')
        .values({ ...base, status: 'REFUSED', last_answer: 'NG,amount 1500 expected' })
        .returning('id')
        .executeTakeFirstOrThrow();
      await stack.database.db
        .insertInto('notification_attempts')
        .values({
          notification_id: Number(notification.id),
          at: Date.now(),
          http_status: 200,
          answer: 'NG,amount <1500> expected',
          error: null,
          duration_ms: 5,
        })
        .execute();
      const page = await admin.page(`/admin/payments/${payment.tracking_id}`);
      const alert = /<div id="amount-check"[^>]*>([^<]*)<\/div>/.exec(page.html)?.[1] ?? '';
      expect(alert).toContain('¥500');
      expect(alert).toContain('NG,amount &lt;1500> expected'); // escaped
    });

    it('raises money Alipay+ reported for a failed payment, with the state of its reversal', async () => {
      const failed = paymentRow({ status: 'FAILED', wallet: null, paid_at: null, amount: 1500 });
      await stack.database.db.insertInto('payments').values(failed).execute();
      await stack.database.db
        .insertInto('late_payments')
        .values({
          tracking_id: failed.tracking_id,
          merchant_id: failed.merchant_id,
          status: 'NEEDS_OPERATOR',
          amount_value: '1500',
          amount_currency: 'JPY',
          wallet: 'GCASH',
          alipay_payment_id: null,
          reported_at: Date.now(),
          resolved_at: null,
          note: 'cancel refused at Alipay+: CANCEL_WINDOW_EXCEED',
        })
        .execute();
      const page = await admin.page(`/admin/payments/${failed.tracking_id}`);
      const alert = /<div id="late-payment"[^>]*>([^<]*)<\/div>/.exec(page.html)?.[1] ?? '';
      expect(alert).toContain('¥1,500');
      expect(alert).toContain('運用担当者の対応が必要です');
      expect(alert).toContain('CANCEL_WINDOW_EXCEED');
    });

    it('refuses refunds after the refund period and in a state without money, saying why', async () => {
      const old = paymentRow({ received_at: Date.UTC(2024, 0, 10, 3), status: 'CAPTURED' });
      const failed = paymentRow({ status: 'FAILED', wallet: null, paid_at: null });
      await stack.database.db.insertInto('payments').values([old, failed]).execute();

      const oldPage = await admin.page(`/admin/payments/${old.tracking_id}`);
      expect(oldPage.html).toContain('返金期限（2025-01-08）を過ぎたため返金できません。');
      expect(oldPage.html).not.toContain('id="refund-full"');
      const late = await admin.post(`/admin/payments/${old.tracking_id}/refunds`, {
        kind: 'full',
        nonce: 'y'.repeat(22),
      });
      expect(late.status).toBe(409);
      expect(await late.text()).toContain('返金期限（2025-01-08）を過ぎています。');

      const failedPage = await admin.page(`/admin/payments/${failed.tracking_id}`);
      expect(failedPage.html).toContain('ステータスが「失敗」の伝票は返金できません。');
      const wrong = await admin.post(`/admin/payments/${failed.tracking_id}/refunds`, {
        kind: 'partial',
        amount: '100',
        nonce: 'z'.repeat(22),
      });
      expect(wrong.status).toBe(409);
      const none = await stack.database.db
        .selectFrom('refunds')
        .select('refund_id')
        .where('tracking_id', 'in', [old.tracking_id, failed.tracking_id])
        .execute();
      expect(none).toHaveLength(0);
    });

    it('keeps rollups in step with state changes and shows them on the dashboard', async () => {
      const scope = stack.database.db
        .selectFrom('payment_rollups')
        .selectAll()
        .where('merchant_id', '=', '30000');
      const before = await scope.execute();
      const sum = (rows: typeof before, status: string, subBrand?: string) =>
        rows
          .filter((r) => r.status === status && (subBrand === undefined || r.sub_brand === subBrand))
          .reduce((a, r) => ({ count: a.count + Number(r.count), amount: a.amount + Number(r.amount) }), {
            count: 0,
            amount: 0,
          });

      const payment = await buyCaptured(stack, { amount: '2500' });
      const after = await scope.execute();
      expect(sum(after, 'IN_PROGRESS').count - sum(before, 'IN_PROGRESS').count).toBe(1);
      expect(sum(after, 'CAPTURED', 'GCASH').count - sum(before, 'CAPTURED', 'GCASH').count).toBe(1);
      expect(sum(after, 'CAPTURED', 'GCASH').amount - sum(before, 'CAPTURED', 'GCASH').amount).toBe(2500);

      const page = await admin.page(`/admin/payments/${payment.tracking_id}`);
      const nonce = /name="nonce" value="([^"]+)"/.exec(page.html)![1]!;
      expect(
        (
          await admin.post(`/admin/payments/${payment.tracking_id}/refunds`, {
            kind: 'partial',
            amount: '700',
            nonce,
          })
        ).status,
      ).toBe(303);
      const refunded = await scope.execute();
      expect(sum(refunded, 'REFUND', 'GCASH').amount - sum(after, 'REFUND', 'GCASH').amount).toBe(700);

      const dashboard = await admin.page('/admin');
      expect(dashboard.status).toBe(200);
      const today = (await scope.execute()).filter((r) => r.day === jstDate(stack.clock.now()));
      const captured = sum(today, 'CAPTURED');
      expect(dashboard.html).toContain(`¥${captured.amount.toLocaleString('en-US')}`);
      expect(dashboard.html).toContain(`¥${sum(today, 'REFUND').amount.toLocaleString('en-US')}`);
      expect(dashboard.html).toMatch(/<svg class="chart"[^>]*role="img"/);
      expect(dashboard.html).toMatch(
        /<rect [^>]*fill="#[0-9a-f]{6}"><title>\d{4}-\d{2}-\d{2} GCash ¥[\d,]+<\/title>/,
      );

      // An A02-1 that never got through is listed for attention, with a link to the payment.
      const undelivered = await stack.database.db
        .insertInto('notifications')
        .values({
          tracking_id: payment.tracking_id,
          result: 'OK',
          err_code: '',
          status: 'UNDELIVERED',
          attempts: 8,
          created_at: Date.now(),
          next_attempt_at: null,
          finished_at: Date.now(),
          last_answer: 'no answer in time',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const attention = await admin.page('/admin');
      expect(attention.html).toContain('1 件の結果通知が加盟店に届いていません。');
      expect(attention.html).toContain(`href="/admin/payments/${payment.tracking_id}?tab=details"`);
      expect(attention.html).toContain('no answer in time');
      await stack.database.db.deleteFrom('notifications').where('id', '=', undelivered.id).execute();

      const other = new ConsoleClient(stack.gatewayUrl);
      await other.signIn(users.otherAdmin, TEST_PASSWORD);
      expect((await other.page('/admin')).html).not.toContain(`¥${captured.amount.toLocaleString('en-US')}`);
    });
  });
}
