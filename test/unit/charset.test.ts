import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeText, encodeText } from '../../src/kernel/charset';

// The ASCII fast path must give what iconv-lite gives, byte for byte, in both Shift_JIS mappings.
describe('charset: ASCII in Shift_JIS', () => {
  const bytes = Buffer.from(Array.from({ length: 0x80 }, (_, i) => i));
  const text = iconv.decode(bytes, 'cp932');

  for (const charset of ['windows-31j', 'shift_jis-strict'] as const) {
    it(`decodes and encodes every ASCII byte as iconv-lite does (${charset})`, () => {
      expect(decodeText(bytes, charset)).toBe(text);
      expect(decodeText(bytes.subarray(0x30, 0x3a), charset)).toBe('0123456789');
      expect(encodeText(text, charset)).toEqual(iconv.encode(text, 'cp932'));
    });
  }

  it('still refuses what Shift_JIS cannot carry and decodes what is not ASCII', () => {
    expect(encodeText('abc😀', 'windows-31j')).toBeNull();
    expect(encodeText('\ud800', 'windows-31j')).toBeNull();
    expect(decodeText(Buffer.from([0x61, 0x81, 0x60, 0x62]), 'shift_jis-strict')).toBe('a\u301cb');
    expect(decodeText(Buffer.from([0x41, 0x81]), 'windows-31j')).toBeNull();
  });
});
