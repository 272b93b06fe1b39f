import { asciiTrim, sha1Hex } from '../../kernel/hashing';

/**
 * The Link Type `sps_hashcode`: every value in protocol order, ASCII-trimmed, concatenated with no
 * separator, the hash key appended, SHA-1 (merchant-link-type.md, Hash).
 *
 * `encode` turns the concatenated text into the bytes that are hashed: UTF-8 for A01-1 and A02-1,
 * the service's encoding for A03-1.
 */
export function linkHash(
  values: readonly string[],
  hashKey: string,
  encode: (text: string) => Uint8Array = (text) => Buffer.from(text, 'utf8'),
): string {
  let joined = '';
  for (const value of values) joined += asciiTrim(value);
  return sha1Hex(encode(joined + hashKey));
}
