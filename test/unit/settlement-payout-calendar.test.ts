import { describe, expect, it } from 'vitest';
import {
  isBankBusinessDay,
  onOrBeforeBusinessDay,
  periodOf,
  periodsClosingIn,
  upcomingPeriods,
} from '../../src/settlement/payout-calendar';

/** Payout dates for 2026–2027, worked out by hand from the calendar (weekday and holiday of each). */
const months = Array.from({ length: 24 }, (_, i) => [2026 + Math.floor(i / 12), (i % 12) + 1] as const);

describe('bank business days', () => {
  it('are closed on weekends, national holidays and 12/31–1/3', () => {
    for (const closed of [
      '2026-01-01', // New Year's Day
      '2026-01-02',
      '2026-01-03',
      '2026-01-12', // Coming of Age Day
      '2026-05-04', // Golden Week: Greenery Day, Children's Day and the day in lieu
      '2026-05-05',
      '2026-05-06',
      '2026-09-22', // the citizens' holiday between two holidays
      '2026-12-31',
      '2027-03-22', // in lieu of the Vernal Equinox on a Sunday
      '2027-11-23',
      '2026-12-05', // Saturday
      '2026-12-06', // Sunday
    ]) {
      expect(isBankBusinessDay(closed), closed).toBe(false);
    }
    for (const open of ['2026-01-05', '2026-05-07', '2026-12-30', '2027-01-04', '2027-03-23']) {
      expect(isBankBusinessDay(open), open).toBe(true);
    }
  });

  it('move to the previous business day across long closures', () => {
    expect(onOrBeforeBusinessDay('2026-05-06')).toBe('2026-05-01');
    expect(onOrBeforeBusinessDay('2026-09-23')).toBe('2026-09-18');
    expect(onOrBeforeBusinessDay('2027-01-03')).toBe('2026-12-30');
    expect(onOrBeforeBusinessDay('2026-12-15')).toBe('2026-12-15');
  });
});

describe('monthly cycle: month-end close, paid on the 15th of the next month', () => {
  it('pays every month of 2026–2027 on the right bank day', () => {
    const payouts = months.map(([y, m]) => periodsClosingIn('MONTHLY', y, m).map((p) => p.payoutDate));
    expect(payouts.flat()).toEqual([
      '2026-02-13', // 2/15 is a Sunday
      '2026-03-13', // Sunday
      '2026-04-15',
      '2026-05-15',
      '2026-06-15',
      '2026-07-15',
      '2026-08-14', // Saturday
      '2026-09-15',
      '2026-10-15',
      '2026-11-13', // Sunday
      '2026-12-15',
      '2027-01-15',
      '2027-02-15',
      '2027-03-15',
      '2027-04-15',
      '2027-05-14', // Saturday
      '2027-06-15',
      '2027-07-15',
      '2027-08-13', // Sunday
      '2027-09-15',
      '2027-10-15',
      '2027-11-15',
      '2027-12-15',
      '2028-01-14', // Saturday
    ]);
  });

  it('covers the calendar month, whatever its length', () => {
    expect(periodsClosingIn('MONTHLY', 2028, 2)).toEqual([
      { from: '2028-02-01', close: '2028-02-29', nominalPayoutDate: '2028-03-15', payoutDate: '2028-03-15' },
    ]);
    expect(periodOf('MONTHLY', '2026-12-31')).toMatchObject({ from: '2026-12-01', payoutDate: '2027-01-15' });
  });
});

describe('twice a month: the 15th closes for month-end, month-end for the next 15th', () => {
  it('pays twice in every month of 2026–2027 on the right bank days', () => {
    const payouts = months.map(([y, m]) => periodsClosingIn('TWICE_MONTHLY', y, m).map((p) => p.payoutDate));
    const monthEnds = [
      '2026-01-30', // Saturday
      '2026-02-27', // Saturday
      '2026-03-31',
      '2026-04-30',
      '2026-05-29', // Sunday
      '2026-06-30',
      '2026-07-31',
      '2026-08-31',
      '2026-09-30',
      '2026-10-30', // Saturday
      '2026-11-30',
      '2026-12-30', // 12/31: banks closed
      '2027-01-29', // Sunday
      '2027-02-26', // Sunday
      '2027-03-31',
      '2027-04-30',
      '2027-05-31',
      '2027-06-30',
      '2027-07-30', // Saturday
      '2027-08-31',
      '2027-09-30',
      '2027-10-29', // Sunday
      '2027-11-30',
      '2027-12-30', // 12/31
    ];
    const monthly = months.map(([y, m]) => periodsClosingIn('MONTHLY', y, m)[0]!.payoutDate);
    expect(payouts).toEqual(monthEnds.map((end, i) => [end, monthly[i]]));
  });

  it('splits the month on the 15th', () => {
    expect(periodOf('TWICE_MONTHLY', '2026-11-15')).toEqual({
      from: '2026-11-01',
      close: '2026-11-15',
      nominalPayoutDate: '2026-11-30',
      payoutDate: '2026-11-30',
    });
    expect(periodOf('TWICE_MONTHLY', '2026-11-16')).toMatchObject({
      close: '2026-11-30',
      payoutDate: '2026-12-15',
    });
  });

  it('lists the upcoming periods from a date', () => {
    expect(upcomingPeriods('TWICE_MONTHLY', '2026-12-20', 3).map((p) => p.close)).toEqual([
      '2026-12-31',
      '2027-01-15',
      '2027-01-31',
    ]);
    expect(upcomingPeriods('MONTHLY', '2026-12-31', 2).map((p) => p.payoutDate)).toEqual([
      '2027-01-15',
      '2027-02-15',
    ]);
  });

  it('refuses a date that is not YYYY-MM-DD', () => {
    expect(() => periodOf('MONTHLY', '2026/12/01')).toThrow(/YYYY-MM-DD/);
  });
});
