import { enqueueJob } from '../jobs/job.repository';
import { applyEnding, capturedEnding, closedEnding, failedEnding } from './endings';
import { recordLatePayment } from './late-payment.repository';
import { findPaymentByRequestId, type InProgressPayment, type Payment } from './payment.repository';
import { keepExchange, type PaymentServiceDeps, reloadPayment } from './payment-context';
import type { InquiryOutcome, NotifiedResult, PaidDetails, ProviderExchange } from './payment-provider';
import { JOB_REVERSE_LATE_PAYMENT } from './payment-schedule';

export type NotificationVerdict = 'recorded' | 'unknownPayment' | 'mismatch';

/**
 * What Alipay+ says about a payment, by notification or inquiry, applied to it: the capture (only
 * while no cancel was asked, and only for the amount the merchant asked), the failure, or the
 * close. Idempotent: repeats and late arrivals change nothing.
 */
export class ProviderResults {
  constructor(private readonly deps: PaymentServiceDeps) {}

  /** A verified notifyPayment from Alipay+. */
  async applyNotification(input: {
    paymentRequestId: string;
    result: NotifiedResult;
    exchange: ProviderExchange;
  }): Promise<NotificationVerdict> {
    const payment = await findPaymentByRequestId(this.deps.db, input.paymentRequestId);
    if (!payment) return 'unknownPayment';
    await keepExchange(this.deps, payment.tracking_id, input.exchange, `notified ${input.result.kind}`);
    // Money reported for a failed payment is recorded whatever its amount: it has to be reversed.
    if (
      input.result.kind === 'paid' &&
      payment.status !== 'FAILED' &&
      !this.paidAmountMatches(payment, input.result.details)
    )
      return 'mismatch';
    await this.apply(payment, input.result, 'notification from Alipay+');
    return 'recorded';
  }

  /** inquiryPayment; a "paid" for another amount than the payment's counts as unknown. */
  async inquire(payment: InProgressPayment): Promise<InquiryOutcome> {
    const { outcome, exchange } = await this.deps.provider.inquire(payment.payment_request_id);
    await keepExchange(this.deps, payment.tracking_id, exchange, outcome.kind);
    if (outcome.kind === 'paid' && !this.paidAmountMatches(payment, outcome.details)) {
      return { kind: 'unknown', reason: 'paid amount differs from the payment' };
    }
    return outcome;
  }

  async apply(payment: Payment, result: NotifiedResult | InquiryOutcome, cause: string): Promise<void> {
    switch (result.kind) {
      case 'paid':
        await this.capture(payment, result.details, cause);
        return;
      case 'closed':
        // The shopper may have asked to cancel meanwhile: that decides CANCELED vs EXPIRED.
        await applyEnding(
          this.deps,
          payment,
          closedEnding(await reloadPayment(this.deps, payment), cause, result.code),
        );
        return;
      case 'failed':
        await applyEnding(this.deps, payment, failedEnding(cause, result.code, result.wallet));
        return;
      default:
        return;
    }
  }

  /** Captures a payment Alipay+ says was paid, unless a cancel was asked first (cancel wins). */
  private async capture(payment: Payment, details: PaidDetails, cause: string): Promise<void> {
    const { logger } = this.deps;
    if (payment.status === 'FAILED') {
      await this.raiseLatePayment(payment, details, cause);
      return;
    }
    if (payment.status !== 'IN_PROGRESS') {
      if (payment.status === 'EXPIRED' || payment.status === 'CANCELED') {
        logger.warn(
          { trackingId: payment.tracking_id, status: payment.status },
          'paid after the payment was closed: Alipay+ reverses it (cancel wins)',
        );
      }
      return;
    }
    const ending = capturedEnding(cause, details, 'OPEN', this.deps.clock.now());
    const captured = await applyEnding(this.deps, payment, ending);
    if (!captured && (await reloadPayment(this.deps, payment)).cancel.kind === 'REQUESTED') {
      logger.warn(
        { trackingId: payment.tracking_id },
        'paid after cancel was requested: acknowledged, not captured (cancel wins)',
      );
    }
  }

  /**
   * Money is captured only for the amount the merchant asked: a "paid" answer for another amount
   * or currency is not taken as paid (the deadline then cancels, and Alipay+ reverses it).
   */
  private paidAmountMatches(payment: Payment, details: PaidDetails): boolean {
    const amount = details.amount;
    if (amount?.currency === 'JPY' && amount.value === String(payment.amount)) return true;
    this.deps.logger.error(
      { trackingId: payment.tracking_id, amount },
      'Alipay+ reports a paid amount that differs from the payment: not captured',
    );
    return false;
  }

  /**
   * Alipay+ says money moved for a payment that FAILED (final): it is recorded for the operator and
   * reversed at Alipay+ by a cancel (which Alipay+ accepts whatever the order's status), in a job
   * queued in the same transaction, so neither the record nor the reversal can be lost.
   */
  private async raiseLatePayment(payment: Payment, details: PaidDetails, cause: string): Promise<void> {
    const { db, clock, logger } = this.deps;
    const now = clock.now();
    const raised = await db.transaction().execute(async (tx) => {
      const recorded = await recordLatePayment(tx, {
        trackingId: payment.tracking_id,
        merchantId: payment.merchant_id,
        details,
        at: now,
      });
      if (recorded) {
        await enqueueJob(
          tx,
          {
            kind: JOB_REVERSE_LATE_PAYMENT,
            payload: { trackingId: payment.tracking_id },
            dueAt: now,
            dedupeKey: `reverse-late:${payment.tracking_id}`,
          },
          now,
        );
      }
      return recorded;
    });
    if (!raised) return;
    logger.error(
      { trackingId: payment.tracking_id, amount: details.amount, cause },
      'Alipay+ reports paid a payment that failed: recorded, reversing at Alipay+',
    );
    this.deps.wakeJobs();
  }
}
