import { describe, expect, it } from 'vitest';
import { randomText } from '../../src/kernel/ids';

describe('randomText', () => {
  it('hands out fresh bytes of the asked size, across refills of its pool', () => {
    const seen = new Set<string>();
    // 3,000 × 16 bytes: the 4 KiB pool is refilled about a dozen times.
    for (let i = 0; i < 3000; i++) {
      const nonce = randomText(16, 'base64');
      expect(Buffer.from(nonce, 'base64')).toHaveLength(16);
      seen.add(nonce);
    }
    expect(seen.size).toBe(3000);
    expect(randomText(8, 'hex')).toMatch(/^[0-9a-f]{16}$/);
  });
});
