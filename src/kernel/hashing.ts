import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Trims ASCII whitespace only (space, tab, CR, LF, VT, FF, NUL) — the protocol's rule. Not
 * `String.prototype.trim`, which would also remove U+3000 and change the hash.
 */
export function asciiTrim(value: string): string {
  return value.replace(/^[ \t\r\n\v\f\0]+|[ \t\r\n\v\f\0]+$/g, '');
}

export function sha1Hex(data: string | Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Compares two hex digests case-insensitively in constant time (for equal lengths). */
export function hexDigestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a.toLowerCase(), 'utf8');
  const right = Buffer.from(b.toLowerCase(), 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}
