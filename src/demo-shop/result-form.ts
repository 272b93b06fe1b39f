import { parseFormBytes } from '../channels/link/form-body';
import { RESULT_FIELDS } from '../channels/link/link-fields';
import { linkHash } from '../channels/link/link-hash';
import { type Charset, decodeText, encodeText } from '../kernel/charset';
import { hexDigestsEqual } from '../kernel/hashing';

/**
 * The merchant's side of A02-1 and A03-1: reading the posted form and checking its `sps_hashcode`
 * (merchant-link-type.md). Shared by the demo shop and the merchant stub of the tests, so both
 * verify exactly as a merchant following the guide would.
 */

/** A02-1 (server to server) or A03-1 (the shopper's browser): they differ in the hashed bytes. */
export type ResultKind = 'A02-1' | 'A03-1';

export type ReadResult =
  | { ok: true; fields: Record<string, string>; hashValid: boolean }
  | { ok: false; reason: string };

/**
 * Parses an `application/x-www-form-urlencoded` body whose escaped bytes are in `charset` (the
 * service's encoding). Decoding happens on bytes, after unescaping, because a Shift_JIS character
 * spans two escapes. `null` when an escape is broken or the bytes are not valid in `charset`.
 */
export function parseFormBody(raw: Buffer, charset: Charset): Record<string, string> | null {
  const pairs = parseFormBytes(raw);
  if (pairs === null) return null;
  const fields: Record<string, string> = {};
  for (const [name, bytes] of pairs) {
    const value = decodeText(bytes, charset);
    if (value === null) return null;
    fields[name] = value;
  }
  return fields;
}

/**
 * A02-1 is hashed over UTF-8 whatever the service's encoding; A03-1 over the bytes in the service's
 * encoding (merchant-link-type.md, A03-1).
 */
export function resultHash(
  fields: Record<string, string>,
  hashKey: string,
  kind: ResultKind,
  charset: Charset,
) {
  const values = RESULT_FIELDS.map((name) => fields[name] ?? '');
  if (kind === 'A02-1') return linkHash(values, hashKey);
  return linkHash(values, hashKey, (text) => {
    const bytes = encodeText(text, charset);
    // Values decoded from this charset always re-encode; only a hash key outside it can fail here.
    if (bytes === null) throw new RangeError(`the hash key cannot be encoded in ${charset}`);
    return bytes;
  });
}

/** Reads a posted A02-1/A03-1 body and checks its hash in constant time. */
export function readResultForm(raw: Buffer, hashKey: string, kind: ResultKind, charset: Charset): ReadResult {
  const fields = parseFormBody(raw, charset);
  if (fields === null) return { ok: false, reason: `body is not a form encoded in ${charset}` };
  const received = fields.sps_hashcode ?? '';
  const expected = resultHash(fields, hashKey, kind, charset);
  return {
    ok: true,
    fields,
    hashValid: /^[0-9a-fA-F]{40}$/.test(received) && hexDigestsEqual(received, expected),
  };
}
