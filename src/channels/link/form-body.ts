import type { Charset } from '../../kernel/charset';

/**
 * `application/x-www-form-urlencoded` read as bytes. A Link Type form arrives in Shift_JIS or UTF-8
 * and the charset is only known once a few ASCII fields have been read (merchant-link-type.md,
 * Encoding), so the body is split and unescaped first and each value decoded afterwards.
 */
export type RawFormPairs = Array<[name: string, value: Uint8Array]>;

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PLUS = 0x2b;
const PERCENT = 0x25;
const SPACE = 0x20;

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/** `+` → space, `%XX` → byte; `null` for a `%` not followed by two hex digits. */
function unescapeBytes(bytes: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === PERCENT) {
      const hi = hexValue(bytes[i + 1]);
      const lo = hexValue(bytes[i + 2]);
      if (hi < 0 || lo < 0) return null;
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else {
      out[n++] = b === PLUS ? SPACE : b;
    }
  }
  return out.subarray(0, n);
}

/**
 * Splits a form body into (name, value bytes) pairs in body order. Empty segments (`a=1&&b=2`) are
 * skipped and a segment without `=` is a name with an empty value, as browsers do; a malformed
 * percent-escape makes the whole body unreadable (`null`). Names are read byte-for-byte (latin1):
 * the protocol's names are ASCII, so a non-ASCII name simply matches no field.
 */
export function parseFormBytes(body: Buffer): RawFormPairs | null {
  const pairs: RawFormPairs = [];
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(AMPERSAND, start);
    if (end < 0) end = body.length;
    if (end > start) {
      const segment = body.subarray(start, end);
      const eq = segment.indexOf(EQUALS);
      const name = unescapeBytes(eq < 0 ? segment : segment.subarray(0, eq));
      const value = unescapeBytes(eq < 0 ? new Uint8Array(0) : segment.subarray(eq + 1));
      if (name === null || value === null) return null;
      pairs.push([Buffer.from(name).toString('latin1'), value]);
    }
    start = end + 1;
  }
  return pairs;
}

// The WHATWG Encoding Standard's labels for UTF-8.
const UTF8_LABELS = new Set([
  'unicode-1-1-utf-8',
  'unicode11utf8',
  'unicode20utf8',
  'utf-8',
  'utf8',
  'x-unicode20utf8',
]);

function isUtf8Label(label: string): boolean {
  return UTF8_LABELS.has(label.trim().replace(/^"|"$/g, '').toLowerCase());
}

/** The `charset` parameter of a Content-Type header, if any. */
function contentTypeCharset(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  for (const parameter of contentType.split(';').slice(1)) {
    const eq = parameter.indexOf('=');
    if (eq >= 0 && parameter.slice(0, eq).trim().toLowerCase() === 'charset') return parameter.slice(eq + 1);
  }
  return undefined;
}

/**
 * The charset a Link Type form body is read in (merchant-link-type.md, Encoding): UTF-8 when the
 * Content-Type says so, when the standard `_charset_` field says so, or when the service is
 * configured for UTF-8; Windows-31J (what browsers send for "Shift_JIS") otherwise.
 */
export function formCharset(
  contentType: string | undefined,
  charsetField: Uint8Array | undefined,
  serviceEncoding: 'Shift_JIS' | 'UTF-8' | undefined,
): Charset {
  const declared = contentTypeCharset(contentType);
  if (declared !== undefined && isUtf8Label(declared)) return 'utf-8';
  if (charsetField !== undefined && isUtf8Label(Buffer.from(charsetField).toString('latin1'))) return 'utf-8';
  if (serviceEncoding === 'UTF-8') return 'utf-8';
  return 'windows-31j';
}
