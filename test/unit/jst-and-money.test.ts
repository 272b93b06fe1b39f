import { describe, expect, it } from 'vitest';
import {
  formatJstCompact,
  formatJstIso,
  jstDate,
  jstDateStartIso,
  oneJstYearLater,
  parseJstCompact,
  startOfJstDay,
} from '../../src/kernel/jst';
import {
  addYen,
  formatYen,
  isPurchaseAmount,
  parseYenDigits,
  subtractYen,
  yen,
} from '../../src/kernel/money';

describe('JST conversions', () => {
  it('formats an instant in JST (UTC+9, no DST)', () => {
    const instant = new Date('2026-11-27T01:30:00Z');
    expect(formatJstCompact(instant)).toBe('20261127103000');
    expect(formatJstIso(instant)).toBe('2026-11-27T10:30:00+09:00');
  });

  it('gives a JST date as the Alipay+ Datetime of its first instant', () => {
    expect(jstDateStartIso('2026-01-01')).toBe('2026-01-01T00:00:00+09:00');
    expect(new Date(jstDateStartIso('2026-01-01')).toISOString()).toBe('2025-12-31T15:00:00.000Z');
  });

  it('moves a JST wall time one calendar year on, 29 February to 1 March', () => {
    expect(formatJstIso(oneJstYearLater(new Date('2028-02-29T10:00:00+09:00')))).toBe(
      '2029-03-01T10:00:00+09:00',
    );
    // 23:30 JST on 31 December is still 31 December a year later, though UTC has not turned the day.
    expect(formatJstIso(oneJstYearLater(new Date('2026-12-31T23:30:00+09:00')))).toBe(
      '2027-12-31T23:30:00+09:00',
    );
  });

  it('crosses the date line at 15:00 UTC', () => {
    expect(jstDate(new Date('2026-12-31T14:59:59.999Z'))).toBe('2026-12-31');
    expect(jstDate(new Date('2026-12-31T15:00:00.000Z'))).toBe('2027-01-01');
  });

  it('parses protocol date-times and refuses impossible ones', () => {
    expect(parseJstCompact('20261127103000')?.toISOString()).toBe('2026-11-27T01:30:00.000Z');
    expect(parseJstCompact('20280229000000')?.toISOString()).toBe('2028-02-28T15:00:00.000Z');
    for (const bad of [
      '20270229000000',
      '20261301000000',
      '20261127246000',
      '2026112710300',
      'ABCDEFGHIJKLMN',
      '',
    ]) {
      expect(parseJstCompact(bad)).toBeNull();
    }
  });

  it('round-trips', () => {
    const instant = new Date('2027-03-01T00:00:00+09:00');
    expect(parseJstCompact(formatJstCompact(instant))?.getTime()).toBe(instant.getTime());
  });

  it('finds the start of a JST day, and of a day some days later', () => {
    const purchase = new Date('2026-01-01T10:00:00+09:00');
    expect(startOfJstDay(purchase).toISOString()).toBe('2025-12-31T15:00:00.000Z');
    expect(startOfJstDay(purchase, 365).toISOString()).toBe('2026-12-31T15:00:00.000Z');
  });
});

describe('yen', () => {
  it('accepts non-negative safe integers only', () => {
    expect(yen(0)).toBe(0);
    expect(yen(9_999_999)).toBe(9_999_999);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])
      expect(() => yen(bad)).toThrow(RangeError);
  });

  it('knows the purchase range 1..9,999,999', () => {
    expect(isPurchaseAmount(1)).toBe(true);
    expect(isPurchaseAmount(9_999_999)).toBe(true);
    expect(isPurchaseAmount(0)).toBe(false);
    expect(isPurchaseAmount(10_000_000)).toBe(false);
  });

  it('parses plain digits only', () => {
    expect(parseYenDigits('1500')).toBe(1500);
    for (const bad of ['', '-1', '1.0', '１５００', '12345678', ' 1', '1e3'])
      expect(parseYenDigits(bad)).toBeNull();
  });

  it('adds, subtracts without going negative, and formats with separators', () => {
    expect(addYen(yen(1000), yen(500))).toBe(1500);
    expect(subtractYen(yen(1500), yen(500))).toBe(1000);
    expect(() => subtractYen(yen(500), yen(1500))).toThrow(RangeError);
    expect(formatYen(yen(1_234_567))).toBe('¥1,234,567');
  });
});
