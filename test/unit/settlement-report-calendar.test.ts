import { describe, expect, it } from 'vitest';
import {
  addDays,
  clearingBatchId,
  clearingDay,
  clearingDayStart,
  deliveryTime,
  settlementDate,
} from '../../src/alipayplus/settlement-reports';

/** Alipay+'s clearing calendar (settlement.md): days in UTC+8, delivery at 08:00, settlement on business days. */
describe('clearing calendar', () => {
  it('cuts clearing days at midnight UTC+8', () => {
    expect(clearingDay(Date.parse('2026-12-04T15:59:59.999Z'))).toBe('2026-12-04');
    expect(clearingDay(Date.parse('2026-12-04T16:00:00Z'))).toBe('2026-12-05');
    expect(new Date(clearingDayStart('2026-12-05')).toISOString()).toBe('2026-12-04T16:00:00.000Z');
  });

  it('delivers a date’s files at 08:00 UTC+8, that is 00:00 UTC', () => {
    expect(new Date(deliveryTime('2026-12-07')).toISOString()).toBe('2026-12-07T00:00:00.000Z');
  });

  it('settles on business days: Friday, Saturday and Sunday on Monday', () => {
    expect(settlementDate('2026-12-03', 1)).toBe('2026-12-04'); // Thursday → Friday
    expect(settlementDate('2026-12-04', 1)).toBe('2026-12-07'); // Friday → Monday
    expect(settlementDate('2026-12-05', 1)).toBe('2026-12-07'); // Saturday → Monday
    expect(settlementDate('2026-12-06', 1)).toBe('2026-12-07'); // Sunday → Monday
    expect(settlementDate('2026-12-04', 2)).toBe('2026-12-08');
    expect(settlementDate('2026-12-31', 1)).toBe('2027-01-01');
  });

  it('names batches by their day and crosses months and years', () => {
    expect(clearingBatchId('2026-12-04')).toBe('2026120400001');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2027-03-01', -1)).toBe('2027-02-28');
  });
});
