import { createServer, type Server } from 'node:http';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildXmlApiRequest } from '../../src/channels/xml-api/xml-client';
import { readXmlDocument, type XmlDocument } from '../../src/channels/xml-api/xml-document';
import { hashedValues, xmlHashMatches, xmlRequestHash } from '../../src/channels/xml-api/xml-hash';
import { readXmlRequest } from '../../src/channels/xml-api/xml-request';
import { SPEC_HASH_KEY } from '../support/spec-vectors';

const HASH_KEY = SPEC_HASH_KEY;
const VECTOR_HASH = '1e0dec144a56cbf47ef13c03f4585ae4ea2f7ef6';

/** The refund request of merchant-xml-api.md, comments and all, with the test vector's values. */
const SPEC_EXAMPLE = `<?xml version="1.0" encoding="Shift_JIS"?>
<sps-api-request id="ST02-00306-510">
  <merchant_id>30000</merchant_id>
  <service_id>001</service_id>
  <sps_transaction_id></sps_transaction_id>        <!-- optional: the purchase's transaction id (from MG01); checked if given -->
  <tracking_id>12345678901234</tracking_id>          <!-- required: res_tracking_id from A02-1 -->
  <processing_datetime></processing_datetime>        <!-- optional, YYYYMMDDHHMMSS, stored -->
  <pay_option_manage>                                <!-- optional block: an amount = partial refund -->
    <amount>500</amount>                             <!-- 1..remaining, yen -->
  </pay_option_manage>
  <request_date>20261127103000</request_date>        <!-- required, JST -->
  <limit_second>600</limit_second>                   <!-- optional, ≤ 9999, default 600 -->
  <sps_hashcode>${VECTOR_HASH}</sps_hashcode>
</sps-api-request>
`;

const sjis = (text: string) => iconv.encode(text, 'cp932');

function read(bytes: Uint8Array): XmlDocument {
  const result = readXmlDocument(bytes);
  if (!result.ok) throw new Error(`refused: ${result.refusal}`);
  return result.document;
}

function refusal(bytes: Uint8Array | string) {
  const result = readXmlDocument(typeof bytes === 'string' ? sjis(bytes) : bytes);
  return result.ok ? 'accepted' : result.refusal;
}

describe('XML API request hash through the document walker', () => {
  it('matches the test vector of the spec for its refund request, comments included', () => {
    const document = read(sjis(SPEC_EXAMPLE));
    expect(document.charset).toBe('windows-31j');
    expect(document.id).toBe('ST02-00306-510');
    expect(hashedValues(document)).toEqual([
      '30000',
      '001',
      '',
      '12345678901234',
      '',
      '500',
      '20261127103000',
      '600',
    ]);
    expect(xmlRequestHash(document, HASH_KEY)).toBe(VECTOR_HASH);
    expect(xmlHashMatches(document, HASH_KEY, VECTOR_HASH.toUpperCase())).toBe(true);
    expect(xmlHashMatches(document, `${HASH_KEY}x`, VECTOR_HASH)).toBe(false);
  });

  it('signs what the client builder writes with the same rule', () => {
    const body = buildXmlApiRequest(
      'ST02-00306-510',
      {
        merchantId: '30000',
        serviceId: '001',
        trackingId: '12345678901234',
        amount: '500',
        requestDate: '20261127103000',
        limitSecond: '600',
      },
      HASH_KEY,
    );
    expect(body.toString('latin1')).toContain(`<sps_hashcode>${VECTOR_HASH}</sps_hashcode>`);
    expect(xmlRequestHash(read(body), HASH_KEY)).toBe(VECTOR_HASH);
  });

  it('ignores ASCII whitespace around values but not inside the hash of nested blocks', () => {
    const spaced = SPEC_EXAMPLE.replace('<amount>500</amount>', '<amount>\n      500 \t</amount>');
    expect(xmlRequestHash(read(sjis(spaced)), HASH_KEY)).toBe(VECTOR_HASH);
    const moved = SPEC_EXAMPLE.replace('<amount>500</amount>', '<amount>501</amount>');
    expect(xmlRequestHash(read(sjis(moved)), HASH_KEY)).not.toBe(VECTOR_HASH);
  });

  it('reads a body that declares UTF-8 as UTF-8, and hashes the bytes of that encoding', () => {
    const utf8 = SPEC_EXAMPLE.replace('encoding="Shift_JIS"', 'encoding="UTF-8"').replace(
      '<merchant_id>',
      '<!-- 返金 --><merchant_id>',
    );
    const document = read(Buffer.from(utf8, 'utf8'));
    expect(document.charset).toBe('utf-8');
    expect(xmlRequestHash(document, HASH_KEY)).toBe(VECTOR_HASH);
    // The same Japanese comment in Shift_JIS bytes is not UTF-8.
    expect(refusal(sjis(utf8))).toBe('encoding');
  });

  it('reads a body without a declaration as Shift_JIS', () => {
    const bare = SPEC_EXAMPLE.replace(/^<\?xml[^>]*>\n/, '').replace(
      '<merchant_id>',
      '<!-- 返金 --><merchant_id>',
    );
    expect(read(sjis(bare)).charset).toBe('windows-31j');
  });

  it('resolves the predefined entities and character references, and reads CDATA literally', () => {
    const document = read(
      sjis(
        '<sps-api-request id="MG01-00101-510"><a>&lt;&amp;&#51;&#x30;</a><b><![CDATA[&amp;<]]></b></sps-api-request>',
      ),
    );
    expect(document.elements.map((e) => e.text)).toEqual(['<&30', '&amp;<']);
  });
});

describe('XML API document refusals', () => {
  let server: Server;
  let fetched = 0;
  let url = '';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetched++;
      res.end('<!ENTITY leak "secret">');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses a DOCTYPE with external entities without fetching or expanding anything', async () => {
    const xxe = SPEC_EXAMPLE.replace(
      '<sps-api-request',
      `<!DOCTYPE sps-api-request [<!ENTITY xxe SYSTEM "${url}/entity"><!ENTITY % remote SYSTEM "${url}/dtd"> %remote;]>\n<sps-api-request`,
    ).replace('12345678901234', '&xxe;');
    expect(refusal(xxe)).toBe('doctype');
    const file = SPEC_EXAMPLE.replace(
      '<sps-api-request',
      '<!DOCTYPE r [<!ENTITY f SYSTEM "file:///etc/passwd">]><sps-api-request',
    ).replace('30000', '&f;');
    expect(refusal(file)).toBe('doctype');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fetched).toBe(0);
  });

  it('refuses an entity bomb at once, and a bare DOCTYPE or ENTITY in any case', () => {
    let bomb = '<!DOCTYPE lolz [<!ENTITY lol "lol">';
    for (let i = 1; i < 10; i++) bomb += `<!ENTITY lol${i} "${`&lol${i - 1 || ''};`.repeat(10)}">`;
    bomb += ']><sps-api-request id="MG01-00101-510"><a>&lol9;</a></sps-api-request>';
    const started = performance.now();
    expect(refusal(bomb)).toBe('doctype');
    expect(performance.now() - started).toBeLessThan(100);
    expect(refusal('<!doctype sps-api-request><sps-api-request/>')).toBe('doctype');
    expect(refusal('<sps-api-request><!ENTITY x "y"></sps-api-request>')).toBe('doctype');
  });

  it('refuses an entity that would need a declaration', () => {
    expect(refusal(SPEC_EXAMPLE.replace('30000', '&xxe;'))).toBe('malformed');
    expect(refusal(SPEC_EXAMPLE.replace('30000', 'a & b'))).toBe('malformed');
    expect(refusal(SPEC_EXAMPLE.replace('30000', '&#0;'))).toBe('malformed');
  });

  it.each([
    ['an empty body', ''],
    ['text only', 'hello'],
    ['an unclosed element', '<sps-api-request id="MG01-00101-510"><merchant_id>30000</sps-api-request>'],
    ['a closing tag in another case', '<sps-api-request><merchant_id>1</Merchant_id></sps-api-request>'],
    ['two roots', '<sps-api-request/><sps-api-request/>'],
    ['text after the root', '<sps-api-request/>trailing'],
    ['a declaration not at the start', ' <?xml version="1.0"?><sps-api-request/>'],
    ['a second declaration', '<sps-api-request><?xml version="1.0"?></sps-api-request>'],
    ['a broken declaration', '<?xml encoding="Shift_JIS"?><sps-api-request/>'],
    ['a control character', '<sps-api-request><a>\u0001</a></sps-api-request>'],
    ['a repeated attribute', '<sps-api-request id="a" id="b"/>'],
    ['nesting far beyond the protocol', `${'<a>'.repeat(50)}${'</a>'.repeat(50)}`],
  ])('refuses %s as not well formed', (_, text) => {
    expect(refusal(text)).toBe('malformed');
  });

  it('refuses an encoding it does not speak, and a byte-order mark on Shift_JIS', () => {
    expect(refusal(SPEC_EXAMPLE.replace('Shift_JIS', 'EUC-JP'))).toBe('encoding');
    expect(refusal(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), sjis(SPEC_EXAMPLE)]))).toBe('encoding');
    expect(refusal(Buffer.from([0x3c, 0x61, 0x3e, 0x82, 0x3c, 0x2f, 0x61, 0x3e]))).toBe('encoding');
  });
});

describe('XML API values and tag names', () => {
  const check = (xml: string) => {
    const result = readXmlRequest(read(sjis(xml)));
    return result.ok ? 'OK' : result.code;
  };

  it('accepts the spec example', () => {
    expect(check(SPEC_EXAMPLE)).toBe('OK');
  });

  it('refuses a tab, CR or LF inside a value as a format error of that field', () => {
    expect(check(SPEC_EXAMPLE.replace('12345678901234', '1234567\t8901234'))).toBe('51006027');
    expect(check(SPEC_EXAMPLE.replace('<amount>500', '<amount>5\r\n00'))).toBe('51006008');
    expect(check(SPEC_EXAMPLE.replace('20261127103000', '20261127&#9;103000'))).toBe('51006023');
  });

  it('is case-sensitive: a known name in another case is a format error of that field, never ignored', () => {
    expect(check(SPEC_EXAMPLE.replace(/tracking_id>/g, 'Tracking_ID>'))).toBe('51006027');
    // An ignored <Amount> would have made a partial refund a full one.
    expect(check(SPEC_EXAMPLE.replace(/amount>/g, 'Amount>'))).toBe('51006008');
    expect(
      check(
        SPEC_EXAMPLE.replace('<sps-api-request id=', '<SPS-API-REQUEST id=').replace(
          '</sps-api-request>',
          '</SPS-API-REQUEST>',
        ),
      ),
    ).toBe('99900999');
    expect(check(SPEC_EXAMPLE.replace('ST02-00306-510', 'st02-00306-510'))).toBe('99902000');
  });
});
