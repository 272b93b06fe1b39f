/** Clocks of payment-lifecycle.md, and the durable jobs that keep them. */
export const PAYMENT_DEADLINE_MS = 10 * 60_000;
export const DEADLINE_GRACE_MS = 30_000;
export const SELECTION_LIFETIME_MS = 30 * 60_000;
/** The shopper's cancel job runs if the synchronous attempt did not settle it. */
export const CANCEL_JOB_DELAY_MS = 60_000;

export const JOB_EXPIRE_SELECTION = 'payment.expire-selection';
export const JOB_DEADLINE = 'payment.deadline';
export const JOB_CANCEL = 'payment.cancel';
export const JOB_REVERSE_LATE_PAYMENT = 'payment.reverse-late-payment';
