import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeForm, signedPurchaseForm } from '../../src/channels/link/link-form';
import { DIALECTS } from '../support/databases';
import { alipayMessages, PC_UA, type Stack, startStack, TEST_HASH_KEY } from '../support/stack';
import { httpChunk, linkError, rawExchange, rawRequest } from './robustness-http';

/**
 * A01-1 (`POST /f01/FepBuyInfoReceive.do`) against hostile and odd input over real HTTP: bad
 * escapes and bytes, control characters, repeated and countless fields, the 64 KiB edge, any
 * Content-Type, other methods, and identical requests at the same time. Every refusal names its
 * code (and field) and leaves no payment behind (merchant-link-type.md, A01-1).
 */
const FORM = 'application/x-www-form-urlencoded';
const UTF8_FORM = `${FORM}; charset=UTF-8`;

for (const dialect of DIALECTS) {
  describe(`A01-1 robustness (${dialect})`, () => {
    let stack: Stack;
    let endpoint: string;
    beforeAll(async () => {
      stack = await startStack(dialect);
      endpoint = `${stack.gatewayUrl}/f01/FepBuyInfoReceive.do`;
    });
    afterAll(async () => {
      await stack?.close();
    });

    /** A signed A01-1 body for fresh fields (Shift_JIS unless asked), and its order id. */
    function signedBody(
      overrides: Record<string, string> = {},
      charset: 'windows-31j' | 'utf-8' = 'windows-31j',
    ) {
      const fields = stack.purchaseFields(overrides);
      return {
        orderId: fields.order_id!,
        body: encodeForm(signedPurchaseForm(fields, TEST_HASH_KEY), charset),
      };
    }

    const post = (body: string | Buffer, headers: Record<string, string> = { 'Content-Type': FORM }) =>
      rawRequest(endpoint, { headers: { 'User-Agent': PC_UA, ...headers }, body });

    const paymentsOf = (orderId: string) =>
      stack.database.db
        .selectFrom('payments')
        .select(['tracking_id', 'token'])
        .where('order_id', '=', orderId)
        .execute();

    const paymentCount = async () =>
      Number(
        (
          await stack.database.db
            .selectFrom('payments')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    async function expectRefused(
      answer: Awaited<ReturnType<typeof post>>,
      orderId: string,
      code: string,
      field?: string | null,
    ) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers['content-type']).toContain('text/html');
      const shown = linkError(answer.text);
      expect(shown.code).toBe(code);
      if (field !== undefined) expect(shown.field).toBe(field);
      expect(await paymentsOf(orderId)).toHaveLength(0);
    }

    it('refuses a malformed percent-escape anywhere in the body with 5103, creating nothing', async () => {
      const corrupt: Array<(body: string) => string> = [
        (b) => b.replace(/item_id=[^&]*/, 'item_id=%zz'),
        (b) => `${b}&free9=%4`,
        (b) => `%G0=1&${b}`,
        (b) => `${b}%`,
      ];
      const unreadable = () =>
        stack.database.db
          .selectFrom('payment_errors')
          .select('id')
          .where('code', '=', '5103')
          .where('authenticated', '=', 0)
          .where('order_id', '=', '')
          .execute();
      const before = (await unreadable()).length;
      for (const corruption of corrupt) {
        const { orderId, body } = signedBody();
        await expectRefused(await post(corruption(body)), orderId, '5103', null);
      }
      // An unreadable body tells nothing, not even its order id: logged as such.
      expect(await unreadable()).toHaveLength(before + corrupt.length);
    });

    it.each([
      ['a lead byte followed by a space', '%81%20'],
      ['a lead byte at the end of the value', '%81'],
      ['0x80', '%80'],
      ['0xA0', '%A0'],
      ['0xFD', '%FD'],
    ])('refuses bytes that are not Shift_JIS (%s) with 5103 naming the field', async (_, bytes) => {
      const { orderId, body } = signedBody();
      const answer = await post(body.replace(/item_name=[^&]*/, `item_name=${bytes}`));
      await expectRefused(answer, orderId, '5103', 'item_name');
    });

    it('refuses UTF-8 declared in Content-Type over a Shift_JIS body with 5103', async () => {
      const { orderId, body } = signedBody();
      await expectRefused(await post(body, { 'Content-Type': UTF8_FORM }), orderId, '5103', 'item_name');
    });

    it.each([
      ['NUL inside item_name', { item_name: 'ab\u0000cd' }, 'item_name', 'windows-31j'],
      ['NUL inside order_id', { order_id: `NUL\u0000${Date.now()}` }, 'order_id', 'windows-31j'],
      ['ESC in free1', { free1: 'a\u001bb' }, 'free1', 'windows-31j'],
      ['DEL in cust_code', { cust_code: 'CUST\u007f' }, 'cust_code', 'windows-31j'],
      ['a bidi override in item_name', { item_name: 'abc\u202edef' }, 'item_name', 'utf-8'],
      ['a line feed inside item_id', { item_id: 'ITEM\n01' }, 'item_id', 'windows-31j'],
    ] as const)(
      'refuses %s, even correctly hashed, with 5103 naming the field',
      async (_, overrides, field, charset) => {
        const before = await paymentCount();
        const { body } = signedBody(overrides, charset);
        const answer = await post(body, { 'Content-Type': charset === 'utf-8' ? UTF8_FORM : FORM });
        expect(linkError(answer.text)).toEqual({ code: '5103', field });
        expect(answer.status).toBe(400);
        // Counted, not looked up: PostgreSQL cannot even be asked about a text holding NUL.
        expect(await paymentCount()).toBe(before);
      },
    );

    it.each([
      ['amount', '&amount=1'],
      ['sps_hashcode', '&sps_hashcode=0000000000000000000000000000000000000000'],
      ['order_id', '&order_id=ANOTHER-ORDER'],
      ['merchant_id', '&merchant_id=30000'],
    ])('refuses %s sent twice with 5103 naming it', async (field, extra) => {
      const { orderId, body } = signedBody();
      await expectRefused(await post(`${body}${extra}`), orderId, '5103', field);
      await expectRefused(await post(`${extra.slice(1)}&${body}`), orderId, '5103', field);
    });

    it('reads a body of thousands of unknown fields or empty segments, ignoring them', async () => {
      const before = await paymentCount();
      const many = signedBody();
      expect((await post(`${many.body}${'&x=1'.repeat(15_000)}`)).status).toBe(303);
      expect(await paymentsOf(many.orderId)).toHaveLength(1);
      const empty = signedBody();
      expect((await post(`${empty.body}${'&'.repeat(60_000)}`)).status).toBe(303);
      expect(await paymentsOf(empty.orderId)).toHaveLength(1);
      const equals = await post('='.repeat(65_536));
      expect(linkError(equals.text).code).toBe('5101');
      expect(await paymentCount()).toBe(before + 2);
    });

    it('accepts a valid form of exactly 64 KiB and refuses one byte more with 413 and 5103', async () => {
      const exact = signedBody();
      const padTo = (body: string, size: number) => `${body}&pad=${'p'.repeat(size - body.length - 5)}`;
      const fits = padTo(exact.body, 65_536);
      expect(Buffer.byteLength(fits)).toBe(65_536);
      expect((await post(fits)).status).toBe(303);
      expect(await paymentsOf(exact.orderId)).toHaveLength(1);

      const over = signedBody();
      const answer = await post(padTo(over.body, 65_537));
      expect(answer.status).toBe(413);
      await expectRefused(answer, over.orderId, '5103', null);
    });

    it('refuses a chunked body that grows past 64 KiB with 413 and 5103', async () => {
      const { orderId, body } = signedBody();
      const head = [
        'POST /f01/FepBuyInfoReceive.do HTTP/1.1',
        'Host: 127.0.0.1',
        `Content-Type: ${FORM}`,
        'Transfer-Encoding: chunked',
        'Connection: close',
        '',
        '',
      ].join('\r\n');
      const answer = await rawExchange(
        stack.gatewayUrl,
        `${head}${httpChunk(body)}${httpChunk(`&pad=${'p'.repeat(40_000)}`)}${httpChunk('p'.repeat(40_000))}0\r\n\r\n`,
      );
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
      expect(linkError(answer).code).toBe('5103');
      expect(await paymentsOf(orderId)).toHaveLength(0);
    });

    it('refuses an empty body with 5101 naming the first required field', async () => {
      const variants: Array<Record<string, string>> = [
        {},
        { 'Content-Type': FORM },
        { 'Content-Type': FORM, 'Content-Length': '0' },
      ];
      for (const headers of variants) {
        const answer = await post('', headers);
        expect(answer.status).toBe(400);
        expect(linkError(answer.text)).toEqual({ code: '5101', field: 'merchant_id' });
      }
    });

    it.each([
      ['no Content-Type at all', {}],
      ['upper case', { 'Content-Type': FORM.toUpperCase() }],
      ['a quoted charset label', { 'Content-Type': `${FORM}; charset="windows-31j"` }],
      ['an unknown charset label (read as Shift_JIS)', { 'Content-Type': `${FORM}; charset=ebcdic` }],
      ['multipart/form-data', { 'Content-Type': 'multipart/form-data; boundary=x' }],
      ['a vendor type', { 'Content-Type': 'application/vnd.example+json' }],
    ])('reads the form bytes whatever the Content-Type says: %s', async (_, headers) => {
      const { orderId, body } = signedBody();
      const answer = await post(body, headers);
      expect(answer.status).toBe(303);
      expect(await paymentsOf(orderId)).toHaveLength(1);
    });

    it('answers GET, HEAD, PUT, DELETE and PATCH with 404, never creating a payment', async () => {
      const before = await paymentCount();
      for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH']) {
        const { body } = signedBody();
        // Node's client cannot frame a DELETE body reliably; the route does not exist either way.
        const withBody = method === 'PUT' || method === 'PATCH';
        const answer = await rawRequest(endpoint, {
          method,
          headers: withBody ? { 'Content-Type': FORM, 'User-Agent': PC_UA } : { 'User-Agent': PC_UA },
          body: withBody ? body : undefined,
        });
        expect([404, 405]).toContain(answer.status);
      }
      expect(await paymentCount()).toBe(before);
    });

    it('makes exactly one payment of identical requests sent at the same time; the others resume it', async () => {
      for (const payMethod of ['', '', 'alipay']) {
        const { orderId, body } = signedBody({ pay_method: payMethod });
        const answers = await Promise.all(Array.from({ length: 8 }, () => post(body)));
        expect(answers.map((a) => a.status)).toEqual(Array(8).fill(303));
        const payments = await paymentsOf(orderId);
        expect(payments).toHaveLength(1);
        const page = `/f01/payments/${payments[0]!.token}`;
        const locations = answers.map((a) => a.headers.location);
        expect(locations.filter((l) => l === page).length).toBeGreaterThanOrEqual(7);
        const duplicates = await stack.database.db
          .selectFrom('payment_errors')
          .select('authenticated')
          .where('order_id', '=', orderId)
          .execute();
        expect(duplicates).toEqual([]);
        if (payMethod === 'alipay') {
          const pays = await alipayMessages(stack, payments[0]!.tracking_id, 'pay');
          expect(pays).toHaveLength(1);
        }
      }
    });
  });
}
