import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/connection';
import type { Database, PaymentRow } from '../db/database';
import type { ClaimedJob, JobOutcome } from '../jobs/job';
import { enqueueJob } from '../jobs/job.repository';
import type { Charset } from '../kernel/charset';
import type { Clock } from '../kernel/clock';
import type { IdSource } from '../kernel/ids';
import type { Yen } from '../kernel/money';
import type { ServiceWithMerchant } from '../merchants/merchant.repository';
import type { NotificationService } from '../notifications/notification.service';
import { findLatePayment, recordLatePayment, settleLatePayment } from './late-payment.repository';
import {
  findPaymentByRequestId,
  findPaymentByToken,
  findPaymentByTrackingId,
  insertPayment,
  markCancelRequested,
  recordExchange,
  recordPayOutcome,
} from './payment.repository';
import type {
  InquiryOutcome,
  NotifiedResult,
  PaidDetails,
  PaymentProvider,
  ProviderExchange,
} from './payment-provider';
import type { PaymentStatus } from './payment-states';
import { type CancelMarkCondition, recordTransition, type StatusChange } from './record-transition';

/** Clocks of payment-lifecycle.md. */
export const PAYMENT_DEADLINE_MS = 10 * 60_000;
export const DEADLINE_GRACE_MS = 30_000;
export const SELECTION_LIFETIME_MS = 30 * 60_000;
/** `pay` is sent at most this many times (the first and the re-sends of the same request). */
const PAY_SENDS = 3;
/** The deadline's bounded inquiry: up to 3 tries a few seconds apart. */
const DEADLINE_INQUIRIES = 3;
const DEADLINE_INQUIRY_GAP_MS = 3_000;
/** The shopper's cancel job runs if the synchronous attempt did not settle it. */
const CANCEL_JOB_DELAY_MS = 60_000;

export const JOB_EXPIRE_SELECTION = 'payment.expire-selection';
export const JOB_DEADLINE = 'payment.deadline';
export const JOB_CANCEL = 'payment.cancel';
export const JOB_REVERSE_LATE_PAYMENT = 'payment.reverse-late-payment';

/** A02-1 error codes (merchant-link-type.md, res_err_code). */
const ERR_FAILED = '6101';
const ERR_SHOPPER_CANCELLED = '6102';
const ERR_DEADLINE = '6103';

export interface NewPaymentInput {
  merchantId: string;
  serviceId: string;
  orderId: string;
  amount: Yen;
  custCode: string;
  itemId: string;
  itemName: string;
  /** The echoed A01-1 fields as received (A02-1/A03-1 send them back). */
  requestFields: Record<string, string>;
  details: Array<Record<string, string>>;
  freeCsv: string;
  charset: Charset;
  terminal: 'WEB' | 'WAP';
  osType: 'IOS' | 'ANDROID' | null;
  userAgent: string;
  clientIp: string;
}

export type CreateResult = { kind: 'created'; payment: PaymentRow } | { kind: 'duplicate' };

/** Where the shopper's browser goes next. */
export type ShopperOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'final'; payment: PaymentRow }
  | { kind: 'pending'; payment: PaymentRow }
  | { kind: 'unavailable'; payment: PaymentRow }
  | { kind: 'selection'; payment: PaymentRow }
  | { kind: 'notFound' };

export type NotificationVerdict = 'recorded' | 'unknownPayment' | 'mismatch';

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PaymentServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdSource;
  provider: PaymentProvider;
  notifications: NotificationService;
  wakeJobs: () => void;
  /** Absolute base of the gateway, for `paymentNotifyUrl` and `paymentRedirectUrl`. */
  gatewayPublicUrl: string;
  findService: (merchantId: string, serviceId: string) => Promise<ServiceWithMerchant | undefined>;
  logger: Logger;
}

interface Ending {
  to: PaymentStatus;
  cause: string;
  resultCode: string | null;
  notice: { result: 'OK' | 'NG' | 'CN'; errCode: string } | null;
  cancelMark?: CancelMarkCondition;
  set?: StatusChange['set'];
}

/**
 * The payment domain service: every channel and job changes payments through it. It records
 * locally first and calls Alipay+ after commit; unknown outcomes stay pending and are resolved by
 * re-send or inquiry, never guessed (ARCHITECTURE.md).
 */
export class PaymentService {
  constructor(private readonly deps: PaymentServiceDeps) {}

  async createPayment(input: NewPaymentInput): Promise<CreateResult> {
    const { db, clock, ids } = this.deps;
    const now = clock.now();
    const build = (): PaymentRow => ({
      tracking_id: ids.trackingId(),
      token: ids.token(),
      transaction_id: ids.transactionId(),
      merchant_id: input.merchantId,
      service_id: input.serviceId,
      order_id: input.orderId,
      status: 'REQUESTED',
      amount: input.amount,
      cust_code: input.custCode,
      item_id: input.itemId,
      item_name: input.itemName,
      request_fields: JSON.stringify(input.requestFields),
      details: JSON.stringify(input.details),
      free_csv: input.freeCsv,
      charset: input.charset,
      terminal_type: input.terminal,
      os_type: input.osType,
      user_agent: input.userAgent,
      client_ip: input.clientIp,
      received_at: now.getTime(),
      updated_at: now.getTime(),
      in_progress_at: null,
      deadline_at: null,
      payment_request_id: null,
      pay_outcome: null,
      redirect_url: null,
      alipay_payment_id: null,
      wallet: null,
      paid_at: null,
      cancel_requested_at: null,
      cancel_target: null,
      result_code: null,
      quote_currency_pair: null,
      quote_price: null,
      acquirer_id: null,
      refunded_amount: 0,
      refund_reserved_amount: 0,
    });
    // A unique violation is either the order id used concurrently (5107) or, astronomically
    // rarely, a random id colliding: one retry with fresh ids tells them apart.
    for (let attempt = 0; attempt < 2; attempt++) {
      const payment = build();
      try {
        await db.transaction().execute(async (tx) => {
          await insertPayment(tx, payment);
          await enqueueJob(
            tx,
            {
              kind: JOB_EXPIRE_SELECTION,
              payload: { trackingId: payment.tracking_id },
              dueAt: new Date(now.getTime() + SELECTION_LIFETIME_MS),
              dedupeKey: `expire-selection:${payment.tracking_id}`,
            },
            now,
          );
        });
        return { kind: 'created', payment };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    return { kind: 'duplicate' };
  }

  findByToken(token: string): Promise<PaymentRow | undefined> {
    return findPaymentByToken(this.deps.db, token);
  }

  /**
   * The shopper chose Alipay+: the payment enters IN_PROGRESS (the 10-minute deadline starts and
   * its job is written) before `pay` is sent, so a `pay` that times out is never forgotten.
   */
  async startAlipay(
    token: string,
    shopper?: { terminal: 'WEB' | 'WAP'; osType: 'IOS' | 'ANDROID' | null },
  ): Promise<ShopperOutcome> {
    const { db, clock, ids } = this.deps;
    let payment = await findPaymentByToken(db, token);
    if (!payment) return { kind: 'notFound' };
    if (payment.status === 'REQUESTED') {
      const now = clock.now();
      const deadline = new Date(now.getTime() + PAYMENT_DEADLINE_MS);
      const requestId = ids.requestId('KSP');
      await db.transaction().execute(async (tx) => {
        const moved = await recordTransition(tx, {
          trackingId: payment!.tracking_id,
          from: 'REQUESTED',
          to: 'IN_PROGRESS',
          cause: 'shopper chose Alipay+',
          now,
          set: {
            payment_request_id: requestId,
            in_progress_at: now.getTime(),
            deadline_at: deadline.getTime(),
            ...(shopper ? { terminal_type: shopper.terminal, os_type: shopper.osType } : {}),
          },
        });
        if (moved) {
          await enqueueJob(
            tx,
            {
              kind: JOB_DEADLINE,
              payload: { trackingId: payment!.tracking_id },
              dueAt: new Date(deadline.getTime() + DEADLINE_GRACE_MS),
              dedupeKey: `deadline:${payment!.tracking_id}`,
            },
            now,
          );
        }
      });
      // Whoever won a concurrent click, the payment is now IN_PROGRESS with one request id.
      payment = await this.reload(payment);
    }
    if (payment.status !== 'IN_PROGRESS') return this.shopperView(payment);
    // Never back to a cashier that is being closed; after the deadline `pay` is never re-sent
    // (payment-lifecycle.md, Clocks).
    if (payment.cancel_requested_at !== null || this.pastDeadline(payment)) {
      return { kind: 'pending', payment };
    }
    if (payment.pay_outcome === 'CREATED' && payment.redirect_url) {
      return { kind: 'redirect', url: payment.redirect_url };
    }
    return this.sendPay(payment);
  }

  private pastDeadline(payment: PaymentRow): boolean {
    return payment.deadline_at !== null && this.deps.clock.now().getTime() >= payment.deadline_at;
  }

  private async sendPay(payment: PaymentRow): Promise<ShopperOutcome> {
    const found = await this.deps.findService(payment.merchant_id, payment.service_id);
    if (!found) throw new Error(`service of payment ${payment.tracking_id} vanished`);
    const { merchant } = found;
    const base = this.deps.gatewayPublicUrl;
    const command = {
      paymentRequestId: payment.payment_request_id!,
      amount: payment.amount as Yen,
      expiresAt: new Date(payment.deadline_at!),
      notifyUrl: `${base}/alipayplus/notifyPayment`,
      redirectUrl: `${base}/f01/payments/${payment.token}/return`,
      trackingId: payment.tracking_id,
      description: payment.item_name || payment.item_id,
      merchant: {
        merchantId: merchant.merchant_id,
        mcc: merchant.mcc,
        name: merchant.name,
        displayName: merchant.display_name,
        city: merchant.city,
        region: merchant.region,
        registeredOn: merchant.registered_on,
      },
      buyerId: payment.cust_code,
      allowedSubBrands: found.approvedWallets,
      terminal: payment.terminal_type === 'WAP' ? ('WAP' as const) : ('WEB' as const),
      osType: (payment.os_type as 'IOS' | 'ANDROID' | null) ?? null,
      userAgent: payment.user_agent,
      clientIp: payment.client_ip,
    };
    for (let send = 1; send <= PAY_SENDS && !this.pastDeadline(payment); send++) {
      const { outcome, exchange } = await this.deps.provider.pay(command);
      await this.record(payment.tracking_id, exchange, outcome.kind);
      if (outcome.kind === 'created') {
        await recordPayOutcome(
          this.deps.db,
          payment.tracking_id,
          {
            pay_outcome: 'CREATED',
            redirect_url: outcome.redirectUrl,
            alipay_payment_id: outcome.providerPaymentId,
          },
          this.deps.clock.now(),
        );
        return { kind: 'redirect', url: outcome.redirectUrl };
      }
      if (outcome.kind === 'failed') {
        // ORDER_IS_CLOSED at any time means closed unpaid (payment-lifecycle.md, Clocks).
        await this.end(
          payment,
          outcome.code === 'ORDER_IS_CLOSED'
            ? this.closedEnding(payment, 'pay: order closed at Alipay+', outcome.code)
            : this.failedEnding('pay refused by Alipay+', outcome.code),
        );
        return this.shopperView(await this.reload(payment));
      }
      this.deps.logger.warn(
        { trackingId: payment.tracking_id, send, reason: outcome.reason },
        'pay outcome unknown',
      );
    }
    // Still unknown after the re-sends: ask Alipay+ what it knows.
    const settled = await this.inquireAndApply(payment, 'inquiry after unanswered pay');
    if (settled.kind === 'final') return settled;
    await recordPayOutcome(
      this.deps.db,
      payment.tracking_id,
      { pay_outcome: 'UNKNOWN' },
      this.deps.clock.now(),
    );
    const latest = await this.reload(payment);
    if (latest.pay_outcome === 'CREATED' && latest.redirect_url)
      return { kind: 'redirect', url: latest.redirect_url };
    return { kind: 'unavailable', payment: latest };
  }

  /**
   * The shopper is back from Alipay+: settle the state from our own record, then by one brief
   * inquiry if still open.
   */
  async settleOnReturn(token: string): Promise<ShopperOutcome> {
    const payment = await findPaymentByToken(this.deps.db, token);
    if (!payment) return { kind: 'notFound' };
    if (payment.status !== 'IN_PROGRESS' || payment.cancel_requested_at !== null) {
      return this.shopperView(payment);
    }
    return this.inquireAndApply(payment, 'inquiry on return');
  }

  /** "Return to shop" on the selection screen, or "cancel and return" on the confirming page. */
  async cancelByShopper(token: string): Promise<ShopperOutcome> {
    const payment = await findPaymentByToken(this.deps.db, token);
    if (!payment) return { kind: 'notFound' };
    if (payment.status === 'REQUESTED') {
      await this.end(payment, {
        to: 'CANCELED',
        cause: 'shopper returned to the shop',
        resultCode: null,
        notice: { result: 'CN', errCode: ERR_SHOPPER_CANCELLED },
      });
      return this.shopperView(await this.reload(payment));
    }
    if (payment.status !== 'IN_PROGRESS') return this.shopperView(payment);
    // The mark and the job that owns this cancel until Alipay+ confirms it commit together; the
    // job is due after the longest synchronous attempt below (cancel, then inquiry) can take.
    const now = this.deps.clock.now();
    const marked = await this.deps.db.transaction().execute(async (tx) => {
      if (!(await markCancelRequested(tx, payment.tracking_id, 'CANCELED', now))) return false;
      await enqueueJob(
        tx,
        {
          kind: JOB_CANCEL,
          payload: { trackingId: payment.tracking_id },
          dueAt: new Date(now.getTime() + CANCEL_JOB_DELAY_MS),
          dedupeKey: `cancel:${payment.tracking_id}`,
        },
        now,
      );
      return true;
    });
    // Not marked: captured meanwhile, or the deadline's cancel is already under way.
    if (marked) await this.cancelAtAlipay(await this.reload(payment), 'CANCELED');
    return this.shopperView(await this.reload(payment));
  }

  /** A verified notifyPayment from Alipay+. Idempotent: repeats and late arrivals change nothing. */
  async applyNotification(input: {
    paymentRequestId: string;
    result: NotifiedResult;
    exchange: ProviderExchange;
  }): Promise<NotificationVerdict> {
    const payment = await findPaymentByRequestId(this.deps.db, input.paymentRequestId);
    if (!payment) return 'unknownPayment';
    await this.record(payment.tracking_id, input.exchange, `notified ${input.result.kind}`);
    // Money reported for a failed payment is recorded whatever its amount: it has to be reversed.
    if (
      input.result.kind === 'paid' &&
      payment.status !== 'FAILED' &&
      !this.paidAmountMatches(payment, input.result.details)
    )
      return 'mismatch';
    await this.applyProviderResult(payment, input.result, 'notification from Alipay+');
    return 'recorded';
  }

  /**
   * Money is captured only for the amount the merchant asked: a "paid" answer for another amount
   * or currency is not taken as paid (the deadline then cancels, and Alipay+ reverses it).
   */
  private paidAmountMatches(payment: PaymentRow, details: PaidDetails): boolean {
    const amount = details.amount;
    if (amount?.currency === 'JPY' && amount.value === String(payment.amount)) return true;
    this.deps.logger.error(
      { trackingId: payment.tracking_id, amount },
      'Alipay+ reports a paid amount that differs from the payment: not captured',
    );
    return false;
  }

  private async applyProviderResult(
    payment: PaymentRow,
    result: NotifiedResult | InquiryOutcome,
    cause: string,
  ): Promise<void> {
    switch (result.kind) {
      case 'paid': {
        if (payment.status === 'FAILED') {
          await this.raiseLatePayment(payment, result.details, cause);
          return;
        }
        if (payment.status !== 'IN_PROGRESS') {
          if (payment.status === 'EXPIRED' || payment.status === 'CANCELED') {
            this.deps.logger.warn(
              { trackingId: payment.tracking_id, status: payment.status },
              'paid after the payment was closed: Alipay+ reverses it (cancel wins)',
            );
          }
          return;
        }
        const captured = await this.end(payment, this.capturedEnding(cause, result.details, 'not-requested'));
        if (!captured && (await this.reload(payment)).cancel_requested_at !== null) {
          this.deps.logger.warn(
            { trackingId: payment.tracking_id },
            'paid after cancel was requested: acknowledged, not captured (cancel wins)',
          );
        }
        return;
      }
      case 'closed':
        // The shopper may have asked to cancel meanwhile: that decides CANCELED vs EXPIRED.
        await this.end(payment, this.closedEnding(await this.reload(payment), cause, result.code));
        return;
      case 'failed':
        await this.end(payment, this.failedEnding(cause, result.code, result.wallet));
        return;
      default:
        return;
    }
  }

  /**
   * Alipay+ says money moved for a payment that FAILED (final): it is recorded for the operator and
   * reversed at Alipay+ by a cancel (which Alipay+ accepts whatever the order's status), in a job
   * queued in the same transaction, so neither the record nor the reversal can be lost.
   */
  private async raiseLatePayment(payment: PaymentRow, details: PaidDetails, cause: string): Promise<void> {
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

  /** Cancels at Alipay+ the order behind a late payment, until Alipay+ confirms or refuses. */
  async handleReverseLatePayment(job: ClaimedJob): Promise<JobOutcome> {
    const payment = await this.jobPayment(job);
    if (!payment?.payment_request_id) return { type: 'dead', error: 'payment without an Alipay+ request' };
    const late = await findLatePayment(this.deps.db, payment.tracking_id);
    if (late?.status !== 'REVERSING') return { type: 'done' };
    const { outcome, exchange } = await this.deps.provider.cancel(payment.payment_request_id);
    await this.record(payment.tracking_id, exchange, outcome.kind);
    const at = this.deps.clock.now();
    if (outcome.kind === 'unknown') {
      const delay = Math.min(5_000 * 2 ** Math.min(job.attempt, 10), 10 * 60_000);
      return { type: 'retry', at: new Date(at.getTime() + delay), note: outcome.reason };
    }
    const reversed = outcome.kind === 'closed';
    await settleLatePayment(this.deps.db, {
      trackingId: payment.tracking_id,
      status: reversed ? 'REVERSED' : 'NEEDS_OPERATOR',
      note: `${reversed ? 'cancelled' : 'cancel refused'} at Alipay+: ${outcome.code}`,
      at,
    });
    if (!reversed) {
      this.deps.logger.error(
        { trackingId: payment.tracking_id, code: outcome.code },
        'Alipay+ refused to reverse money paid for a failed payment: needs an operator',
      );
    }
    return { type: 'done' };
  }

  private async inquireAndApply(payment: PaymentRow, cause: string): Promise<ShopperOutcome> {
    const outcome = await this.inquire(payment);
    await this.applyProviderResult(payment, outcome, cause);
    return this.shopperView(await this.reload(payment));
  }

  private async inquire(payment: PaymentRow): Promise<InquiryOutcome> {
    const { outcome, exchange } = await this.deps.provider.inquire(payment.payment_request_id!);
    await this.record(payment.tracking_id, exchange, outcome.kind);
    if (outcome.kind === 'paid' && !this.paidAmountMatches(payment, outcome.details)) {
      return { kind: 'unknown', reason: 'paid amount differs from the payment' };
    }
    return outcome;
  }

  /**
   * The cancel path (payment-lifecycle.md, Cancelling): set the cancel mark under the same
   * condition as a capture — exactly one of the two wins — then cancel at Alipay+. The payment is
   * closed only when Alipay+ confirms; a refused cancel is followed by an inquiry, and money that
   * Alipay+ says moved is captured.
   */
  private async cancelAtAlipay(
    payment: PaymentRow,
    target: 'CANCELED' | 'EXPIRED',
  ): Promise<'closed' | 'captured' | 'final' | 'retry'> {
    const { db, clock, provider } = this.deps;
    if (payment.cancel_requested_at === null) {
      await markCancelRequested(db, payment.tracking_id, target, clock.now());
    }
    // Read again right before calling out: a capture that followed a refused cancel clears the
    // mark, and a cancel sent after it would make Alipay+ reverse money the merchant was told of.
    payment = await this.reload(payment);
    if (payment.status !== 'IN_PROGRESS' || payment.cancel_requested_at === null) return 'final';
    const { outcome, exchange } = await provider.cancel(payment.payment_request_id!);
    await this.record(payment.tracking_id, exchange, outcome.kind);
    if (outcome.kind === 'closed') {
      await this.end(payment, this.closedEnding(payment, 'cancelled at Alipay+', outcome.code));
      return 'closed';
    }
    if (outcome.kind === 'unknown') return 'retry';
    this.deps.logger.warn(
      { trackingId: payment.tracking_id, code: outcome.code },
      'Alipay+ refused the cancel: inquiring',
    );
    const inquiry = await this.inquire(payment);
    if (inquiry.kind === 'paid') {
      const captured = await this.end(
        payment,
        this.capturedEnding('paid; cancel refused', inquiry.details, 'requested'),
      );
      return captured ? 'captured' : 'final';
    }
    if (inquiry.kind === 'closed') {
      await this.end(payment, this.closedEnding(payment, 'closed at Alipay+', inquiry.code));
      return 'closed';
    }
    this.deps.logger.error(
      { trackingId: payment.tracking_id, inquiry: inquiry.kind },
      'payment neither cancellable nor paid: needs an operator',
    );
    return 'retry';
  }

  // --- job handlers -------------------------------------------------------------------------

  /** A selection screen idle for 30 minutes: nothing exists at Alipay+, so no call is made. */
  async handleExpireSelection(job: ClaimedJob): Promise<JobOutcome> {
    const payment = await this.jobPayment(job);
    if (payment?.status === 'REQUESTED') {
      await this.end(payment, {
        to: 'EXPIRED',
        cause: 'selection screen idle for 30 minutes',
        resultCode: null,
        notice: { result: 'CN', errCode: ERR_DEADLINE },
      });
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
    // The shopper's cancel has its own job; one path at a time talks to Alipay+ about a cancel.
    if (payment.cancel_target === 'CANCELED') return { type: 'done' };
    const now = this.deps.clock.now();
    if (payment.cancel_requested_at === null) {
      const outcome = await this.inquire(payment);
      if (outcome.kind === 'paid' || outcome.kind === 'closed' || outcome.kind === 'failed') {
        await this.applyProviderResult(payment, outcome, 'inquiry at the deadline');
        const after = await this.reload(payment);
        if (after.status !== 'IN_PROGRESS') return { type: 'done' };
      } else if (outcome.kind === 'unknown' && job.attempt < DEADLINE_INQUIRIES) {
        return { type: 'retry', at: new Date(now.getTime() + DEADLINE_INQUIRY_GAP_MS), note: outcome.reason };
      }
    }
    return this.cancelStep(await this.reload(payment), 'EXPIRED', job);
  }

  /** Re-sends a cancel whose outcome was unknown (or keeps inquiring after a refusal). */
  async handleCancel(job: ClaimedJob): Promise<JobOutcome> {
    const payment = await this.jobPayment(job);
    if (payment?.status !== 'IN_PROGRESS') return { type: 'done' };
    return this.cancelStep(
      payment,
      (payment.cancel_target as 'CANCELED' | 'EXPIRED' | null) ?? 'CANCELED',
      job,
    );
  }

  private async cancelStep(
    payment: PaymentRow,
    target: 'CANCELED' | 'EXPIRED',
    job: ClaimedJob,
  ): Promise<JobOutcome> {
    if (payment.status !== 'IN_PROGRESS') return { type: 'done' };
    const step = await this.cancelAtAlipay(payment, target);
    if (step !== 'retry') return { type: 'done' };
    // Back off 5 s, 10 s, 20 s … up to 10 minutes; the job never gives up on money.
    const delay = Math.min(5_000 * 2 ** Math.min(job.attempt, 10), 10 * 60_000);
    return {
      type: 'retry',
      at: new Date(this.deps.clock.now().getTime() + delay),
      note: 'cancel not confirmed',
    };
  }

  private async jobPayment(job: ClaimedJob): Promise<PaymentRow | undefined> {
    const trackingId = (job.payload as { trackingId?: unknown } | null)?.trackingId;
    if (typeof trackingId !== 'string') return undefined;
    return findPaymentByTrackingId(this.deps.db, trackingId);
  }

  // --- endings --------------------------------------------------------------------------------

  private capturedEnding(cause: string, details: PaidDetails, cancelMark: CancelMarkCondition): Ending {
    const now = this.deps.clock.now();
    return {
      to: 'CAPTURED',
      cause,
      resultCode: 'SUCCESS',
      notice: { result: 'OK', errCode: '' },
      cancelMark,
      set: {
        paid_at: (details.paidAt ?? now).getTime(),
        wallet: details.wallet,
        ...(details.providerPaymentId ? { alipay_payment_id: details.providerPaymentId } : {}),
        quote_currency_pair: details.quoteCurrencyPair,
        quote_price: details.quotePrice,
        acquirer_id: details.acquirerId,
        result_code: 'SUCCESS',
        // The capture that follows a refused cancel clears the mark: the money stays captured.
        ...(cancelMark === 'requested' ? { cancel_requested_at: null, cancel_target: null } : {}),
      },
    };
  }

  /** `wallet`: the one the shopper chose before it failed, when Alipay+ says (the console shows it). */
  private failedEnding(cause: string, code: string, wallet: string | null = null): Ending {
    return {
      to: 'FAILED',
      cause,
      resultCode: code,
      notice: { result: 'NG', errCode: ERR_FAILED },
      set: { result_code: code, ...(wallet ? { wallet } : {}) },
    };
  }

  /** Closed unpaid: by the shopper's cancel (CANCELED, 6102) or otherwise (EXPIRED, 6103). */
  private closedEnding(payment: PaymentRow, cause: string, code: string): Ending {
    const byShopper = payment.cancel_target === 'CANCELED';
    return {
      to: byShopper ? 'CANCELED' : 'EXPIRED',
      cause,
      resultCode: code,
      notice: { result: 'CN', errCode: byShopper ? ERR_SHOPPER_CANCELLED : ERR_DEADLINE },
      set: { result_code: code },
    };
  }

  /** Applies one final transition with its A02-1 in the same transaction; false if another writer won. */
  private async end(payment: PaymentRow, ending: Ending): Promise<boolean> {
    const { db, clock, notifications } = this.deps;
    const now = clock.now();
    const from = payment.status as PaymentStatus;
    if (from !== 'REQUESTED' && from !== 'IN_PROGRESS') return false;
    const applied = await db.transaction().execute(async (tx) => {
      const moved = await recordTransition(tx, {
        trackingId: payment.tracking_id,
        from,
        to: ending.to,
        cause: ending.cause,
        resultCode: ending.resultCode,
        cancelMark: ending.cancelMark ?? 'any',
        set: ending.set,
        now,
      });
      if (moved && ending.notice) {
        await notifications.queue(tx, payment, ending.notice.result, ending.notice.errCode, now);
      }
      return moved;
    });
    if (applied) this.deps.wakeJobs();
    return applied;
  }

  private async record(trackingId: string, exchange: ProviderExchange, outcome: string): Promise<void> {
    await recordExchange(this.deps.db, trackingId, exchange, outcome, this.deps.clock.now());
  }

  private async reload(payment: PaymentRow): Promise<PaymentRow> {
    return (await findPaymentByTrackingId(this.deps.db, payment.tracking_id)) ?? payment;
  }

  private shopperView(payment: PaymentRow): ShopperOutcome {
    switch (payment.status) {
      case 'REQUESTED':
        return { kind: 'selection', payment };
      case 'IN_PROGRESS':
        return { kind: 'pending', payment };
      default:
        return { kind: 'final', payment };
    }
  }
}
