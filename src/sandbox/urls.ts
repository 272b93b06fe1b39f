import type { WalletId } from './wallets';

/**
 * The sandbox's page addresses (configuration.md, Fixed paths): the cashier is the `normalUrl`,
 * wallet pages live under `/sandbox/wallets/…`. Absolute URLs start from the configured public URL.
 */
export class SandboxUrls {
  readonly base: string;

  constructor(publicUrl: string) {
    this.base = publicUrl.replace(/\/+$/, '');
  }

  cashier(paymentId: string): string {
    return `${this.base}${cashierPath(paymentId)}`;
  }

  /** The wallet-app simulator of one wallet (what its QR code holds, its app link). */
  walletApp(wallet: WalletId, paymentId: string): string {
    return `${this.base}${walletAppPath(wallet, paymentId)}`;
  }

  /** The Alipay+ "connect" app link that any wallet app opens (CONNECT_WALLET on a smartphone). */
  anyWalletApp(paymentId: string): string {
    return `${this.base}/sandbox/wallets/app/${paymentId}`;
  }

  scheme(paymentId: string): string {
    return `kessai-sandbox-wallet://pay?paymentId=${paymentId}`;
  }
}

export function cashierPath(paymentId: string): string {
  return `/sandbox/cashier/${paymentId}`;
}

export function walletAppPath(wallet: WalletId, paymentId: string): string {
  return `/sandbox/wallets/${wallet}/app/${paymentId}`;
}

export function walletLoginPath(wallet: WalletId, paymentId: string): string {
  return `/sandbox/wallets/${wallet}/login/${paymentId}`;
}

export function walletConfirmPath(wallet: WalletId, paymentId: string): string {
  return `/sandbox/wallets/${wallet}/confirm/${paymentId}`;
}

/** The paymentId in a cashier URL the shopper was sent to, or `null`. */
export function paymentIdFromCashierUrl(text: string): string | null {
  let path: string;
  try {
    path = new URL(text, 'http://sandbox.invalid').pathname;
  } catch {
    return null;
  }
  const match = /^\/sandbox\/cashier\/([A-Za-z0-9]+)\/?$/.exec(path);
  return match?.[1] ?? null;
}
