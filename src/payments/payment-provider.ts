import type { Yen } from '../kernel/money';

/**
 * What the payment domain needs from Alipay+, in the domain's own words. The Alipay+ connector
 * implements it (translating, signing, mapping codes); the domain never sees wire field names.
 * Every answer carries the exchange as it happened, so the service can record it for the console.
 */
export interface ProviderExchange {
  api: string;
  requestBody: string;
  responseStatus: number | null;
  responseBody: string | null;
  durationMs: number;
}

export interface PayCommand {
  paymentRequestId: string;
  amount: Yen;
  expiresAt: Date;
  notifyUrl: string;
  redirectUrl: string;
  trackingId: string;
  description: string;
  merchant: {
    merchantId: string;
    mcc: string;
    name: string;
    displayName: string;
    city: string;
    region: string;
    registeredOn: string;
  };
  buyerId: string;
  /** The sub-brands Alipay+ may offer the shopper: the merchant's approved ones. */
  allowedSubBrands: string[];
  terminal: 'WEB' | 'WAP';
  osType: 'IOS' | 'ANDROID' | null;
  userAgent: string;
  clientIp: string;
}

/** What Alipay+ says about a paid payment. */
export interface PaidDetails {
  /** The amount Alipay+ says was paid, as it said it; `null` when the message did not carry one. */
  amount: { currency: string; value: string } | null;
  providerPaymentId: string | null;
  paidAt: Date | null;
  wallet: string | null;
  quoteCurrencyPair: string | null;
  quotePrice: string | null;
  /** The acquirer Alipay+ names (`acquirerId`). */
  acquirerId: string | null;
}

export type PayOutcome =
  | { kind: 'created'; redirectUrl: string; providerPaymentId: string | null }
  | { kind: 'failed'; code: string }
  | { kind: 'unknown'; reason: string };

/** A payment that failed at Alipay+, with the wallet the shopper had chosen when it says so. */
export type FailedResult = { kind: 'failed'; code: string; wallet: string | null };

export type InquiryOutcome =
  | { kind: 'paid'; details: PaidDetails }
  | { kind: 'closed'; code: string }
  | FailedResult
  | { kind: 'open' }
  | { kind: 'notCreated' }
  | { kind: 'unknown'; reason: string };

/**
 * One entry of Alipay+'s ledger of a payment (alipayplus.md, inquiryPayment `transactions[]`), as
 * it said it: the payment itself, its refunds and a cancel.
 */
export interface ProviderTransaction {
  type: string;
  status: string;
  requestId: string | null;
  amount: { currency: string; value: string } | null;
}

/** An inquiry's outcome with the ledger that came with it (empty when there was none). */
export interface InquiryWithTransactions {
  outcome: InquiryOutcome;
  transactions: ProviderTransaction[];
}

export type CancelOutcome =
  | { kind: 'closed'; code: string }
  | { kind: 'refused'; code: string }
  | { kind: 'unknown'; reason: string };

export interface RefundCommandToProvider {
  refundRequestId: string;
  paymentRequestId: string;
  amount: Yen;
  reason: string;
}

export type RefundProviderOutcome =
  | { kind: 'succeeded'; providerRefundId: string | null }
  | { kind: 'failed'; code: string }
  | { kind: 'unknown'; reason: string };

/** A notification's meaning; `unknown` when it names no final result we recognise. */
export type NotifiedResult =
  | { kind: 'paid'; details: PaidDetails }
  | { kind: 'closed'; code: string }
  | FailedResult
  | { kind: 'unknown'; reason: string };

export type WithExchange<T> = { outcome: T; exchange: ProviderExchange };

export interface PaymentProvider {
  pay(command: PayCommand): Promise<WithExchange<PayOutcome>>;
  inquire(paymentRequestId: string): Promise<WithExchange<InquiryOutcome>>;
  cancel(paymentRequestId: string): Promise<WithExchange<CancelOutcome>>;
  /** Idempotent on `refundRequestId`: re-sending the same refund never makes a second one. */
  refund(command: RefundCommandToProvider): Promise<WithExchange<RefundProviderOutcome>>;
}
