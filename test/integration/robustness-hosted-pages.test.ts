import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentRow } from '../../src/db/database';
import { DIALECTS } from '../support/databases';
import { alipayMessages, type Stack, startStack } from '../support/stack';
import { linkError, rawRequest } from './robustness-http';

/**
 * The hosted pages behind `/f01/payments/{token}` against bad tokens, wrong methods, oversized
 * bodies and a shopper's impatient clicks: however the requests interleave, a payment makes one
 * transition, gets one `paymentRequestId` and is cancelled once (merchant-link-type.md,
 * Method-selection screen; payment-lifecycle.md).
 */
for (const dialect of DIALECTS) {
  describe(`hosted pages robustness (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
    });
    afterAll(async () => {
      await stack?.close();
    });

    /** A payment on the method-selection screen (REQUESTED). */
    async function selectionPayment(): Promise<PaymentRow> {
      const fields = stack.purchaseFields({ pay_method: '' });
      expect((await stack.postPurchase(fields)).status).toBe(303);
      return stack.payment({ orderId: fields.order_id! });
    }

    /** A payment sent straight to Alipay+ (IN_PROGRESS, cashier created). */
    async function inProgressPayment(): Promise<PaymentRow> {
      const fields = stack.purchaseFields();
      expect((await stack.postPurchase(fields)).status).toBe(303);
      return stack.payment({ orderId: fields.order_id! });
    }

    const pageUrl = (token: string, action = '') => `${stack.gatewayUrl}/f01/payments/${token}${action}`;
    const click = (token: string, action: string) =>
      fetch(pageUrl(token, action), { method: 'POST', redirect: 'manual' });

    const events = (payment: PaymentRow) =>
      stack.database.db
        .selectFrom('payment_events')
        .select(['from_status', 'to_status'])
        .where('tracking_id', '=', payment.tracking_id)
        .orderBy('id')
        .execute();

    const merchantNotices = (payment: PaymentRow) =>
      stack.database.db
        .selectFrom('notifications')
        .select(['result', 'err_code'])
        .where('tracking_id', '=', payment.tracking_id)
        .execute();

    it('sends the pages with their security headers and a policy that admits only the nonced style and script', async () => {
      const payment = await selectionPayment();
      const page = await fetch(pageUrl(payment.token));
      const html = await page.text();
      expect(page.status).toBe(200);
      const csp = page.headers.get('content-security-policy')!;
      const nonce = /^default-src 'none';style-src 'nonce-([A-Za-z0-9+/=]+)';/.exec(csp)![1]!;
      expect(csp).toBe(
        `default-src 'none';style-src 'nonce-${nonce}';script-src 'nonce-${nonce}';img-src 'self' data:;frame-ancestors 'none';base-uri 'none'`,
      );
      expect(html).toContain(`<style nonce="${nonce}">`);
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('cache-control')).toBe('no-store');
      // Only these: none of helmet's other defaults, and no HSTS on the hosted pages.
      for (const absent of ['strict-transport-security', 'cross-origin-opener-policy', 'x-xss-protection']) {
        expect(page.headers.get(absent)).toBeNull();
      }
    });

    it('answers malformed and unknown tokens with the 5108 page on every route, never a 500', async () => {
      const tokens = [
        'short',
        'a'.repeat(33),
        `${'a'.repeat(31)}%21`,
        `${'a'.repeat(31)}.`,
        '%00'.repeat(32),
        'A'.repeat(32),
        encodeURIComponent('../'.repeat(11)),
      ];
      for (const token of tokens) {
        for (const [method, action] of [
          ['GET', ''],
          ['GET', '/return'],
          ['POST', '/alipayplus'],
          ['POST', '/cancel'],
        ] as const) {
          const answer = await rawRequest(pageUrl(token, action), { method });
          expect([404, 400]).toContain(answer.status);
          if (answer.status === 404 && answer.headers['content-type']?.includes('text/html')) {
            expect(linkError(answer.text).code).toBe('5108');
          }
        }
      }
      // A path that does not even decode is the HTTP layer's 400.
      expect((await rawRequest(pageUrl('%ZZ', '/cancel'))).status).toBe(400);
    });

    it('shows and echoes markup from the merchant’s fields only escaped', async () => {
      const fields = stack.purchaseFields({
        pay_method: '',
        order_id: `ORDER-${Date.now()}"><script>`,
        item_name: '<img src=x onerror=alert(1)>',
        free1: '"><script>x</script>',
        cancel_url: `${stack.merchant.url}/cancel?next="><script>alert(2)</script>`,
      });
      const selection = (await stack.postPurchase(fields)).headers.get('location')!;
      const page = await (await fetch(`${stack.gatewayUrl}${selection}`)).text();
      expect(page).toContain('&lt;img src=x onerror=alert(1)>');
      expect(page).not.toContain('<img src=x');

      const back = await fetch(`${stack.gatewayUrl}${selection}/cancel`, { method: 'POST' });
      const form = Buffer.from(await back.arrayBuffer()).toString('latin1');
      expect(back.status).toBe(200);
      expect(form).not.toMatch(/<script>(x|alert)/);
      expect(form).toContain('action="http://127.0.0.1');
      expect(form).toContain('?next=&quot;>');
      expect(form).toContain('name="free1" value="&quot;>&lt;script>x&lt;/script>"');
    });

    it('answers wrong methods with 404 and leaves the payment as it was', async () => {
      const payment = await selectionPayment();
      for (const [method, action] of [
        ['GET', '/alipayplus'],
        ['GET', '/cancel'],
        ['POST', '/return'],
        ['POST', ''],
        ['PUT', ''],
        ['DELETE', ''],
        ['PATCH', '/cancel'],
      ] as const) {
        expect((await rawRequest(pageUrl(payment.token, action), { method })).status).toBe(404);
      }
      const after = await stack.payment({ orderId: payment.order_id });
      expect(after.status).toBe('REQUESTED');
      expect(after.payment_request_id).toBeNull();
      expect(await events(payment)).toEqual([]);
    });

    it('refuses an oversized body on a page action with 413 and leaves the payment as it was', async () => {
      const payment = await selectionPayment();
      for (const action of ['/alipayplus', '/cancel']) {
        const answer = await rawRequest(pageUrl(payment.token, action), {
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: `x=${'y'.repeat(70_000)}`,
        });
        expect(answer.status).toBe(413);
      }
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('REQUESTED');
      expect(await events(payment)).toEqual([]);
    });

    it('sends one paymentRequestId to Alipay+ however often [Alipay+] is clicked at once', async () => {
      for (let round = 0; round < 3; round++) {
        const payment = await selectionPayment();
        const answers = await Promise.all(
          Array.from({ length: 6 }, () => click(payment.token, '/alipayplus')),
        );
        expect(answers.map((a) => a.status)).toEqual(Array(6).fill(303));
        const cashiers = new Set(answers.map((a) => a.headers.get('location')));
        expect(cashiers.size).toBe(1);
        expect([...cashiers][0]).toContain('/sandbox/cashier/');

        const after = await stack.payment({ orderId: payment.order_id });
        expect(after.status).toBe('IN_PROGRESS');
        expect(await events(payment)).toEqual([{ from_status: 'REQUESTED', to_status: 'IN_PROGRESS' }]);
        // Each click may (re-)send `pay`, but always the same request: Alipay+ keeps one order.
        const pays = await alipayMessages(stack, payment.tracking_id, 'pay');
        expect(pays.length).toBeGreaterThanOrEqual(1);
        const ids = new Set(
          pays.map((p) => (JSON.parse(p.request_body) as { paymentRequestId: string }).paymentRequestId),
        );
        expect([...ids]).toEqual([after.payment_request_id]);
      }
    });

    it('settles "return to shop" racing [Alipay+] one way only, and answers both clicks consistently', async () => {
      for (let round = 0; round < 4; round++) {
        const payment = await selectionPayment();
        const [cancel, choose] = await Promise.all([
          click(payment.token, '/cancel'),
          click(payment.token, '/alipayplus'),
        ]);
        const after = await stack.payment({ orderId: payment.order_id });
        const moves = await events(payment);
        expect(moves).toHaveLength(1);
        const pays = await alipayMessages(stack, payment.tracking_id, 'pay');
        if (after.status === 'CANCELED') {
          expect(moves[0]).toEqual({ from_status: 'REQUESTED', to_status: 'CANCELED' });
          expect(pays).toHaveLength(0);
          // Both clicks land on the A03-1 form to cancel_url.
          for (const answer of [cancel, choose]) {
            expect(answer.status).toBe(200);
            expect(await answer.text()).toContain('/cancel"');
          }
          expect(await merchantNotices(payment)).toEqual([{ result: 'CN', err_code: '6102' }]);
        } else {
          expect(after.status).toBe('IN_PROGRESS');
          expect(moves[0]).toEqual({ from_status: 'REQUESTED', to_status: 'IN_PROGRESS' });
          expect(choose.status).toBe(303);
          expect(choose.headers.get('location')).toContain('/sandbox/cashier/');
          // The cancel lost: the shopper is shown the confirming page, which offers "cancel and return".
          expect(cancel.status).toBe(303);
          expect(cancel.headers.get('location')).toBe(`/f01/payments/${payment.token}/return`);
          expect(await merchantNotices(payment)).toEqual([]);
        }
      }
    });

    it('cancels once however often "return to shop" is clicked at once on the selection screen', async () => {
      const payment = await selectionPayment();
      const answers = await Promise.all(Array.from({ length: 6 }, () => click(payment.token, '/cancel')));
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('CANCELED');
      expect(await events(payment)).toEqual([{ from_status: 'REQUESTED', to_status: 'CANCELED' }]);
      expect(await merchantNotices(payment)).toEqual([{ result: 'CN', err_code: '6102' }]);
    });

    it('cancels at Alipay+ once however often "cancel and return" is clicked at once', async () => {
      const payment = await inProgressPayment();
      const answers = await Promise.all(Array.from({ length: 5 }, () => click(payment.token, '/cancel')));
      for (const answer of answers) {
        // The click that cancelled shows the A03-1 form; the others the confirming page, which then shows it.
        expect(answer.status === 200 || answer.headers.get('location')?.endsWith('/return')).toBe(true);
      }
      expect((await stack.payment({ orderId: payment.order_id })).status).toBe('CANCELED');
      expect(await alipayMessages(stack, payment.tracking_id, 'cancelPayment')).toHaveLength(1);
      expect(await events(payment)).toEqual([
        { from_status: 'REQUESTED', to_status: 'IN_PROGRESS' },
        { from_status: 'IN_PROGRESS', to_status: 'CANCELED' },
      ]);
      expect(await merchantNotices(payment)).toEqual([{ result: 'CN', err_code: '6102' }]);
    });
  });
}
