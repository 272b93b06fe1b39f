import { isAscii } from 'node:buffer';
import iconv from 'iconv-lite';

/**
 * The text encodings of the merchant protocols (merchant-link-type.md, Encoding).
 *
 * "Shift_JIS" on the wire is decoded as Windows-31J, which is what browsers send. Six byte pairs
 * mean different characters in strict JIS X 0208 Shift_JIS; clients built on the strict mapping
 * (Ruby's, for one) hash those other code points, so a request can be re-read with `shift_jis-strict`.
 */
export type Charset = 'windows-31j' | 'shift_jis-strict' | 'utf-8';

/** Byte pair → [Windows-31J character, strict JIS X 0208 character]. */
const STRICT_DIFFERENCES: ReadonlyArray<readonly [number, string, string]> = [
  [0x8160, '\uFF5E', '\u301C'], // 〜 wave dash
  [0x8161, '\u2225', '\u2016'], // ∥ double vertical line
  [0x817c, '\uFF0D', '\u2212'], // － minus sign
  [0x8191, '\uFFE0', '\u00A2'], // ￠ cent
  [0x8192, '\uFFE1', '\u00A3'], // ￡ pound
  [0x81ca, '\uFFE2', '\u00AC'], // ￢ not sign
];
const STRICT_BY_PAIR = new Map(STRICT_DIFFERENCES.map(([pair, , strict]) => [pair, strict]));
const PAIR_BY_STRICT = new Map(STRICT_DIFFERENCES.map(([pair, , strict]) => [strict, pair]));

function isLeadByte(b: number): boolean {
  return (b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc);
}

/** Whether Shift_JIS bytes contain one of the six pairs the two mappings disagree on. */
export function hasStrictDifferences(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (isLeadByte(b) && i + 1 < bytes.length) {
      if (STRICT_BY_PAIR.has((b << 8) | bytes[i + 1]!)) return true;
      i++;
    }
  }
  return false;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes bytes; `null` when they are not valid in that charset. */
export function decodeText(bytes: Uint8Array, charset: Charset): string | null {
  if (charset === 'utf-8') {
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      return null;
    }
  }
  // Most fields are ASCII, which both Shift_JIS mappings leave as they are; iconv-lite costs a
  // decoder per call (bench/README.md, Changes).
  if (isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const text = charset === 'windows-31j' ? iconv.decode(Buffer.from(bytes), 'cp932') : decodeStrict(bytes);
  return text.includes('\uFFFD') ? null : text;
}

function decodeStrict(bytes: Uint8Array): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (!isLeadByte(b) || i + 1 >= bytes.length) continue;
    const strict = STRICT_BY_PAIR.get((b << 8) | bytes[i + 1]!);
    if (strict) {
      out += iconv.decode(Buffer.from(bytes.subarray(start, i)), 'cp932') + strict;
      start = i + 2;
    }
    i++;
  }
  return out + iconv.decode(Buffer.from(bytes.subarray(start)), 'cp932');
}

/** Encodes text; `null` when a character cannot be represented (never a silent '?'). */
export function encodeText(text: string, charset: Charset): Buffer | null {
  if (charset === 'utf-8') return Buffer.from(text, 'utf8');
  // ASCII text (as many fields are) is the same bytes in both mappings: no iconv-lite round trip.
  // Only ASCII takes exactly one UTF-8 byte per UTF-16 unit.
  if (Buffer.byteLength(text, 'utf8') === text.length) return Buffer.from(text, 'latin1');
  const parts: Buffer[] = [];
  let chunk = '';
  const flush = (): boolean => {
    if (chunk === '') return true;
    const encoded = iconv.encode(chunk, 'cp932');
    // iconv-lite substitutes '?' for what it cannot encode: decode back to detect it.
    if (iconv.decode(encoded, 'cp932') !== chunk) return false;
    parts.push(encoded);
    chunk = '';
    return true;
  };
  for (const ch of text) {
    const pair = charset === 'shift_jis-strict' ? PAIR_BY_STRICT.get(ch) : undefined;
    if (pair !== undefined) {
      if (!flush()) return null;
      parts.push(Buffer.from([pair >> 8, pair & 0xff]));
    } else {
      chunk += ch;
    }
  }
  if (!flush()) return null;
  return Buffer.concat(parts);
}

/** The first character of `text` that `charset` cannot carry, or `null` when all can. */
export function firstUnencodable(text: string, charset: Charset): string | null {
  if (encodeText(text, charset) !== null) return null;
  for (const ch of text) if (encodeText(ch, charset) === null) return ch;
  return null;
}

/** The `charset=` label to declare for a charset on the wire. */
export function charsetLabel(charset: Charset): string {
  return charset === 'utf-8' ? 'UTF-8' : 'Shift_JIS';
}
