/**
 * The domain's closed set of error codes. Domain services throw `DomainError`; each channel maps
 * the code to its wire form in one place (4-digit link code, 8-character XML code, HTTP + JSON).
 */
export const DOMAIN_ERROR_CODES = [
  'PAYMENT_NOT_FOUND',
  'INVALID_TRANSITION',
  'NOT_REFUNDABLE_STATE',
  'NOTHING_LEFT_TO_REFUND',
  'REFUND_EXCEEDS_REMAINING',
  'REFUND_PERIOD_ENDED',
  'INVALID_AMOUNT',
  'PROVIDER_UNAVAILABLE',
  'CONFLICT',
  'INVALID_FEE_SETTING',
  'INVALID_PAYOUT_TERMS',
  'REFUNDS_STOPPED',
  'INVALID_RESOLUTION',
  'INVALID_BANK_ACCOUNT',
  'CLOSE_REFUSED',
  'PAYOUT_REFUSED',
  'INVALID_ADJUSTMENT',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
