import { formatJstDisplay } from '../kernel/jst';
import { formatYen, yen } from '../kernel/money';

/** How the console writes numbers and times (admin.md, Quality bar): ¥1,500 and JST. */
export function yenText(amount: number): string {
  return formatYen(yen(amount));
}

/** Yen that may be negative (balances): −¥1,500. */
export function signedYenText(amount: number): string {
  return amount < 0 ? `−${yenText(-amount)}` : yenText(amount);
}

export function countText(n: number): string {
  return n.toLocaleString('en-US');
}

/** `2026-11-27 10:30:00` (JST) from epoch milliseconds; '' for none. */
export function jstText(instant: number | Date | null): string {
  if (instant === null) return '';
  return formatJstDisplay(instant instanceof Date ? instant : new Date(instant));
}

/** A share as a percentage with one decimal, or null when there is nothing to divide by. */
export function percentText(part: number, whole: number): string | null {
  if (whole <= 0) return null;
  return `${((part / whole) * 100).toFixed(1)}%`;
}
