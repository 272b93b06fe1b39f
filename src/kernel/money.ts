/**
 * Integer yen. JPY has no minor unit, so an amount is a plain integer number of yen — never a float,
 * never ×100 (payment-lifecycle.md, Money). The brand makes it hard to mix yen with other numbers:
 * the only way in is through `yen()`, which checks.
 */
export type Yen = number & { readonly __brand: 'Yen' };

/** The largest amount a purchase may have (7 digits). */
export const MAX_PURCHASE_YEN = 9_999_999;

export function yen(value: number): Yen {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`not a yen amount: ${value}`);
  }
  return value as Yen;
}

/** A purchase amount: 1..9,999,999 yen. */
export function isPurchaseAmount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1 && value <= MAX_PURCHASE_YEN;
}

/** Parses the digits of a form or wire field; anything but 1–7 plain digits is `null`. */
export function parseYenDigits(text: string): Yen | null {
  if (!/^[0-9]{1,7}$/.test(text)) return null;
  return yen(Number(text));
}

export function addYen(a: Yen, b: Yen): Yen {
  return yen(a + b);
}

export function subtractYen(a: Yen, b: Yen): Yen {
  return yen(a - b);
}

/** ¥1,500 — how the console and pages show amounts. */
export function formatYen(amount: Yen): string {
  return `¥${amount.toLocaleString('en-US')}`;
}
