import { type Procedure, SUB_BRAND_CODES, SUB_BRANDS, type SubBrandCode } from '../merchants/sub-brands';

/**
 * The ten Alipay+ wallets the sandbox simulates, as the sandbox's pages and rules see them; the
 * facts themselves (enum, brand name, procedure, pspId, currency) come from the one sub-brand table
 * (payment-lifecycle.md, Sub-brands).
 */
export type { Procedure };

export interface Wallet {
  id: WalletId;
  name: string;
  /** ISO 3166 code of the wallet's region. */
  region: string;
  procedure: Procedure;
  pspId: string;
  currency: string;
}

export const WALLET_IDS = SUB_BRAND_CODES;

export type WalletId = SubBrandCode;

export const WALLETS = Object.fromEntries(
  SUB_BRANDS.map((b) => [
    b.code,
    {
      id: b.code,
      name: b.name,
      region: b.country,
      procedure: b.procedure,
      pspId: b.pspId,
      currency: b.currency,
    },
  ]),
) as Readonly<Record<WalletId, Wallet>>;

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
