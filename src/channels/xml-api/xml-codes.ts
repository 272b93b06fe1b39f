import type { DomainErrorCode } from '../../kernel/errors';

/**
 * XML API error codes (merchant-xml-api.md, Error codes): 8 characters `MMM TT III` — method
 * (`510` Alipay+, `999` when the method cannot be known yet), error type, field.
 */
export const ALIPAY_METHOD = '510';
export const UNKNOWN_METHOD = '999';

export const ERROR_TYPES = {
  notWellFormed: '00',
  unknownFunction: '02',
  required: '03',
  tooLong: '05',
  badFormat: '06',
  notAllowed: '07',
  hashMismatch: '09',
  expired: '10',
  transactionMismatch: '11',
  unknownTracking: '12',
  state: '13',
  merchant: '14',
  system: '90',
  /** A maintenance window is in progress (governance.md, 5): retryable once it ends. */
  maintenance: '91',
  duplicateHash: '96',
  overRefund: 'K1',
  providerRefused: 'K2',
  /** The operator stopped the merchant's refunds (governance.md, 2): final until lifted. */
  refundsStopped: 'K3',
  period: '31',
} as const;

export type ErrorType = keyof typeof ERROR_TYPES;

export const FIELD_CODES = {
  function: '000',
  merchant_id: '001',
  service_id: '002',
  amount: '008',
  request_date: '023',
  limit_second: '024',
  sps_hashcode: '025',
  sps_transaction_id: '026',
  tracking_id: '027',
  processing_datetime: '029',
  none: '999',
} as const;

export type FieldCodeName = keyof typeof FIELD_CODES;

export function xmlErrorCode(type: ErrorType, field: FieldCodeName, method = ALIPAY_METHOD): string {
  return `${method}${ERROR_TYPES[type]}${FIELD_CODES[field]}`;
}

/**
 * Codes that exist before any function is known. Everything that is not well formed — DOCTYPE,
 * entity declarations, a wrong encoding, an oversized body — is `99900999`, even when a function
 * id could be guessed from the bytes: the method part is only trusted from a well-formed document.
 */
export const NOT_WELL_FORMED = xmlErrorCode('notWellFormed', 'none', UNKNOWN_METHOD);
export const UNKNOWN_FUNCTION = xmlErrorCode('unknownFunction', 'function', UNKNOWN_METHOD);
/** HTTP 401: the Basic credentials name no service or carry the wrong password. */
export const BAD_CREDENTIALS = xmlErrorCode('merchant', 'merchant_id', UNKNOWN_METHOD);
export const GATEWAY_FAULT = xmlErrorCode('system', 'none', UNKNOWN_METHOD);

/**
 * The one mapping of domain errors to XML codes. `Record` over the closed code set: a new domain
 * code does not compile until it has its XML answer here.
 */
const DOMAIN_ERROR_XML_CODES: Record<DomainErrorCode, string> = {
  // Another merchant's or service's payment is indistinguishable from an unknown one.
  PAYMENT_NOT_FOUND: xmlErrorCode('unknownTracking', 'tracking_id'),
  NOT_REFUNDABLE_STATE: xmlErrorCode('state', 'none'),
  // payment-lifecycle.md, Refunds: a REFUNDED payment has nothing left → 510K1008.
  NOTHING_LEFT_TO_REFUND: xmlErrorCode('overRefund', 'amount'),
  REFUND_EXCEEDS_REMAINING: xmlErrorCode('overRefund', 'amount'),
  REFUND_PERIOD_ENDED: xmlErrorCode('period', 'none'),
  INVALID_AMOUNT: xmlErrorCode('notAllowed', 'amount'),
  // Retryable faults (type 90): a concurrent change or Alipay+ unreachable, never a final refusal.
  PROVIDER_UNAVAILABLE: GATEWAY_FAULT,
  CONFLICT: GATEWAY_FAULT,
  INVALID_TRANSITION: GATEWAY_FAULT,
  // Operators' refusals that no XML API request can cause; final all the same.
  INVALID_FEE_SETTING: xmlErrorCode('notAllowed', 'none'),
  INVALID_PAYOUT_TERMS: xmlErrorCode('notAllowed', 'none'),
  REFUNDS_STOPPED: xmlErrorCode('refundsStopped', 'none'),
  INVALID_RESOLUTION: xmlErrorCode('notAllowed', 'none'),
  INVALID_BANK_ACCOUNT: xmlErrorCode('notAllowed', 'none'),
  CLOSE_REFUSED: xmlErrorCode('notAllowed', 'none'),
  PAYOUT_REFUSED: xmlErrorCode('notAllowed', 'none'),
  INVALID_ADJUSTMENT: xmlErrorCode('notAllowed', 'none'),
};

export function domainErrorXmlCode(code: DomainErrorCode): string {
  return DOMAIN_ERROR_XML_CODES[code];
}

/** During a maintenance window for the service (51091999): retry after the window. */
export const MAINTENANCE = xmlErrorCode('maintenance', 'none');

/** Alipay+ refused the refund (F): final, not retryable (510K2999). */
export const PROVIDER_REFUSED = xmlErrorCode('providerRefused', 'none');
