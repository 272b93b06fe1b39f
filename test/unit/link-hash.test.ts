import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { PURCHASE_HEAD_FIELDS, PURCHASE_TAIL_FIELDS } from '../../src/channels/link/link-fields';
import { linkHash } from '../../src/channels/link/link-hash';
import { SPEC_HASH_KEY, SPEC_PURCHASE_FIELDS } from '../support/spec-vectors';

const HASH_KEY = SPEC_HASH_KEY;
const VECTOR: Record<string, string> = { ...SPEC_PURCHASE_FIELDS };
const values = [...PURCHASE_HEAD_FIELDS, ...PURCHASE_TAIL_FIELDS].map((name) => VECTOR[name] ?? '');

describe('Link Type hash', () => {
  it('matches the A01-1 test vector of the spec (SHA-1 over UTF-8)', () => {
    expect(linkHash(values, HASH_KEY)).toBe('2c58b0307325f8efc21a9c7725624631dd448dcd');
  });

  it('differs when hashed over Shift_JIS bytes, as the spec warns', () => {
    const sjis = linkHash(values, HASH_KEY, (text) => iconv.encode(text, 'cp932'));
    expect(sjis.startsWith('5e77ebd8')).toBe(true);
  });

  it('trims ASCII whitespace but keeps the ideographic space', () => {
    const padded = values.map((v, i) => (i === 3 ? ` \t${v}\r\n` : v));
    expect(linkHash(padded, HASH_KEY)).toBe('2c58b0307325f8efc21a9c7725624631dd448dcd');
    const ideographic = values.map((v, i) => (i === 3 ? `\u3000${v}` : v));
    expect(linkHash(ideographic, HASH_KEY)).not.toBe('2c58b0307325f8efc21a9c7725624631dd448dcd');
  });
});

describe('XML API request hash (same rule, over the request’s own encoding)', () => {
  it('matches the ST02-00306-510 test vector of the spec', () => {
    // Leaf values in document order: merchant_id, service_id, sps_transaction_id, tracking_id,
    // processing_datetime, pay_option_manage/amount, request_date, limit_second.
    const leaves = ['30000', '001', '', '12345678901234', '', '500', '20261127103000', '600'];
    expect(linkHash(leaves, HASH_KEY, (text) => iconv.encode(text, 'cp932'))).toBe(
      '1e0dec144a56cbf47ef13c03f4585ae4ea2f7ef6',
    );
  });
});
