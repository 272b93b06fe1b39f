import type { ClaimedJob, JobOutcome } from '../jobs/job';
import type { CancelProtocol } from './cancel-protocol';
import { applyEnding, unsentEnding } from './endings';
import { findLatePayment, settleLatePayment } from './late-payment.repository';
import { findPaymentByTrackingId, type Payment } from './payment.repository';
import { keepExchange, type PaymentServiceDeps, reloadPayment } from './payment-context';
import type { CancelTarget } from './payment-states';
import type { ProviderResults } from './provider-results';

/** The deadline's bounded inquiry: up to 3 tries a few seconds apart. */
const DEADLINE_INQUIRIES = 3;
const DEADLINE_INQUIRY_GAP_MS = 3_000;

/** Back off 5 s, 10 s, 20 s … up to 10 minutes: a job that cancels at Alipay+ never gives up on money. */
function cancelRetryAt(job: ClaimedJob, now: Date): Date {
  return new Date(now.getTime() + Math.min(5_000 * 2 ** Math.min(job.attempt, 10), 10 * 60_000));
}

/** The payment jobs (payment-schedule.ts): each one carries a payment to its end. */
export class PaymentJobs {
  constructor(
    private readonly deps: PaymentServiceDeps,
    private readonly results: ProviderResults,
    private readonly cancels: CancelProtocol,
  ) {}

  /** A selection screen idle for 30 minutes: nothing exists at Alipay+, so no call is made. */
  async handleExpireSelection(job: ClaimedJob): Promise<JobOutcome> {
    const payment = await this.jobPayment(job);
    if (payment?.status === 'REQUESTED') {
      await applyEnding(this.deps, payment, unsentEnding('EXPIRED', 'selection screen idle for 30 minutes'));
    }
    return { type: 'done' };
  }

  /**
   * The 10-minute deadline (+ grace): inquire up to three times; paid → captured (late or not);
   * closed → expired; anything else → cancel → expired.
   */
  async handleDeadline(job: ClaimedJob): Promise<JobOutcome> {
    const payment = await this.jobPayment(job);
    if (payment?.status !== 'IN_PROGRESS') return { type: 'done' };
    const { cancel } = payment;
    // The shopper's cancel has its own job; one path at a time talks to Alipay+ about a cancel.
    if (cancel.kind === 'REQUESTED' && cancel.target === 'CANCELED') return { type: 'done' };
    const now = this.deps.clock.now();
    if (cancel.kind === 'OPEN') {
      const outcome = await this.results.inquire(payment);
      if (outcome.kind === 'paid' || outcome.kind === 'closed' || outcome.kind === 'failed') {
        await this.results.apply(payment, outcome, 'inquiry at the deadline');
        const after = await reloadPayment(this.deps, payment);
        if (after.status !== 'IN_PROGRESS') return { type: 'done' };
      } else if (outcome.kind === 'unknown' && job.attempt < DEADLINE_INQUIRIES) {
        return { type: 'retry', at: new Date(now.getTime() + DEADLINE_INQUIRY_GAP_MS), note: outcome.reason };
      }
    }
    return this.cancelStep(await reloadPayment(this.deps, payment), 'EXPIRED', job);
  }

  /** Re-sends a cancel whose outcome was unknown (or keeps inquiring after a refusal). */
  async handleCancel(job: ClaimedJob): Promise<JobOutcome> {
    const payment = await this.jobPayment(job);
    if (payment?.status !== 'IN_PROGRESS') return { type: 'done' };
    const { cancel } = payment;
    return this.cancelStep(payment, cancel.kind === 'REQUESTED' ? cancel.target : 'CANCELED', job);
  }

  /** Cancels at Alipay+ the order behind a late payment, until Alipay+ confirms or refuses. */
  async handleReverseLatePayment(job: ClaimedJob): Promise<JobOutcome> {
    const { db, clock, provider, logger } = this.deps;
    const payment = await this.jobPayment(job);
    if (!payment?.payment_request_id) return { type: 'dead', error: 'payment without an Alipay+ request' };
    const late = await findLatePayment(db, payment.tracking_id);
    if (late?.status !== 'REVERSING') return { type: 'done' };
    const { outcome, exchange } = await provider.cancel(payment.payment_request_id);
    await keepExchange(this.deps, payment.tracking_id, exchange, outcome.kind);
    const at = clock.now();
    if (outcome.kind === 'unknown')
      return { type: 'retry', at: cancelRetryAt(job, at), note: outcome.reason };
    const reversed = outcome.kind === 'closed';
    await settleLatePayment(db, {
      trackingId: payment.tracking_id,
      status: reversed ? 'REVERSED' : 'NEEDS_OPERATOR',
      note: `${reversed ? 'cancelled' : 'cancel refused'} at Alipay+: ${outcome.code}`,
      at,
    });
    if (!reversed) {
      logger.error(
        { trackingId: payment.tracking_id, code: outcome.code },
        'Alipay+ refused to reverse money paid for a failed payment: needs an operator',
      );
    }
    return { type: 'done' };
  }

  private async cancelStep(payment: Payment, target: CancelTarget, job: ClaimedJob): Promise<JobOutcome> {
    if (payment.status !== 'IN_PROGRESS') return { type: 'done' };
    const step = await this.cancels.cancelAtAlipay(payment, target);
    if (step !== 'retry') return { type: 'done' };
    return { type: 'retry', at: cancelRetryAt(job, this.deps.clock.now()), note: 'cancel not confirmed' };
  }

  private async jobPayment(job: ClaimedJob): Promise<Payment | undefined> {
    const trackingId = (job.payload as { trackingId?: unknown } | null)?.trackingId;
    if (typeof trackingId !== 'string') return undefined;
    return findPaymentByTrackingId(this.deps.db, trackingId);
  }
}
