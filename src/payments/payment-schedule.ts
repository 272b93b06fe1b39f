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

/** The dedupe keys of a payment's jobs: one of each per payment. */
export const jobKey = {
  expireSelection: (trackingId: string) => `expire-selection:${trackingId}`,
  deadline: (trackingId: string) => `deadline:${trackingId}`,
  cancel: (trackingId: string) => `cancel:${trackingId}`,
};

/**
 * The jobs that act only on a payment still REQUESTED or IN_PROGRESS (payment-jobs.ts): once it has
 * ended they could do nothing, so the ending deletes them. A late payment's reversal is queued after
 * the ending and is not among them.
 */
export function jobsEndedBy(trackingId: string): string[] {
  return [jobKey.expireSelection(trackingId), jobKey.deadline(trackingId), jobKey.cancel(trackingId)];
}
