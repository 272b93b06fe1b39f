import holidayJp from '@holiday-jp/holiday_jp';

/**
 * Merchants' settlement cycles and payout dates (settlement.md, Paying merchants). Dates are JST
 * calendar dates as `YYYY-MM-DD`; business dates are JST, so no time zone enters here.
 *
 * - MONTHLY: the period is the calendar month, closed at month-end, paid on the 15th of the next
 *   month.
 * - TWICE_MONTHLY: the 1st–15th, closed on the 15th and paid at that month's end; the 16th–end,
 *   closed at month-end and paid on the 15th of the next month (the usual Japanese
 *   15日締め月末払い / 月末締め翌15日払い).
 * A payout date that is not a bank business day moves to the previous one.
 */
export const PAYOUT_CYCLES = ['MONTHLY', 'TWICE_MONTHLY'] as const;
export type PayoutCycle = (typeof PAYOUT_CYCLES)[number];

export interface SettlementPeriod {
  /** First and last (closing) date of the period, inclusive. */
  from: string;
  close: string;
  /** The date the terms name, and the bank business day the money is actually sent. */
  nominalPayoutDate: string;
  payoutDate: string;
}

const DAY_MS = 86_400_000;

function parts(date: string): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function format(utcMs: number): string {
  return new Date(utcMs).toISOString().slice(0, 10);
}

function dateOf(year: number, month: number, day: number): string {
  return format(Date.UTC(year, month - 1, day));
}

function lastDayOf(year: number, month: number): string {
  return format(Date.UTC(year, month, 0));
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = parts(date);
  return format(Date.UTC(y, m - 1, d) + days * DAY_MS);
}

/**
 * Banks in Japan are closed on weekends, on national holidays (from `@holiday-jp/holiday_jp`,
 * which follows the Cabinet Office's list) and from 12/31 to 1/3.
 */
export function isBankBusinessDay(date: string): boolean {
  const [y, m, d] = parts(date);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  if ((m === 12 && d === 31) || (m === 1 && d <= 3)) return false;
  return !Object.hasOwn(holidayJp.holidays, date);
}

/** The date itself when banks are open, else the last business day before it. */
export function onOrBeforeBusinessDay(date: string): string {
  let day = date;
  while (!isBankBusinessDay(day)) day = addDays(day, -1);
  return day;
}

function period(from: string, close: string, nominalPayoutDate: string): SettlementPeriod {
  return { from, close, nominalPayoutDate, payoutDate: onOrBeforeBusinessDay(nominalPayoutDate) };
}

/** The periods of a cycle that close in a given month, in order. */
export function periodsClosingIn(cycle: PayoutCycle, year: number, month: number): SettlementPeriod[] {
  const monthEnd = lastDayOf(year, month);
  const next15th = dateOf(year, month + 1, 15);
  if (cycle === 'MONTHLY') return [period(dateOf(year, month, 1), monthEnd, next15th)];
  return [
    period(dateOf(year, month, 1), dateOf(year, month, 15), monthEnd),
    period(dateOf(year, month, 16), monthEnd, next15th),
  ];
}

/** The period of a cycle that a JST business date belongs to. */
export function periodOf(cycle: PayoutCycle, date: string): SettlementPeriod {
  const [y, m] = parts(date);
  const found = periodsClosingIn(cycle, y, m).find((p) => p.from <= date && date <= p.close);
  if (!found) throw new RangeError(`no ${cycle} period holds ${date}`);
  return found;
}

/** The next `count` periods whose close is on or after `date`. */
export function upcomingPeriods(cycle: PayoutCycle, date: string, count: number): SettlementPeriod[] {
  let [y, m] = parts(date);
  const out: SettlementPeriod[] = [];
  while (out.length < count) {
    for (const p of periodsClosingIn(cycle, y, m)) if (p.close >= date && out.length < count) out.push(p);
    m += 1;
    if (m > 12) [y, m] = [y + 1, 1];
  }
  return out;
}
