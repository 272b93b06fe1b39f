import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeForm, signedPurchaseForm } from '../../src/channels/link/link-form';
import { DIALECTS } from '../support/databases';
import { PC_UA, type Stack, startStack, TEST_HASH_KEY } from '../support/stack';
import { linkError, rawRequest } from './robustness-http';

/**
 * The hosted pages read every body as bytes whatever its Content-Type says — JSON, text, or one
 * the framework cannot parse — and answer bad input with a gateway error page, never 1101/500
 * (merchant-link-type.md, A01-1).
 */
for (const dialect of DIALECTS) {
  describe(`hosted pages and odd Content-Types (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
    });
    afterAll(async () => {
      await stack?.close();
    });

    function signedBody(overrides: Record<string, string> = {}) {
      const fields = stack.purchaseFields(overrides);
      return {
        orderId: fields.order_id!,
        body: encodeForm(signedPurchaseForm(fields, TEST_HASH_KEY), 'windows-31j'),
      };
    }

    const purchase = (body: string, contentType: string) =>
      rawRequest(`${stack.gatewayUrl}/f01/FepBuyInfoReceive.do`, {
        headers: { 'Content-Type': contentType, 'User-Agent': PC_UA },
        body,
      });

    const paymentsOf = (orderId: string) =>
      stack.database.db.selectFrom('payments').select('status').where('order_id', '=', orderId).execute();

    it.each([
      ['a lone brace', '{'],
      ['an empty body', ''],
      ['the signed form itself', null],
    ])(
      'answers A01-1 posted as application/json with %s by a Link refusal or the form, not 1101/500',
      async (_, text) => {
        const { orderId, body } = signedBody();
        const answer = await purchase(text ?? body, 'application/json');
        expect(answer.status).not.toBe(500);
        expect(linkError(answer.text).code).not.toBe('1101');
        if (text !== null) expect(await paymentsOf(orderId)).toHaveLength(0);
      },
    );

    it.each([['!!!'], ['text/'], ['/json'], ['a b/c']])(
      'answers A01-1 with the unparseable Content-Type %j by a Link refusal or the form, not 1101/500',
      async (contentType) => {
        const { body } = signedBody();
        const answer = await purchase(body, contentType);
        expect(answer.status).not.toBe(500);
        expect(linkError(answer.text).code).not.toBe('1101');
      },
    );

    it('does not call the fields of a form posted as text/plain missing (5101): they were sent', async () => {
      const { orderId, body } = signedBody();
      const answer = await purchase(body, 'text/plain');
      // Read like every other body (303), or refused as unreadable (5103) — but not "merchant_id is missing".
      expect(linkError(answer.text).code).not.toBe('5101');
      if (answer.status === 303) expect(await paymentsOf(orderId)).toHaveLength(1);
    });

    it('answers an [Alipay+] or "return to shop" click carrying broken JSON without a 500', async () => {
      const fields = stack.purchaseFields({ pay_method: '' });
      expect((await stack.postPurchase(fields)).status).toBe(303);
      const { token } = await stack.database.db
        .selectFrom('payments')
        .select('token')
        .where('order_id', '=', fields.order_id!)
        .executeTakeFirstOrThrow();
      for (const action of ['alipayplus', 'cancel']) {
        const answer = await rawRequest(`${stack.gatewayUrl}/f01/payments/${token}/${action}`, {
          headers: { 'Content-Type': 'application/json' },
          body: '{',
        });
        expect({ action, status: answer.status }).not.toEqual({ action, status: 500 });
      }
    });
  });
}
