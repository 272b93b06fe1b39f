import { z } from 'zod';
import { parseAlipayTime } from './signing';

/**
 * The Alipay+ wire messages (alipayplus.md), one schema each, shared by the connector (which
 * writes the requests), the outcome reader (which reads the answers and notifications) and the
 * sandbox (which reads the requests strictly and writes the answers).
 *
 * Requests are strict (alipayplus.md, Data rules): every value a JSON string, optional fields
 * omitted or `null`, amounts in the minor unit. Issue messages are phrased to follow the field's
 * path ("paymentAmount.value is required").
 *
 * Answers and notifications are read tolerantly: a number is taken where a string is expected, a
 * malformed optional field reads as absent, and unknown fields are ignored — whether a payment
 * ended is decided on `result`/`paymentResult` alone, never on a field that happened to be there.
 */

// --- strict request fields -----------------------------------------------------------------------

const DEFAULT_MAX = 512;

function text(max = DEFAULT_MAX) {
  return z
    .string({ error: (issue) => (issue.input == null ? 'is required' : 'must be a JSON string') })
    .max(max, `is longer than ${max} characters`);
}

function shaped(max: number, pattern: RegExp, expected: string) {
  return text(max).regex(pattern, `must be ${expected}`);
}

function object<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object(shape, {
    error: (issue) => (issue.input == null ? 'is required' : 'must be a JSON object'),
  });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) => (issue.input == null ? 'is required' : `must be one of ${values.join(', ')}`),
  });
}

const id = () => text(64);
const currency = () => shaped(DEFAULT_MAX, /^[A-Z]{3}$/, 'an ISO 4217 code');
const region = () => shaped(DEFAULT_MAX, /^[A-Z]{2}$/, 'an ISO 3166 code');
/** An Alipay+ Datetime: ISO-8601 with its offset (or `Z`, or epoch milliseconds). */
const datetime = () =>
  text(40).refine((value) => parseAlipayTime(value) !== null, 'must be an ISO-8601 date-time with offset');
const httpUrl = () =>
  text(2048).refine((value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');

/** `{currency, value}`; the value is a positive integer in the currency's minor unit. */
export const AmountSchema = object({
  currency: currency(),
  value: shaped(16, /^[1-9]\d{0,15}$/, 'a positive integer in the minor unit, as a string')
    .transform(Number)
    .refine(Number.isSafeInteger, 'is too large'),
});

/** A list of sub-brand enums (`["GCASH","DANA"]`), each once. */
const pspNames = (min: number) =>
  z
    .array(shaped(64, /^[A-Z][A-Z0-9_]*$/, 'a sub-brand enum such as GCASH'), {
      error: (issue) => (issue.input == null ? 'is required' : 'must be a JSON array of strings'),
    })
    .min(min, 'must name at least one sub-brand')
    .max(64, 'names too many sub-brands')
    .refine((names) => new Set(names).size === names.length, 'names a sub-brand twice');

export const PayRequestSchema = object({
  paymentRequestId: id(),
  /** *(ours)* The sub-brands this merchant may be offered (governance.md §1). */
  allowedPspNames: pspNames(0).nullish(),
  paymentAmount: AmountSchema,
  paymentMethod: object({ paymentMethodType: text(64) }),
  paymentFactor: object({
    isInStorePayment: oneOf(['true', 'false']).nullish(),
    isCashierPayment: z.literal('true', {
      error: (issue) => (issue.input == null ? 'is required' : 'must be "true" (Cashier Payment)'),
    }),
    presentmentMode: text(32).nullish(),
  }),
  paymentExpiryTime: datetime().nullish(),
  paymentNotifyUrl: httpUrl(),
  paymentRedirectUrl: httpUrl(),
  settlementStrategy: object({ settlementCurrency: currency() }),
  order: object({
    referenceOrderId: id(),
    orderDescription: text(256),
    orderAmount: AmountSchema,
    merchant: object({
      referenceMerchantId: id(),
      merchantMCC: shaped(DEFAULT_MAX, /^\d{4}$/, 'four digits'),
      merchantName: text(256),
      merchantDisplayName: text(256).nullish(),
      merchantAddress: object({ region: region(), city: z.string().nullish() }),
      merchantRegisterDate: datetime().nullish(),
    }),
    buyer: object({ referenceBuyerId: id().nullish() }).nullish(),
    env: object({
      terminalType: oneOf(['WEB', 'WAP', 'APP', 'MINI_APP']),
      osType: oneOf(['IOS', 'ANDROID']).nullish(),
      userAgent: text(1024).nullish(),
      clientIp: text(64).nullish(),
    }),
  }),
});

const paymentRefShape = { paymentRequestId: id().nullish(), paymentId: id().nullish() };
const hasPaymentRef = (ref: { paymentRequestId?: string | null; paymentId?: string | null }) =>
  ref.paymentRequestId != null || ref.paymentId != null;
const PAYMENT_REF_REQUIRED = 'paymentRequestId or paymentId is required';

/** inquiryPayment and cancelPayment: the payment by either of its ids. */
export const PaymentRefSchema = object(paymentRefShape).refine(hasPaymentRef, PAYMENT_REF_REQUIRED);

export const RefundRequestSchema = object({
  refundRequestId: id(),
  ...paymentRefShape,
  refundAmount: AmountSchema,
  refundReason: text(256).nullish(),
}).refine(hasPaymentRef, PAYMENT_REF_REQUIRED);

export const ConsultRequestSchema = object({
  paymentAmount: AmountSchema,
  userRegion: region().nullish(),
  settlementStrategy: object({ settlementCurrency: text().nullish() }).nullish(),
  paymentFactor: object({}).nullish(),
  env: object({}).nullish(),
  merchant: object({ referenceMerchantId: id().nullish() }).nullish(),
});

/** registration (governance.md §1): `pspNames` *(ours)* lists the sub-brands applied for. */
export const RegistrationRequestSchema = object({
  registrationRequestId: id(),
  registrationNotifyURL: httpUrl(),
  productCodes: z.array(text(64)).nullish(),
  merchantInfo: object({
    referenceMerchantId: id(),
    merchantDisplayName: text(256),
    merchantMCC: shaped(DEFAULT_MAX, /^\d{4}$/, 'four digits'),
    merchantAddress: object({
      region: region(),
      address1: text(256).nullish(),
      city: text(128).nullish(),
      zipCode: text(32).nullish(),
    }),
    websites: z.array(object({ url: httpUrl() })).nullish(),
    registrationDetail: object({
      legalName: text(256),
      registrationNumber: text(64).nullish(),
      businessType: text(64).nullish(),
    }).nullish(),
  }),
  pspNames: pspNames(1),
});

/** inquiryRegistrationStatus: the registration by its id, or the merchant's latest. */
export const RegistrationInquirySchema = object({
  registrationRequestId: id().nullish(),
  referenceMerchantId: id().nullish(),
}).refine(
  (ref) => ref.registrationRequestId != null || ref.referenceMerchantId != null,
  'registrationRequestId or referenceMerchantId is required',
);

export type RegistrationRequestMessage = z.input<typeof RegistrationRequestSchema>;
export type RegistrationInquiryMessage = z.input<typeof RegistrationInquirySchema>;

/** What the connector writes (amount values as strings). */
export type PayRequestMessage = z.input<typeof PayRequestSchema>;
export type PaymentRefMessage = z.input<typeof PaymentRefSchema>;
export type RefundRequestMessage = z.input<typeof RefundRequestSchema>;

// --- answers and notifications --------------------------------------------------------------------

export type ResultStatus = 'S' | 'F' | 'U';

/** `result` and `paymentResult`; `resultMessage` is optional to the reader. */
export const ResultSchema = z.object({
  resultCode: z.union([z.string().min(1), z.number().finite().transform(String)]),
  resultStatus: z.enum(['S', 'F', 'U']),
  resultMessage: z.string().optional().catch(undefined),
});

export type ResultMessage = {
  resultCode: string;
  resultStatus: ResultStatus;
  resultMessage: string;
};

/** A string, or a number read as one; anything else reads as absent. */
const lenient = z
  .union([z.string(), z.number().finite().transform(String)])
  .optional()
  .catch(undefined);

function lenientObject<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object(shape).optional().catch(undefined);
}

const lenientAmount = lenientObject({ currency: lenient, value: lenient });

/** What a paid payment's answer or notification says about it (notifyPayment, inquiryPayment). */
export const PaidFieldsSchema = z.object({
  paymentId: lenient,
  acquirerId: lenient,
  pspId: lenient,
  walletBrandName: lenient,
  paymentAmount: lenientAmount,
  paymentTime: lenient,
  settlementQuote: lenientObject({ quoteCurrencyPair: lenient, quotePrice: lenient }),
});

/** Which wallet a payment's answer or notification names, read whether it was paid or failed. */
export const WalletFieldsSchema = PaidFieldsSchema.pick({ pspId: true, walletBrandName: true });

/**
 * inquiryPayment's `transactions[]` (Alipay+'s ledger of the payment); an entry that is not an
 * object reads as absent.
 */
export const InquiryTransactionsSchema = z.object({
  transactions: z
    .array(
      lenientObject({
        transactionType: lenient,
        transactionStatus: lenient,
        transactionRequestId: lenient,
        transactionAmount: lenientAmount,
      }),
    )
    .optional()
    .catch(undefined),
});

/** The `pay` answer's destination; `paymentUrl` is read as a synonym of `normalUrl` (alipayplus.md, pay). */
export const PayAnswerFieldsSchema = z.object({
  normalUrl: lenient,
  paymentUrl: lenient,
  paymentId: lenient,
});

export const RefundAnswerFieldsSchema = z.object({ refundId: lenient });

const registrationResult = lenientObject({ registrationStatus: lenient, rejectReason: lenient });

/** notifyRegistrationStatus and the inquiryRegistrationStatus answer (governance.md §1). */
export const RegistrationReportSchema = z.object({
  referenceMerchantId: lenient,
  registrationRequestId: lenient,
  registrationResult,
  pspRegistrationResultList: z
    .array(lenientObject({ pspName: lenient, registrationResult }))
    .optional()
    .catch(undefined),
});

export type RegistrationResultMessage = { registrationStatus: string; rejectReason?: string };

/** The report the sandbox writes. */
export type RegistrationReportMessage = {
  referenceMerchantId: string;
  registrationRequestId: string;
  registrationResult: RegistrationResultMessage;
  pspRegistrationResultList: Array<{ pspName: string; registrationResult: RegistrationResultMessage }>;
};

/** The shapes the sandbox writes (strings only, optional fields omitted). */
export type AmountMessage = {
  currency: string;
  value: string;
};

export type QuoteMessage = {
  quoteId: string | null;
  quoteCurrencyPair: string | null;
  quotePrice: string | null;
};

export type WalletFields = {
  pspId?: string;
  walletBrandName?: string;
  customerId?: string;
};

export type SettlementFields = {
  paymentTime?: string;
  settlementAmount?: AmountMessage;
  settlementQuote?: QuoteMessage;
};

export type NotifyPaymentMessage = WalletFields &
  SettlementFields & {
    paymentResult: ResultMessage;
    paymentRequestId: string;
    paymentId: string;
    acquirerId: string;
    paymentAmount: AmountMessage;
  };

export type TransactionMessage = {
  transactionType: 'PAYMENT' | 'CANCEL' | 'REFUND';
  transactionStatus: 'PROCESSING' | 'SUCCESS' | 'FAIL' | 'CANCELLED';
  transactionId: string;
  transactionRequestId: string;
  transactionAmount: AmountMessage;
  transactionTime: string;
  transactionResult?: ResultMessage;
};

export type InquiryAnswerMessage = NotifyPaymentMessage & {
  result: ResultMessage;
  paymentCreateTime: string;
  transactions: TransactionMessage[];
};
