import { type Charset, encodeText } from '../../kernel/charset';
import { DETAIL_FIELDS, type DetailField, PURCHASE_HEAD_FIELDS, PURCHASE_TAIL_FIELDS } from './link-fields';
import { linkHash } from './link-hash';

/**
 * Building and encoding Link Type forms — what a merchant's shop does to post A01-1, and what the
 * gateway does to post A02-1/A03-1. Used by the demo shop, the gateway and the tests alike.
 */
export type FormPairs = Array<[name: string, value: string]>;

export type DetailRow = Partial<Record<DetailField, string>>;

/** The A01-1 fields in protocol order (absent = empty), detail rows in place, `sps_hashcode` last. */
export function signedPurchaseForm(
  fields: Partial<Record<string, string>>,
  hashKey: string,
  details: readonly DetailRow[] = [],
): FormPairs {
  const pairs: FormPairs = PURCHASE_HEAD_FIELDS.map((name) => [name, fields[name] ?? '']);
  for (const row of details) for (const name of DETAIL_FIELDS) pairs.push([name, row[name] ?? '']);
  for (const name of PURCHASE_TAIL_FIELDS) pairs.push([name, fields[name] ?? '']);
  pairs.push([
    'sps_hashcode',
    linkHash(
      pairs.map(([, value]) => value),
      hashKey,
    ),
  ]);
  return pairs;
}

/** Percent-encodes every byte outside the unreserved set, the way browsers encode forms. */
function percentEncode(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2a ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f
    ) {
      out += String.fromCharCode(b);
    } else if (b === 0x20) {
      out += '+';
    } else {
      out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/**
 * `application/x-www-form-urlencoded` in the given charset. Throws when a value cannot be
 * represented — callers check representability first (A01-1 refuses such text with 5103).
 */
export function encodeForm(pairs: FormPairs, charset: Charset): string {
  return pairs
    .map(([name, value]) => {
      const bytes = encodeText(value, charset);
      if (bytes === null) throw new Error(`field ${name} cannot be encoded in ${charset}`);
      return `${percentEncode(Buffer.from(name, 'ascii'))}=${percentEncode(bytes)}`;
    })
    .join('&');
}
