import { enqueueJob } from '../jobs/job.repository';
import { applyEnding, capturedEnding, closedEnding, failedEnding } from './endings';
import { recordLatePayment } from './late-payment.repository';
import { findPaymentByRequestId, type InProgressPayment, type Payment } from './payment.repository';
import { type KeptExchange, keepExchangeIn, type PaymentServiceDeps, reloadPayment } from './payment-context';
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
    const kept = {
      trackingId: payment.tracking_id,
      exchange: input.exchange,
      outcome: `notified ${input.result.kind}`,
    };
    // Money reported for a failed payment is recorded whatever its amount: it has to be reversed.
    if (
      input.result.kind === 'paid' &&
      payment.status !== 'FAILED' &&
      !this.paidAmountMatches(payment, input.result.details)
    ) {
      await keepExchangeIn(this.deps.db, this.deps, kept);
      return 'mismatch';
    }
    await this.apply(payment, input.result, 'notification from Alipay+', kept);
    return 'recorded';
  }

  /** inquiryPayment, its exchange kept on its own; a "paid" for another amount counts as unknown. */
  async inquire(payment: InProgressPayment): Promise<InquiryOutcome> {
    const { outcome, kept } = await this.ask(payment);
    await keepExchangeIn(this.deps.db, this.deps, kept);
    return outcome;
  }

  /** inquiryPayment and its answer applied, the exchange kept in the transaction of the outcome. */
  async inquireAndApply(payment: InProgressPayment, cause: string): Promise<void> {
    const { outcome, kept } = await this.ask(payment);
    await this.apply(payment, outcome, cause, kept);
  }

  private async ask(payment: InProgressPayment): Promise<{ outcome: InquiryOutcome; kept: KeptExchange }> {
    const { outcome, exchange } = await this.deps.provider.inquire(payment.payment_request_id);
    const kept = { trackingId: payment.tracking_id, exchange, outcome: outcome.kind };
    if (outcome.kind === 'paid' && !this.paidAmountMatches(payment, outcome.details)) {
      return { outcome: { kind: 'unknown', reason: 'paid amount differs from the payment' }, kept };
    }
    return { outcome, kept };
  }

  /**
   * Applies what Alipay+ said. `kept`: the exchange it came in, kept in the same transaction as
   * what it changes (or alone when it changes nothing).
   */
  async apply(
    payment: Payment,
    result: NotifiedResult | InquiryOutcome,
    cause: string,
    kept?: KeptExchange,
  ): Promise<void> {
    switch (result.kind) {
      case 'paid':
        await this.capture(payment, result.details, cause, kept);
        return;
      case 'closed':
        // The shopper may have asked to cancel meanwhile: that decides CANCELED vs EXPIRED.
        await applyEnding(
          this.deps,
          payment,
          closedEnding(await reloadPayment(this.deps, payment), cause, result.code),
          kept,
        );
        return;
      case 'failed':
        await applyEnding(this.deps, payment, failedEnding(cause, result.code, result.wallet), kept);
        return;
      default:
        await keepExchangeIn(this.deps.db, this.deps, kept);
        return;
    }
  }

  /** Captures a payment Alipay+ says was paid, unless a cancel was asked first (cancel wins). */
  private async capture(
    payment: Payment,
    details: PaidDetails,
    cause: string,
    kept: KeptExchange | undefined,
  ): Promise<void> {
    const { logger } = this.deps;
    if (payment.status === 'FAILED') {
      await this.raiseLatePayment(payment, details, cause, kept);
      return;
    }
    if (payment.status !== 'IN_PROGRESS') {
      await keepExchangeIn(this.deps.db, this.deps, kept);
      if (payment.status === 'EXPIRED' || payment.status === 'CANCELED') {
        logger.warn(
          { trackingId: payment.tracking_id, status: payment.status },
          'paid after the payment was closed: Alipay+ reverses it (cancel wins)',
        );
      }
      return;
    }
    const ending = capturedEnding(cause, details, 'OPEN', this.deps.clock.now());
    const captured = await applyEnding(this.deps, payment, ending, kept);
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
  private async raiseLatePayment(
    payment: Payment,
    details: PaidDetails,
    cause: string,
    kept: KeptExchange | undefined,
  ): Promise<void> {
    const { db, clock, logger } = this.deps;
    const now = clock.now();
    const raised = await db.transaction().execute(async (tx) => {
      await keepExchangeIn(tx, this.deps, kept);
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
