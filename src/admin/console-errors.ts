import { DomainError, type DomainErrorCode } from '../kernel/errors';

/** The statuses a console page answers a refused action with. */
export type RefusalStatus = 400 | 403 | 404 | 409 | 422;

/**
 * The one mapping of domain errors to the console's HTTP status, as `xml-codes.ts` maps them to
 * XML codes. `Record` over the closed code set: a new domain code does not compile until it has
 * its console answer here.
 */
const CONSOLE_ERROR_STATUS: Record<DomainErrorCode, RefusalStatus> = {
  // Another merchant's payment is indistinguishable from an unknown one.
  PAYMENT_NOT_FOUND: 404,
  // The payment or the books are not in a state that allows the action (now, or any more).
  INVALID_TRANSITION: 409,
  NOT_REFUNDABLE_STATE: 409,
  NOTHING_LEFT_TO_REFUND: 409,
  REFUND_PERIOD_ENDED: 409,
  CONFLICT: 409,
  PROVIDER_UNAVAILABLE: 409,
  CLOSE_REFUSED: 409,
  PAYOUT_REFUSED: 409,
  // What was typed cannot be accepted as it is.
  REFUND_EXCEEDS_REMAINING: 422,
  INVALID_AMOUNT: 422,
  INVALID_FEE_SETTING: 422,
  INVALID_PAYOUT_TERMS: 422,
  INVALID_RESOLUTION: 422,
  INVALID_ADJUSTMENT: 422,
  INVALID_BANK_ACCOUNT: 400,
  // An operator stopped the merchant's refunds (a case).
  REFUNDS_STOPPED: 403,
};

export function consoleErrorStatus(code: DomainErrorCode): RefusalStatus {
  return CONSOLE_ERROR_STATUS[code];
}

/**
 * A domain refusal as a console page shows it: the table's status and the error's own text.
 * Anything else is not a refusal and is rethrown, for the console's error handler (500).
 */
export function consoleRefusal(error: unknown): {
  status: RefusalStatus;
  notice: { kind: 'error'; text: string };
} {
  if (!(error instanceof DomainError)) throw error;
  return { status: CONSOLE_ERROR_STATUS[error.code], notice: { kind: 'error', text: error.message } };
}
