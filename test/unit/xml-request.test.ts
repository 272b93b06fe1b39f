import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { readXmlDocument } from '../../src/channels/xml-api/xml-document';
import {
  isWithinValidity,
  readXmlRequest,
  refundReplayKey,
  validUntil,
  type XmlRequestFields,
} from '../../src/channels/xml-api/xml-request';

const HASH = '1e0dec144a56cbf47ef13c03f4585ae4ea2f7ef6';
type Values = Record<string, string | null>;

const REFUND: Values = {
  merchant_id: '30000',
  service_id: '001',
  sps_transaction_id: '',
  tracking_id: '12345678901234',
  processing_datetime: '',
  amount: '500',
  request_date: '20261127103000',
  limit_second: '600',
  sps_hashcode: HASH,
};

/** A request document; a `null` value leaves the element out, `amount` sits in pay_option_manage. */
function requestXml(values: Values, id = 'ST02-00306-510'): string {
  let body = '';
  for (const [name, value] of Object.entries(values)) {
    if (value === null) continue;
    body +=
      name === 'amount'
        ? `<pay_option_manage><amount>${value}</amount></pay_option_manage>`
        : `<${name}>${value}</${name}>`;
  }
  return `<?xml version="1.0" encoding="Shift_JIS"?><sps-api-request id="${id}">${body}</sps-api-request>`;
}

function read(xml: string) {
  const document = readXmlDocument(iconv.encode(xml, 'cp932'));
  if (!document.ok) throw new Error(document.refusal);
  return readXmlRequest(document.document);
}

const codeOf = (xml: string) => {
  const result = read(xml);
  return result.ok ? 'OK' : result.code;
};
const refundCode = (changes: Values) => codeOf(requestXml({ ...REFUND, ...changes }));

function fieldsOf(xml: string): XmlRequestFields {
  const result = read(xml);
  if (!result.ok) throw new Error(result.code);
  return result.fields;
}

describe('ST02-00306-510 field checks', () => {
  it('reads a valid partial refund', () => {
    const result = read(requestXml(REFUND));
    expect(result).toMatchObject({
      ok: true,
      functionId: 'ST02-00306-510',
      fields: {
        merchantId: '30000',
        serviceId: '001',
        spsTransactionId: null,
        trackingId: '12345678901234',
        processingDatetime: null,
        amount: 500,
        requestDate: '20261127103000',
        limitSecond: 600,
        spsHashcode: HASH,
      },
    });
  });

  it.each([
    ['merchant_id', '51003001'],
    ['service_id', '51003002'],
    ['tracking_id', '51003027'],
    ['request_date', '51003023'],
    ['sps_hashcode', '51003025'],
  ])('refuses a missing or empty %s (%s)', (name, code) => {
    expect(refundCode({ [name]: null })).toBe(code);
    expect(refundCode({ [name]: '' })).toBe(code);
    expect(refundCode({ [name]: '  ' })).toBe(code);
  });

  it.each([
    ['merchant_id', '300000', '51005001'],
    ['service_id', '0011', '51005002'],
    ['sps_transaction_id', 'A'.repeat(33), '51005026'],
    ['tracking_id', '123456789012345', '51005027'],
    ['processing_datetime', '202611271030000', '51005029'],
    ['amount', '12345678', '51005008'],
    ['request_date', '202611271030000', '51005023'],
    ['limit_second', '10000', '51005024'],
    ['sps_hashcode', `${HASH}0`, '51005025'],
  ])('refuses a too long %s %s (%s)', (name, value, code) => {
    expect(refundCode({ [name]: value })).toBe(code);
  });

  it.each([
    ['merchant_id', '3000', '51006001'],
    ['merchant_id', '3000a', '51006001'],
    ['service_id', '01', '51006002'],
    ['sps_transaction_id', 'ABC-123', '51006026'],
    ['tracking_id', '1234567890123', '51006027'],
    ['processing_datetime', '20261332103000', '51006029'],
    ['amount', 'abc', '51006008'],
    ['amount', '-100', '51006008'],
    ['amount', '-12345678', '51006008'],
    ['amount', '12.5', '51006008'],
    ['amount', '５００', '51006008'],
    ['amount', '1,000', '51006008'],
    ['request_date', '20260230103000', '51006023'],
    ['limit_second', '60s', '51006024'],
    ['sps_hashcode', 'g'.repeat(40), '51006025'],
    ['sps_hashcode', HASH.slice(1), '51006025'],
  ])('refuses a badly formed %s %s (%s)', (name, value, code) => {
    expect(refundCode({ [name]: value })).toBe(code);
  });

  it('refuses a zero amount as a value not allowed (51007008), whatever its digits', () => {
    expect(refundCode({ amount: '0' })).toBe('51007008');
    expect(refundCode({ amount: '0000000' })).toBe('51007008');
  });

  it('reads leading zeros as the same amount, and trims ASCII whitespace', () => {
    expect(fieldsOf(requestXml({ ...REFUND, amount: '0500' })).amount).toBe(500);
    expect(fieldsOf(requestXml({ ...REFUND, amount: ' 9999999\n' })).amount).toBe(9_999_999);
  });

  it('reads no amount, an empty block and an empty amount as a full refund', () => {
    const full = [
      requestXml({ ...REFUND, amount: null }),
      requestXml(REFUND).replace(
        '<pay_option_manage><amount>500</amount></pay_option_manage>',
        '<pay_option_manage></pay_option_manage>',
      ),
      requestXml(REFUND).replace(
        '<pay_option_manage><amount>500</amount></pay_option_manage>',
        '<pay_option_manage/>',
      ),
      requestXml(REFUND).replace('<amount>500</amount>', '<amount/>'),
      requestXml(REFUND).replace('<amount>500</amount>', '<amount></amount>'),
      requestXml(REFUND).replace('<amount>500</amount>', '\n  <amount> </amount>\n'),
    ];
    for (const xml of full) expect(fieldsOf(xml).amount).toBeNull();
  });

  it('takes limit_second 600 when it is empty', () => {
    expect(fieldsOf(requestXml({ ...REFUND, limit_second: '' })).limitSecond).toBe(600);
    expect(fieldsOf(requestXml({ ...REFUND, limit_second: '30' })).limitSecond).toBe(30);
  });

  it('refuses elements the function does not have, repeated ones, and misplaced ones', () => {
    expect(codeOf(requestXml(REFUND).replace('<limit_second>', '<free1>x</free1><limit_second>'))).toBe(
      '51006999',
    );
    expect(
      codeOf(
        requestXml(REFUND).replace(
          '<limit_second>',
          '<tracking_id>12345678901234</tracking_id><limit_second>',
        ),
      ),
    ).toBe('51006027');
    // An amount outside pay_option_manage is not taken for a full refund.
    expect(
      codeOf(
        requestXml({ ...REFUND, amount: null }).replace(
          '<limit_second>',
          '<amount>500</amount><limit_second>',
        ),
      ),
    ).toBe('51006008');
    expect(codeOf(requestXml(REFUND).replace('<amount>500</amount>', '<amount><x>500</x></amount>'))).toBe(
      '51006008',
    );
    expect(codeOf(requestXml(REFUND).replace('<pay_option_manage>', '<pay_option_manage>500'))).toBe(
      '51006999',
    );
    expect(
      codeOf(
        requestXml(REFUND).replace(
          '<merchant_id>30000</merchant_id>',
          '<merchant_id><m>30000</m></merchant_id>',
        ),
      ),
    ).toBe('51006001');
  });

  it('refuses an unknown, missing or other-case function id (99902000) and another root (99900999)', () => {
    expect(codeOf(requestXml(REFUND, 'ST01-00101-510'))).toBe('99902000');
    expect(codeOf(requestXml(REFUND, 'st02-00306-510'))).toBe('99902000');
    expect(codeOf(requestXml(REFUND).replace(' id="ST02-00306-510"', ''))).toBe('99902000');
    expect(codeOf(requestXml(REFUND).replace(/sps-api-request/g, 'sps-api-response'))).toBe('99900999');
  });
});

describe('MG01-00101-510 field checks', () => {
  const INQUIRY: Values = { ...REFUND, processing_datetime: null, amount: null };

  it('reads an inquiry', () => {
    expect(codeOf(requestXml(INQUIRY, 'MG01-00101-510'))).toBe('OK');
  });

  it('has no amount and no processing date', () => {
    expect(codeOf(requestXml({ ...INQUIRY, amount: '500' }, 'MG01-00101-510'))).toBe('51006999');
    expect(codeOf(requestXml({ ...INQUIRY, processing_datetime: '' }, 'MG01-00101-510'))).toBe('51006999');
  });
});

describe('request validity and replay key', () => {
  const fields = fieldsOf(requestXml(REFUND));
  // 2026-11-27 10:30:00 JST.
  const requestedAt = new Date('2026-11-27T01:30:00Z');

  it('is valid from 600 s before request_date to request_date + limit_second', () => {
    expect(validUntil(fields)).toEqual(new Date(requestedAt.getTime() + 600_000));
    expect(isWithinValidity(fields, new Date(requestedAt.getTime() + 600_000))).toBe(true);
    expect(isWithinValidity(fields, new Date(requestedAt.getTime() + 600_001))).toBe(false);
    expect(isWithinValidity(fields, new Date(requestedAt.getTime() - 600_000))).toBe(true);
    expect(isWithinValidity(fields, new Date(requestedAt.getTime() - 600_001))).toBe(false);
    const short = { ...fields, limitSecond: 5 };
    expect(isWithinValidity(short, new Date(requestedAt.getTime() + 5_001))).toBe(false);
  });

  it('identifies a refund by merchant, service, tracking id, amount or FULL, and request_date only', () => {
    expect(refundReplayKey(fields)).toBe('30000|001|12345678901234|500|20261127103000');
    expect(refundReplayKey(fieldsOf(requestXml({ ...REFUND, amount: null })))).toBe(
      '30000|001|12345678901234|FULL|20261127103000',
    );
    const other = fieldsOf(
      requestXml({ ...REFUND, limit_second: '900', processing_datetime: '20261127100000' }),
    );
    expect(refundReplayKey(other)).toBe(refundReplayKey(fields));
    expect(refundReplayKey(fieldsOf(requestXml({ ...REFUND, amount: '0500' })))).toBe(
      refundReplayKey(fields),
    );
  });
});
