import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildXmlApiRequest, readXmlApiResponse } from '../../src/channels/xml-api/xml-client';
import { INQUIRY_FUNCTION, REFUND_FUNCTION } from '../../src/channels/xml-api/xml-request';
import type { PaymentRow } from '../../src/db/database';
import { formatJstCompact } from '../../src/kernel/jst';
import { setApiPassword } from '../../src/merchants/api-password';
import { DIALECTS } from '../support/databases';
import { capturedPayment, type Stack, startStack, TEST_HASH_KEY } from '../support/stack';
import { rawRequest } from './robustness-http';

/**
 * `POST /api/xmlapi.do` against malformed credentials and every way of writing — or mis-writing —
 * an XML document (merchant-xml-api.md, Transport). Markup that does not change the values (CDATA,
 * comments, references, attributes, processing instructions, padding) leaves the merchant's own
 * `sps_hashcode` valid; everything not well formed is 99900999 at once; nothing refused changes
 * anything. Every answer is XML, never a 500.
 */
const API_PASSWORD = 'kessai-test-api-password-0001';
const BASIC = `Basic ${Buffer.from(`30000001:${API_PASSWORD}`).toString('base64')}`;

for (const dialect of DIALECTS) {
  describe(`XML API robustness (${dialect})`, () => {
    let stack: Stack;
    let endpoint: string;
    let payment: PaymentRow;
    beforeAll(async () => {
      stack = await startStack(dialect);
      endpoint = `${stack.gatewayUrl}/api/xmlapi.do`;
      await setApiPassword(stack.database.db, '30000', '001', API_PASSWORD);
      payment = await capturedPayment(stack);
    });
    afterAll(async () => {
      await stack?.close();
    });

    const fields = () => ({
      merchantId: '30000',
      serviceId: '001',
      trackingId: payment.tracking_id,
      requestDate: formatJstCompact(stack.clock.now()),
    });
    /** A signed inquiry as text (Shift_JIS is ASCII here), to be re-marked-up without changing its values. */
    const inquiry = () => buildXmlApiRequest(INQUIRY_FUNCTION, fields(), TEST_HASH_KEY).toString('latin1');
    /** A signed full refund: what a refused document must never turn into. */
    const refund = () => buildXmlApiRequest(REFUND_FUNCTION, fields(), TEST_HASH_KEY).toString('latin1');

    async function call(body: string | Buffer, headers: Record<string, string> = {}) {
      const answer = await rawRequest(endpoint, {
        headers: { 'Content-Type': 'text/xml', Authorization: BASIC, ...headers },
        body: typeof body === 'string' ? iconv.encode(body, 'cp932') : body,
      });
      expect(answer.status).not.toBe(500);
      expect(answer.headers['content-type']).toBe('text/xml; charset=Shift_JIS');
      return { status: answer.status, ...readXmlApiResponse(answer.body) };
    }

    async function sideEffects() {
      const db = stack.database.db;
      const [refunds, hashes] = await Promise.all([
        db.selectFrom('refunds').select('refund_id').execute(),
        db.selectFrom('xml_inquiry_hashes').select('id').execute(),
      ]);
      return { refunds: refunds.length, inquiryHashes: hashes.length };
    }

    it.each([
      [
        'a value in CDATA',
        (x: string) => x.replace('<merchant_id>30000<', '<merchant_id><![CDATA[30000]]><'),
      ],
      [
        'a value split by CDATA',
        (x: string) => x.replace('<merchant_id>30000<', '<merchant_id>300<![CDATA[00]]><'),
      ],
      [
        'character references',
        (x: string) => x.replace('<merchant_id>30000<', '<merchant_id>&#51;&#x30;000<'),
      ],
      [
        'comments between elements',
        (x: string) =>
          x
            .replace('<service_id>', '<!-- a --><service_id>')
            .replace('</service_id>', '</service_id><!-- b -->'),
      ],
      [
        'a comment inside a value',
        (x: string) => x.replace('<merchant_id>30000<', '<merchant_id>300<!-- x -->00<'),
      ],
      ['an attribute on an element', (x: string) => x.replace('<merchant_id>', '<merchant_id lang="ja">')],
      [
        'a default namespace on the root',
        (x: string) => x.replace('<sps-api-request ', '<sps-api-request xmlns="urn:example" '),
      ],
      [
        '5 000 attributes on the root',
        (x: string) =>
          x.replace(
            '<sps-api-request ',
            `<sps-api-request ${Array.from({ length: 5000 }, (_, i) => `a${i}="1"`).join(' ')} `,
          ),
      ],
      ['a processing instruction', (x: string) => x.replace('<service_id>', '<?merchant note?><service_id>')],
      [
        '60 000 spaces around a value',
        (x: string) => x.replace('<merchant_id>30000<', `<merchant_id>30000${' '.repeat(60_000)}<`),
      ],
      [
        'an empty element written out',
        (x: string) => x.replace('<sps_transaction_id/>', '<sps_transaction_id></sps_transaction_id>'),
      ],
      ['no XML declaration', (x: string) => x.replace(/^<\?xml[^>]*\?>\s*/, '')],
      [
        'a single-quoted declaration',
        (x: string) => x.replace('version="1.0" encoding="Shift_JIS"', "version='1.0' encoding='Shift_JIS'"),
      ],
      ['a declaration naming MS932', (x: string) => x.replace('encoding="Shift_JIS"', 'encoding="MS932"')],
    ])('verifies the merchant’s own hash through %s', async (_, markup) => {
      const answer = await call(markup(inquiry()));
      expect(answer.status).toBe(200);
      expect(answer.fields).toMatchObject({ res_result: 'OK', res_err_code: '' });
    });

    it('reads UTF-8 after a byte-order mark when the declaration says UTF-8', async () => {
      const utf8 = buildXmlApiRequest(INQUIRY_FUNCTION, fields(), TEST_HASH_KEY, 'utf-8');
      const answer = await call(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]));
      expect(answer.fields.res_result).toBe('OK');
    });

    it('answers everything not well formed with 99900999 at once, making no refund', async () => {
      const xml = refund();
      const head = xml.slice(0, xml.indexOf('<merchant_id>'));
      const tail = xml.slice(xml.indexOf('<merchant_id>'));
      const bytes = (...parts: Array<string | number[]>) =>
        Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
      const documents: Array<[string, string | Buffer]> = [
        [
          'a billion laughs',
          `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]>${xml.replace(/^<\?xml[^>]*\?>/, '').replace('<service_id>001<', '<service_id>&j;<')}`,
        ],
        [
          'an entity declared after the root opened',
          xml.replace('<merchant_id>', '<!ENTITY x "y"><merchant_id>'),
        ],
        ['a byte-order mark before a Shift_JIS declaration', bytes([0xef, 0xbb, 0xbf], xml)],
        [
          'a byte-order mark without a declaration',
          bytes([0xef, 0xbb, 0xbf], xml.replace(/^<\?xml[^>]*\?>\s*/, '')),
        ],
        [
          'UTF-16',
          Buffer.concat([
            Buffer.from([0xff, 0xfe]),
            iconv.encode(xml.replace('Shift_JIS', 'UTF-16'), 'utf16le'),
          ]),
        ],
        [
          'a declaration claiming UTF-8 over Shift_JIS bytes',
          bytes(head.replace('Shift_JIS', 'UTF-8'), '<!--', [0x93, 0xfa, 0x96, 0x7b], '-->', tail),
        ],
        ['invalid UTF-8', bytes(head.replace('Shift_JIS', 'UTF-8'), '<!--', [0xc3, 0x28], '-->', tail)],
        ['invalid Shift_JIS', bytes(head, '<!--', [0x81, 0x20], '-->', tail)],
        ['a raw NUL', xml.replace('<merchant_id>30000<', '<merchant_id>30000\u0000<')],
        ['a reference to NUL', xml.replace('<merchant_id>30000<', '<merchant_id>30000&#0;<')],
        [
          'a reference beyond Unicode',
          xml.replace('<merchant_id>30000<', '<merchant_id>&#99999999999999999999;<'),
        ],
        ['an undeclared entity', xml.replace('<merchant_id>30000<', '<merchant_id>&nbsp;30000<')],
        ['two roots', `${xml}<sps-api-request id="${REFUND_FUNCTION}"/>`],
        ['text after the root', `${xml}trailing`],
        ['a second declaration', `${xml}<?xml version="1.0"?>`],
        ['text directly in the root', xml.replace('<merchant_id>', 'loose text<merchant_id>')],
        ['an unclosed element', xml.replace('</merchant_id>', '')],
        ['mismatched case in a closing tag', xml.replace('</merchant_id>', '</Merchant_id>')],
        [
          'elements 20 deep',
          xml.replace('<limit_second/>', `<limit_second/>${'<a>'.repeat(20)}${'</a>'.repeat(20)}`),
        ],
        [
          'elements 9 000 deep',
          xml.replace('<limit_second/>', `<limit_second/>${'<a>'.repeat(9000)}${'</a>'.repeat(9000)}`),
        ],
        [
          '20 000 unclosed elements',
          xml.replace('<limit_second/>', `<limit_second/>${'<a>'.repeat(20_000)}`),
        ],
        ['an empty body', ''],
        ['a form instead of XML', 'merchant_id=30000&service_id=001'],
      ];
      const before = await sideEffects();
      const started = Date.now();
      for (const [name, document] of documents) {
        const answer = await call(document);
        expect({ name, status: answer.status, code: answer.fields.res_err_code }).toEqual({
          name,
          status: 200,
          code: '99900999',
        });
        expect(answer.fields.res_result).toBe('NG');
      }
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await sideEffects()).toEqual(before);
    });

    it.each([
      [
        'a namespace-prefixed field',
        (x: string) =>
          x.replace(
            /<merchant_id>30000<\/merchant_id>/,
            '<a:merchant_id xmlns:a="urn:a">30000</a:merchant_id>',
          ),
        '51006999',
      ],
      [
        'an element named after an Object method',
        (x: string) => x.replace('<limit_second/>', '<limit_second/><hasOwnProperty>1</hasOwnProperty>'),
        '51006999',
      ],
      [
        '15 000 unknown empty elements',
        (x: string) => x.replace('<limit_second/>', `<limit_second/>${'<b/>'.repeat(15_000)}`),
        '51006999',
      ],
      [
        'a field given twice',
        (x: string) => x.replace('<limit_second/>', '<limit_second/><limit_second/>'),
        '51006024',
      ],
      [
        'a 60 000-digit merchant_id',
        (x: string) => x.replace('<merchant_id>30000<', `<merchant_id>${'3'.repeat(60_000)}<`),
        '51005001',
      ],
      [
        'a tab inside a value',
        (x: string) => x.replace('<merchant_id>30000<', '<merchant_id>300\t00<'),
        '51006001',
      ],
      [
        'a full-width digit',
        (x: string) => x.replace('<merchant_id>30000<', '<merchant_id>３0000<'),
        '51006001',
      ],
      [
        'a field holding an element',
        (x: string) => x.replace('<merchant_id>30000<', '<merchant_id>30000<x/><'),
        '51006001',
      ],
    ])('refuses %s as a field error under the function id, making no refund', async (_, markup, code) => {
      const before = await sideEffects();
      const answer = await call(markup(refund()));
      expect(answer.status).toBe(200);
      expect(answer.id).toBe(REFUND_FUNCTION);
      expect(answer.fields).toMatchObject({ res_result: 'NG', res_err_code: code });
      expect(await sideEffects()).toEqual(before);
    });

    it.each([
      ['no Authorization header', null],
      ['an empty header', ''],
      ['another scheme', `Bearer ${Buffer.from(`30000001:${API_PASSWORD}`).toString('base64')}`],
      ['the scheme alone', 'Basic'],
      ['the scheme and a space', 'Basic '],
      ['not base64', 'Basic ####'],
      ['base64 without a colon', `Basic ${Buffer.from('30000001').toString('base64')}`],
      [
        'bytes that are not UTF-8',
        `Basic ${Buffer.from([0x33, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x31, 0x3a, 0xff, 0xfe, 0x80]).toString('base64')}`,
      ],
      ['two credentials', `${BASIC}, ${BASIC}`],
      [
        'a user with a service id too many',
        `Basic ${Buffer.from(`300000011:${API_PASSWORD}`).toString('base64')}`,
      ],
      [
        'the password with a trailing space',
        `Basic ${Buffer.from(`30000001:${API_PASSWORD} `).toString('base64')}`,
      ],
      ['12 KiB of base64', `Basic ${'QUFB'.repeat(3072)}`],
    ])('answers %s with 401 and 99914001 in XML, doing nothing', async (_, authorization) => {
      const before = await sideEffects();
      const headers: Record<string, string> = authorization === null ? {} : { Authorization: authorization };
      const answer = await rawRequest(endpoint, {
        headers: { 'Content-Type': 'text/xml', ...headers },
        body: Buffer.from(refund(), 'latin1'),
      });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Basic realm="kessai"');
      expect(readXmlApiResponse(answer.body).fields).toMatchObject({
        res_result: 'NG',
        res_err_code: '99914001',
      });
      expect(await sideEffects()).toEqual(before);
    });

    it('accepts the Basic scheme in any case, with extra spaces and without base64 padding', async () => {
      const token = Buffer.from(`30000001:${API_PASSWORD}`).toString('base64');
      for (const authorization of [
        `basic ${token}`,
        `BASIC ${token}`,
        `Basic   ${token}`,
        `Basic ${token.replace(/=+$/, '')}`,
      ]) {
        expect((await call(inquiry(), { Authorization: authorization })).fields.res_result).toBe('OK');
      }
    });

    it('reads credentials as UTF-8: a non-ASCII password verifies in UTF-8, not in Latin-1', async () => {
      const password = 'pässwörd-決済-0001';
      await setApiPassword(stack.database.db, '30000', '001', password);
      try {
        const as = (encoding: BufferEncoding) =>
          `Basic ${Buffer.from(`30000001:${password}`, encoding).toString('base64')}`;
        expect((await call(inquiry(), { Authorization: as('utf8') })).fields.res_result).toBe('OK');
        const latin1 = await call(inquiry(), { Authorization: as('latin1') });
        expect(latin1.status).toBe(401);
        expect(latin1.fields.res_err_code).toBe('99914001');
      } finally {
        await setApiPassword(stack.database.db, '30000', '001', API_PASSWORD);
      }
    });

    it.each([
      ['no Content-Type', { 'Content-Type': '' }],
      ['application/json', { 'Content-Type': 'application/json' }],
      ['application/x-www-form-urlencoded', { 'Content-Type': 'application/x-www-form-urlencoded' }],
      ['multipart/form-data', { 'Content-Type': 'multipart/form-data; boundary=x' }],
      ['text/xml with a UTF-8 charset', { 'Content-Type': 'text/xml; charset=UTF-8' }],
      ['an unparseable type', { 'Content-Type': '!!' }],
    ])('answers a request with %s in XML, never a 500', async (_, headers) => {
      const answer = await call(inquiry(), headers);
      expect([200, 415]).toContain(answer.status);
      expect(['OK', 'NG']).toContain(answer.fields.res_result);
    });

    it('answers identical inquiries sent at the same time alike', async () => {
      const body = inquiry();
      const answers = await Promise.all(Array.from({ length: 10 }, () => call(body)));
      for (const answer of answers) {
        expect(answer.fields).toMatchObject({ res_result: 'OK', 'res_pay_method_info/payment_status': '2' });
      }
    });
  });
}
