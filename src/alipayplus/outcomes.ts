import type { RegistrationOutcome, RegistrationReport } from '../governance/registration';
import { subBrandByCode, subBrandOf } from '../merchants/sub-brands';
import type {
  CancelOutcome,
  InquiryOutcome,
  NotifiedResult,
  PaidDetails,
  PayOutcome,
  ProviderTransaction,
  RefundProviderOutcome,
} from '../payments/payment-provider';
import {
  InquiryTransactionsSchema,
  PaidFieldsSchema,
  PayAnswerFieldsSchema,
  RefundAnswerFieldsSchema,
  RegistrationReportSchema,
  ResultSchema,
  type ResultStatus,
  WalletFieldsSchema,
} from './messages';
import { parseAlipayTime } from './signing';

/**
 * One exhaustive mapping per Alipay+ API (alipayplus.md, Result codes used). The same code can
 * mean different things in different APIs; anything not recognised here is `unknown` — inquire or
 * re-send — never success or failure. The reader is tolerant: it accepts every known variant of a
 * field and ignores fields it does not know.
 */
type Json = Record<string, unknown>;

export interface ResultTriple {
  resultCode: string;
  resultStatus: ResultStatus;
}

/** Reads a `result`-shaped object; `undefined` when it is missing or malformed. */
export function readResult(value: unknown): ResultTriple | undefined {
  const parsed = ResultSchema.safeParse(value);
  return parsed.success
    ? { resultCode: parsed.data.resultCode, resultStatus: parsed.data.resultStatus }
    : undefined;
}

function readAmount(amount: { currency?: string; value?: string } | undefined) {
  const { currency, value } = amount ?? {};
  return currency !== undefined && value !== undefined ? { currency, value } : null;
}

/** The sub-brand the shopper paid (or tried to pay) with, from `pspId` / `walletBrandName`. */
function walletOf(body: Json): string | null {
  const fields = WalletFieldsSchema.parse(body);
  return subBrandOf(fields.pspId, fields.walletBrandName)?.code ?? null;
}

function readPaidDetails(body: Json): PaidDetails {
  const fields = PaidFieldsSchema.parse(body);
  return {
    amount: readAmount(fields.paymentAmount),
    providerPaymentId: fields.paymentId ?? null,
    paidAt: fields.paymentTime ? parseAlipayTime(fields.paymentTime) : null,
    wallet: walletOf(body),
    quoteCurrencyPair: fields.settlementQuote?.quoteCurrencyPair ?? null,
    quotePrice: fields.settlementQuote?.quotePrice ?? null,
    acquirerId: fields.acquirerId ?? null,
  };
}

export function mapPay(body: Json | undefined): PayOutcome {
  const result = readResult(body?.result);
  if (!body || !result) return { kind: 'unknown', reason: 'unreadable pay response' };
  if (result.resultStatus === 'F') return { kind: 'failed', code: result.resultCode };
  // `normalUrl` is the documented name; `paymentUrl` is accepted as a synonym (unconfirmed which
  // one production uses).
  const fields = PayAnswerFieldsSchema.parse(body);
  const url = fields.normalUrl ?? fields.paymentUrl;
  const created =
    result.resultStatus === 'S' ||
    (result.resultStatus === 'U' && result.resultCode === 'PAYMENT_IN_PROCESS');
  if (created && url && /^https?:\/\//.test(url)) {
    return { kind: 'created', redirectUrl: url, providerPaymentId: fields.paymentId ?? null };
  }
  return { kind: 'unknown', reason: `pay answered ${result.resultStatus}/${result.resultCode}` };
}

export function mapInquiry(body: Json | undefined): InquiryOutcome {
  const result = readResult(body?.result);
  if (!body || !result) return { kind: 'unknown', reason: 'unreadable inquiry response' };
  if (result.resultStatus === 'F' && result.resultCode === 'ORDER_NOT_EXIST') return { kind: 'notCreated' };
  if (result.resultStatus !== 'S') {
    return { kind: 'unknown', reason: `inquiry answered ${result.resultStatus}/${result.resultCode}` };
  }
  const ending = mapPaymentResult(body);
  if (ending) return ending;
  return readResult(body.paymentResult)
    ? { kind: 'open' }
    : { kind: 'unknown', reason: 'inquiry without paymentResult' };
}

/**
 * `paymentResult` says how the payment ended (notify and inquiry alike): S paid; F closed
 * (`ORDER_IS_CLOSED`) or failed; `undefined` when it has not ended (U) or is unreadable.
 */
function mapPaymentResult(body: Json): Exclude<NotifiedResult, { kind: 'unknown' }> | undefined {
  const paymentResult = readResult(body.paymentResult);
  if (paymentResult?.resultStatus === 'S') return { kind: 'paid', details: readPaidDetails(body) };
  if (paymentResult?.resultStatus !== 'F') return undefined;
  return paymentResult.resultCode === 'ORDER_IS_CLOSED'
    ? { kind: 'closed', code: paymentResult.resultCode }
    : { kind: 'failed', code: paymentResult.resultCode, wallet: walletOf(body) };
}

/**
 * The `transactions[]` of an inquiry answered `S`; entries without a type or status are left out
 * (the reader is tolerant), and an answer that is not `S` has no ledger to read.
 */
export function mapTransactions(body: Json | undefined): ProviderTransaction[] {
  if (readResult(body?.result)?.resultStatus !== 'S') return [];
  return (InquiryTransactionsSchema.parse(body).transactions ?? []).flatMap((entry): ProviderTransaction[] =>
    entry?.transactionType && entry.transactionStatus
      ? [
          {
            type: entry.transactionType,
            status: entry.transactionStatus,
            requestId: entry.transactionRequestId ?? null,
            amount: readAmount(entry.transactionAmount),
          },
        ]
      : [],
  );
}

export function mapCancel(body: Json | undefined): CancelOutcome {
  const result = readResult(body?.result);
  if (!body || !result) return { kind: 'unknown', reason: 'unreadable cancel response' };
  if (result.resultStatus === 'S') return { kind: 'closed', code: result.resultCode };
  if (result.resultStatus === 'F') {
    return result.resultCode === 'ORDER_NOT_EXIST'
      ? { kind: 'closed', code: result.resultCode }
      : { kind: 'refused', code: result.resultCode };
  }
  return { kind: 'unknown', reason: `cancel answered U/${result.resultCode}` };
}

export function mapRefund(body: Json | undefined): RefundProviderOutcome {
  const result = readResult(body?.result);
  if (!body || !result) return { kind: 'unknown', reason: 'unreadable refund response' };
  if (result.resultStatus === 'S')
    return { kind: 'succeeded', providerRefundId: RefundAnswerFieldsSchema.parse(body).refundId ?? null };
  if (result.resultStatus === 'F') return { kind: 'failed', code: result.resultCode };
  return { kind: 'unknown', reason: `refund answered U/${result.resultCode}` };
}

export function mapNotification(body: Json): NotifiedResult {
  return mapPaymentResult(body) ?? { kind: 'unknown', reason: 'notification without a final paymentResult' };
}

/**
 * Refusals of our credentials, not of the registration: Alipay+ never looked at it (a key not yet
 * registered, a rotation in progress), so it is re-sent with the same request id, never taken as
 * every wallet's rejection.
 */
const CREDENTIALS_REFUSED = new Set(['INVALID_CLIENT', 'INVALID_SIGNATURE', 'KEY_NOT_FOUND']);

export function mapRegistration(body: Json | undefined): RegistrationOutcome {
  const result = readResult(body?.result);
  if (!body || !result) return { type: 'unknown' };
  if (result.resultStatus === 'S') return { type: 'accepted' };
  if (result.resultStatus === 'F' && !CREDENTIALS_REFUSED.has(result.resultCode))
    return { type: 'failed', code: result.resultCode };
  return { type: 'unknown' };
}

const REGISTRATION_STATUSES = ['PROCESSING', 'COMPLETED', 'FAILED'] as const;
const PSP_STATUSES = ['PENDING', 'APPROVED', 'REJECTED'] as const;

function oneOf<T extends string>(values: readonly T[], value: string | undefined): T | undefined {
  return values.find((v) => v === value);
}

/**
 * A registration's state from `notifyRegistrationStatus` or a successful inquiry; `undefined` when
 * the ids or the overall status are missing. A psp entry naming an unknown sub-brand or status is
 * left out: it can only be read as "nothing decided" for that entry.
 */
export function readRegistrationReport(body: Json): RegistrationReport | undefined {
  const fields = RegistrationReportSchema.parse(body);
  const status = oneOf(REGISTRATION_STATUSES, fields.registrationResult?.registrationStatus);
  if (!fields.registrationRequestId || !fields.referenceMerchantId || !status) return undefined;
  return {
    registrationRequestId: fields.registrationRequestId,
    merchantId: fields.referenceMerchantId,
    status,
    reason: fields.registrationResult?.rejectReason ?? null,
    psps: (fields.pspRegistrationResultList ?? []).flatMap((entry) => {
      const subBrand = subBrandByCode(entry?.pspName ?? '');
      const pspStatus = oneOf(PSP_STATUSES, entry?.registrationResult?.registrationStatus);
      if (!subBrand || !pspStatus) return [];
      return [
        {
          subBrand: subBrand.code,
          status: pspStatus,
          reason: entry?.registrationResult?.rejectReason ?? null,
        },
      ];
    }),
  };
}

export function mapRegistrationInquiry(body: Json | undefined): RegistrationReport | undefined {
  if (!body || readResult(body.result)?.resultStatus !== 'S') return undefined;
  return readRegistrationReport(body);
}
