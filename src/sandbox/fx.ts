import { randomBytes } from 'node:crypto';

/**
 * Foreign exchange (sandbox.md, Behaviour): fixed reference rates JPY → wallet currency. The
 * shopper pays the JPY amount converted and rounded UP to the currency's minor unit; the merchant
 * is settled in JPY. All arithmetic is on integers (a rate is digits with a decimal point), never
 * floats.
 */
export const DEFAULT_RATES: Readonly<Record<string, string>> = {
  CNY: '0.0478',
  HKD: '0.0519',
  MYR: '0.0297',
  IDR: '108.04',
  PHP: '0.3871',
  KRW: '9.2158',
  THB: '0.2291',
};

/** Digits after the decimal point of each currency's minor unit (alipayplus.md, Data rules). */
const MINOR_DIGITS: Readonly<Record<string, number>> = {
  JPY: 0,
  KRW: 0,
  CNY: 2,
  HKD: 2,
  MYR: 2,
  IDR: 2,
  PHP: 2,
  THB: 2,
};

const RATE_PATTERN = /^(0|[1-9]\d{0,6})(\.\d{1,8})?$/;

export interface Quote {
  quoteId: string;
  quoteCurrencyPair: string;
  quotePrice: string;
}

export class FxTable {
  private readonly rates: Record<string, string>;

  constructor(overrides: Partial<Record<string, string>> = {}) {
    this.rates = { ...DEFAULT_RATES };
    for (const [currency, rate] of Object.entries(overrides)) {
      if (rate === undefined) continue;
      if (!Object.hasOwn(DEFAULT_RATES, currency)) {
        throw new Error(
          `fxRates: ${currency} is not a wallet currency (${Object.keys(DEFAULT_RATES).join(', ')})`,
        );
      }
      if (!RATE_PATTERN.test(rate) || /^0(\.0*)?$/.test(rate)) {
        throw new Error(`fxRates: ${currency} rate must be a positive decimal like "0.3871", got "${rate}"`);
      }
      this.rates[currency] = rate;
    }
  }

  rate(currency: string): string {
    const rate = this.rates[currency];
    if (!rate) throw new Error(`no reference rate for ${currency}`);
    return rate;
  }

  quote(currency: string): Quote {
    return {
      quoteId: `QT${randomBytes(10).toString('hex').toUpperCase()}`,
      quoteCurrencyPair: `JPY/${currency}`,
      quotePrice: this.rate(currency),
    };
  }
}

/** `jpy × rate` in the currency's minor unit, rounded up. */
export function convertRoundingUp(jpy: number, rate: string, currency: string): bigint {
  const [whole, fraction = ''] = rate.split('.');
  const scale = 10n ** BigInt(fraction.length);
  const numerator = BigInt(jpy) * BigInt(`${whole}${fraction}`) * 10n ** BigInt(minorDigits(currency));
  return (numerator + scale - 1n) / scale;
}

export function minorDigits(currency: string): number {
  const digits = MINOR_DIGITS[currency];
  if (digits === undefined) throw new Error(`unknown currency ${currency}`);
  return digits;
}

/** `38710` PHP → `387.10`; `9216` KRW → `9,216`. */
export function formatMinor(value: bigint, currency: string): string {
  const digits = minorDigits(currency);
  const text = value.toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return digits === 0 ? grouped : `${grouped}.${text.slice(text.length - digits)}`;
}
