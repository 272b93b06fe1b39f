/**
 * The ten Alipay+ wallets the sandbox simulates (payment-lifecycle.md, Sub-brands): enum, brand
 * name, purchase procedure, pspId and the currency the shopper pays in.
 */
export type Procedure = 'QR' | 'LOGIN';

export interface Wallet {
  id: WalletId;
  name: string;
  region: string;
  procedure: Procedure;
  pspId: string;
  currency: string;
}

export const WALLET_IDS = [
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

export type WalletId = (typeof WALLET_IDS)[number];

export const WALLETS: Readonly<Record<WalletId, Wallet>> = {
  ALIPAY_CN: w('ALIPAY_CN', 'Alipay', 'CN', 'QR', '1022088000000000001', 'CNY'),
  ALIPAY_HK: w('ALIPAY_HK', 'AlipayHK', 'HK', 'QR', '1022160000000000000', 'HKD'),
  TNG: w('TNG', "Touch'n Go", 'MY', 'QR', '1022171000000000001', 'MYR'),
  BOOST: w('BOOST', 'Boost', 'MY', 'LOGIN', '2021227800000000', 'MYR'),
  DANA: w('DANA', 'DANA', 'ID', 'LOGIN', '1022166000000000001', 'IDR'),
  BPI: w('BPI', 'BPI', 'PH', 'LOGIN', '2010BOPI00000000', 'PHP'),
  KAKAOPAY: w('KAKAOPAY', 'Kakao Pay', 'KR', 'QR', '1022172000000000001', 'KRW'),
  GCASH: w('GCASH', 'GCash', 'PH', 'QR', '1022170000000000000', 'PHP'),
  TRUEMONEY: w('TRUEMONEY', 'TrueMoney', 'TH', 'QR', '1022167000000000001', 'THB'),
  RABBIT_LINE_PAY: w('RABBIT_LINE_PAY', 'Rabbit LINE Pay', 'TH', 'LOGIN', '2021226300000000', 'THB'),
};

function w(
  id: WalletId,
  name: string,
  region: string,
  procedure: Procedure,
  pspId: string,
  currency: string,
) {
  return { id, name, region, procedure, pspId, currency };
}

export function isWalletId(text: string): text is WalletId {
  return (WALLET_IDS as readonly string[]).includes(text);
}

/**
 * The sandbox's test users (sandbox.md, Test users): the same five exist in every wallet, all with
 * the password `sandbox`; `resultCode` is what paying as them yields.
 */
export const TEST_USERS = {
  alice: 'SUCCESS',
  nofunds: 'USER_BALANCE_NOT_ENOUGH',
  overlimit: 'USER_AMOUNT_EXCEED_LIMIT',
  risk: 'RISK_REJECT',
  frozen: 'USER_STATUS_ABNORMAL',
} as const;

export type TestUser = keyof typeof TEST_USERS;

export const TEST_USER_NAMES = Object.keys(TEST_USERS) as TestUser[];

export const TEST_PASSWORD = 'sandbox';

export function isTestUser(text: string): text is TestUser {
  return Object.hasOwn(TEST_USERS, text);
}

/** The wallet's opaque id of a test user (notifyPayment `customerId`), stable across orders. */
export function customerId(wallet: WalletId, user: TestUser): string {
  return `${wallet.toLowerCase()}-${user}`;
}
