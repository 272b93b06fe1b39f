import { describe, expect, it } from 'vitest';
import {
  BAD_CREDENTIALS,
  domainErrorXmlCode,
  GATEWAY_FAULT,
  NOT_WELL_FORMED,
  PROVIDER_REFUSED,
  UNKNOWN_FUNCTION,
  xmlErrorCode,
} from '../../src/channels/xml-api/xml-codes';
import { DOMAIN_ERROR_CODES } from '../../src/kernel/errors';

describe('XML API error codes', () => {
  it('builds the examples of the spec', () => {
    expect(xmlErrorCode('hashMismatch', 'sps_hashcode')).toBe('51009025');
    expect(xmlErrorCode('unknownTracking', 'tracking_id')).toBe('51012027');
    expect(xmlErrorCode('overRefund', 'amount')).toBe('510K1008');
    expect(xmlErrorCode('period', 'none')).toBe('51031999');
    expect(xmlErrorCode('expired', 'request_date')).toBe('51010023');
    expect(xmlErrorCode('state', 'none')).toBe('51013999');
    expect(xmlErrorCode('duplicateHash', 'sps_hashcode')).toBe('51096025');
    expect(xmlErrorCode('merchant', 'merchant_id')).toBe('51014001');
    expect(xmlErrorCode('transactionMismatch', 'sps_transaction_id')).toBe('51011026');
    expect(PROVIDER_REFUSED).toBe('510K2999');
    expect(NOT_WELL_FORMED).toBe('99900999');
    expect(UNKNOWN_FUNCTION).toBe('99902000');
    expect(GATEWAY_FAULT).toBe('99990999');
    expect(BAD_CREDENTIALS).toBe('99914001');
  });

  it('maps every domain error to one XML code', () => {
    const mapped = Object.fromEntries(DOMAIN_ERROR_CODES.map((code) => [code, domainErrorXmlCode(code)]));
    expect(mapped).toEqual({
      PAYMENT_NOT_FOUND: '51012027',
      INVALID_TRANSITION: '99990999',
      NOT_REFUNDABLE_STATE: '51013999',
      NOTHING_LEFT_TO_REFUND: '510K1008',
      REFUND_EXCEEDS_REMAINING: '510K1008',
      REFUND_PERIOD_ENDED: '51031999',
      INVALID_AMOUNT: '51007008',
      PROVIDER_UNAVAILABLE: '99990999',
      CONFLICT: '99990999',
      INVALID_FEE_SETTING: '51007999',
      INVALID_PAYOUT_TERMS: '51007999',
      REFUNDS_STOPPED: '510K3999',
      INVALID_RESOLUTION: '51007999',
      INVALID_BANK_ACCOUNT: '51007999',
      CLOSE_REFUSED: '51007999',
      PAYOUT_REFUSED: '51007999',
      INVALID_ADJUSTMENT: '51007999',
    });
  });

  it('never answers a final business refusal with a type clients retry (80–86, 90–95)', () => {
    const finals = DOMAIN_ERROR_CODES.filter(
      (code) => !['PROVIDER_UNAVAILABLE', 'CONFLICT', 'INVALID_TRANSITION'].includes(code),
    );
    for (const code of finals) expect(domainErrorXmlCode(code).slice(3, 5)).not.toMatch(/^(8[0-6]|9[0-5])$/);
    expect(PROVIDER_REFUSED.slice(3, 5)).toBe('K2');
  });
});
