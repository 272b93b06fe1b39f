import { enqueueJob } from '../jobs/job.repository';
import { applyEnding, capturedEnding, closedEnding } from './endings';
import { markCancelRequested, type Payment } from './payment.repository';
import { keepExchangeIn, type PaymentServiceDeps, reloadPayment } from './payment-context';
import { CANCEL_JOB_DELAY_MS, JOB_CANCEL, jobKey } from './payment-schedule';
import type { CancelTarget } from './payment-states';
import type { ProviderResults } from './provider-results';

/** Where one cancel attempt left the payment; `retry`: not settled, the job tries again. */
export type CancelStep = 'closed' | 'captured' | 'final' | 'retry';

/**
 * The cancel path (payment-lifecycle.md, Cancelling): the payment's cancel sub-state moves from
 * OPEN to REQUESTED under the same condition as a capture — exactly one of the two wins — then the
 * order is cancelled at Alipay+. The payment is closed only when Alipay+ confirms; a refused cancel
 * is followed by an inquiry, and money that Alipay+ says moved is captured.
 */
export class CancelProtocol {
  constructor(
    private readonly deps: PaymentServiceDeps,
    private readonly results: ProviderResults,
  ) {}

  /**
   * The shopper's "cancel and return" while IN_PROGRESS. The mark and the job that owns this cancel
   * until Alipay+ confirms it commit together; the job is due after the longest synchronous attempt
   * (cancel, then inquiry) can take.
   */
  async requestByShopper(payment: Payment): Promise<void> {
    const now = this.deps.clock.now();
    const marked = await this.deps.db.transaction().execute(async (tx) => {
      if (!(await markCancelRequested(tx, payment.tracking_id, 'CANCELED', now))) return false;
      await enqueueJob(
        tx,
        {
          kind: JOB_CANCEL,
          payload: { trackingId: payment.tracking_id },
          dueAt: new Date(now.getTime() + CANCEL_JOB_DELAY_MS),
          dedupeKey: jobKey.cancel(payment.tracking_id),
        },
        now,
      );
      return true;
    });
    // Not marked: captured meanwhile, or the deadline's cancel is already under way.
    if (marked) await this.cancelAtAlipay(await reloadPayment(this.deps, payment), 'CANCELED');
  }

  /** One attempt: marks the payment if still OPEN, cancels at Alipay+, and applies the answer. */
  async cancelAtAlipay(payment: Payment, target: CancelTarget): Promise<CancelStep> {
    const { db, clock, provider, logger } = this.deps;
    if (payment.cancel.kind === 'OPEN') {
      await markCancelRequested(db, payment.tracking_id, target, clock.now());
    }
    // Read again right before calling out: a capture that followed a refused cancel clears the
    // mark, and a cancel sent after it would make Alipay+ reverse money the merchant was told of.
    payment = await reloadPayment(this.deps, payment);
    if (payment.status !== 'IN_PROGRESS' || payment.cancel.kind === 'OPEN') return 'final';
    const { outcome, exchange } = await provider.cancel(payment.payment_request_id);
    const kept = { trackingId: payment.tracking_id, exchange, outcome: outcome.kind };
    if (outcome.kind === 'closed') {
      await applyEnding(
        this.deps,
        payment,
        closedEnding(payment, 'cancelled at Alipay+', outcome.code),
        kept,
      );
      return 'closed';
    }
    await keepExchangeIn(db, this.deps, kept);
    if (outcome.kind === 'unknown') return 'retry';
    logger.warn(
      { trackingId: payment.tracking_id, code: outcome.code },
      'Alipay+ refused the cancel: inquiring',
    );
    const inquiry = await this.results.inquire(payment);
    if (inquiry.kind === 'paid') {
      const ending = capturedEnding('paid; cancel refused', inquiry.details, 'REQUESTED', clock.now());
      return (await applyEnding(this.deps, payment, ending)) ? 'captured' : 'final';
    }
    if (inquiry.kind === 'closed') {
      await applyEnding(this.deps, payment, closedEnding(payment, 'closed at Alipay+', inquiry.code));
      return 'closed';
    }
    logger.error(
      { trackingId: payment.tracking_id, inquiry: inquiry.kind },
      'payment neither cancellable nor paid: needs an operator',
    );
    return 'retry';
  }
}
