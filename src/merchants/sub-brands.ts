/**
 * The Alipay+ sub-brands (wallets) a merchant can be approved for (payment-lifecycle.md,
 * Sub-brands). The table is shared by the gateway (approvals, wallet of a paid payment) and the
 * sandbox (cashier, FX).
 */
export type Procedure = 'QR' | 'LOGIN';

export const SUB_BRAND_CODES = [
  'ALIPAY_CN',
  'ALIPAY_HK',
  'TNG',
  'BOOST',
  'DANA',
  'BPI',
  'KAKAOPAY',
  'GCASH',
  'TRUEMONEY',
  'RABBIT_LINE_PAY',
] as const;

export type SubBrandCode = (typeof SUB_BRAND_CODES)[number];

export interface SubBrand {
  /** The Alipay+ enum, e.g. `GCASH`. */
  code: SubBrandCode;
  name: string;
  region: string;
  /** ISO 3166 code of the region, for compact labels. */
  country: string;
  procedure: Procedure;
  pspId: string;
  /** The wallet's currency, and its number of minor-unit digits. */
  currency: string;
  currencyDigits: number;
}

export const SUB_BRANDS: readonly SubBrand[] = [
  {
    code: 'ALIPAY_CN',
    name: 'Alipay',
    region: 'China',
    country: 'CN',
    procedure: 'QR',
    pspId: '1022088000000000001',
    currency: 'CNY',
    currencyDigits: 2,
  },
  {
    code: 'ALIPAY_HK',
    name: 'AlipayHK',
    region: 'Hong Kong, China',
    country: 'HK',
    procedure: 'QR',
    pspId: '1022160000000000000',
    currency: 'HKD',
    currencyDigits: 2,
  },
  {
    code: 'TNG',
    name: "Touch'n Go",
    region: 'Malaysia',
    country: 'MY',
    procedure: 'QR',
    pspId: '1022171000000000001',
    currency: 'MYR',
    currencyDigits: 2,
  },
  {
    code: 'BOOST',
    name: 'Boost',
    region: 'Malaysia',
    country: 'MY',
    procedure: 'LOGIN',
    pspId: '2021227800000000',
    currency: 'MYR',
    currencyDigits: 2,
  },
  {
    code: 'DANA',
    name: 'DANA',
    region: 'Indonesia',
    country: 'ID',
    procedure: 'LOGIN',
    pspId: '1022166000000000001',
    currency: 'IDR',
    currencyDigits: 2,
  },
  {
    code: 'BPI',
    name: 'BPI',
    region: 'Philippines',
    country: 'PH',
    procedure: 'LOGIN',
    pspId: '2010BOPI00000000',
    currency: 'PHP',
    currencyDigits: 2,
  },
  {
    code: 'KAKAOPAY',
    name: 'Kakao Pay',
    region: 'South Korea',
    country: 'KR',
    procedure: 'QR',
    pspId: '1022172000000000001',
    currency: 'KRW',
    currencyDigits: 0,
  },
  {
    code: 'GCASH',
    name: 'GCash',
    region: 'Philippines',
    country: 'PH',
    procedure: 'QR',
    pspId: '1022170000000000000',
    currency: 'PHP',
    currencyDigits: 2,
  },
  {
    code: 'TRUEMONEY',
    name: 'TrueMoney',
    region: 'Thailand',
    country: 'TH',
    procedure: 'QR',
    pspId: '1022167000000000001',
    currency: 'THB',
    currencyDigits: 2,
  },
  {
    code: 'RABBIT_LINE_PAY',
    name: 'Rabbit LINE Pay',
    region: 'Thailand',
    country: 'TH',
    procedure: 'LOGIN',
    pspId: '2021226300000000',
    currency: 'THB',
    currencyDigits: 2,
  },
];

export function subBrandByCode(code: string): SubBrand | undefined {
  return SUB_BRANDS.find((b) => b.code === code);
}

/** The sub-brand a notification or inquiry names, by pspId first, then by brand name. */
export function subBrandOf(pspId: string | undefined, brandName: string | undefined): SubBrand | undefined {
  return (
    SUB_BRANDS.find((b) => pspId !== undefined && b.pspId === pspId) ??
    SUB_BRANDS.find((b) => brandName !== undefined && b.name.toLowerCase() === brandName.toLowerCase())
  );
}
