import type { Kysely } from 'kysely';
import type { MetricsRecorder } from '../app/metrics';
import { isLockConflict, isUniqueViolation } from '../db/connection';
import type { Database, Db, PaymentRow, RefundRow } from '../db/database';
import type { ClaimedJob, JobOutcome } from '../jobs/job';
import { enqueueJob } from '../jobs/job.repository';
import type { Clock } from '../kernel/clock';
import { DomainError } from '../kernel/errors';
import type { IdSource } from '../kernel/ids';
import { type Yen, yen } from '../kernel/money';
import { findPaymentByTrackingId, recordExchange } from '../payments/payment.repository';
import type { PaymentProvider, RefundProviderOutcome } from '../payments/payment-provider';
import {
  findRefund,
  findRefundByReplayKey,
  finishRefund,
  insertRefund,
  listRefundsOf,
  reserveRefundAmount,
} from './refund.repository';
import { type Refundability, refundability, remainingAmount } from './refund-rules';
import { findRefundStop } from './refund-stop.repository';

export type RefundStatus = 'PROCESSING' | 'SUCCEEDED' | 'FAILED';

export interface RefundCommand {
  merchantId: string;
  serviceId: string;
  trackingId: string;
  /** `null` = full refund: the whole remaining amount. */
  amount: Yen | null;
  channel: 'XML_API' | 'CONSOLE';
  requestedBy: string;
  /** Requests with the same key are the same refund (the XML API's replay rule, a console form's nonce). */
  replayKey: string | null;
  processingDatetime?: string | null;
}

export interface RefundView {
  refundId: string;
  trackingId: string;
  amount: Yen;
  status: RefundStatus;
  resultCode: string | null;
  channel: string;
  requestedBy: string;
  createdAt: Date;
  completedAt: Date | null;
}

export interface RefundTotals {
  captured: Yen;
  /** Sum of SUCCEEDED refunds. */
  refunded: Yen;
  /** Sum of PROCESSING refunds. */
  reserved: Yen;
  remaining: Yen;
}

export interface RefundOutcome {
  refund: RefundView;
  replayed: boolean;
  totals: RefundTotals;
}

export const JOB_RESEND_REFUND = 'refund.resend';

/** Re-send schedule of a refund whose outcome is unknown: 30 s, 1, 2, 5, 10 min, then every 30 min. */
const RESEND_DELAYS_MS = [30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000] as const;

export function resendDelayMs(attempt: number): number {
  return RESEND_DELAYS_MS[Math.min(attempt, RESEND_DELAYS_MS.length) - 1] ?? RESEND_DELAYS_MS[0];
}

export interface RefundServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdSource;
  provider: PaymentProvider;
  wakeJobs: () => void;
  metrics: MetricsRecorder;
}

function toView(row: RefundRow): RefundView {
  return {
    refundId: row.refund_id,
    trackingId: row.tracking_id,
    amount: yen(row.amount),
    status: row.status,
    resultCode: row.result_code,
    channel: row.channel,
    requestedBy: row.requested_by,
    createdAt: new Date(row.created_at),
    completedAt: row.completed_at === null ? null : new Date(row.completed_at),
  };
}

function totalsOf(payment: PaymentRow): RefundTotals {
  return {
    captured: yen(payment.amount),
    refunded: yen(payment.refunded_amount),
    reserved: yen(payment.refund_reserved_amount),
    remaining: remainingAmount(payment),
  };
}

/**
 * The refund domain service, used by every channel (XML API, console). A refund row (PROCESSING,
 * its amount reserved) and its re-send job are committed before Alipay+ is called; an unknown
 * outcome is resolved by re-sending the same `refundRequestId`, never by a second refund.
 */
/**
 * An operator's refund stop (governance.md, 2) refuses new refunds from every channel. Checked
 * first, and again inside the reserving transaction once it holds the payment's row, so a stop
 * committed meanwhile is seen there and nothing is reserved.
 */
async function refusedIfStopped(db: Db, merchantId: string): Promise<void> {
  if (await findRefundStop(db, merchantId)) {
    throw new DomainError('REFUNDS_STOPPED', `refunds of merchant ${merchantId} are stopped`);
  }
}

export class RefundService {
  constructor(private readonly deps: RefundServiceDeps) {}

  refundability(payment: PaymentRow, now: Date): Refundability {
    return refundability(payment, now);
  }

  async refund(command: RefundCommand): Promise<RefundOutcome> {
    const { db } = this.deps;
    if (command.replayKey) {
      const existing = await findRefundByReplayKey(db, command.replayKey);
      if (existing) return this.replay(existing, command);
    }
    const payment = await this.ownedPayment(command);
    await refusedIfStopped(db, payment.merchant_id);
    // Every captured payment went through `pay`; one without a request id has nothing to refund at Alipay+.
    if (payment.payment_request_id === null) {
      throw new DomainError('NOT_REFUNDABLE_STATE', 'the payment was never sent to Alipay+');
    }
    if (command.amount !== null && command.amount < 1) {
      throw new DomainError('INVALID_AMOUNT', 'a refund amount must be at least 1 yen');
    }

    const reserved = await this.reserve(payment, command);
    if (reserved.kind === 'replay') return this.replay(reserved.refund, command);
    const refund = reserved.refund;
    this.deps.wakeJobs();
    await this.send(refund);
    const after = (await findRefund(db, refund.refund_id))!;
    const latest = (await findPaymentByTrackingId(db, payment.tracking_id))!;
    return { refund: toView(after), replayed: false, totals: totalsOf(latest) };
  }

  /** Whether a refund was made with this replay key: a request with it is a replay, making nothing new. */
  async isReplay(replayKey: string): Promise<boolean> {
    return (await findRefundByReplayKey(this.deps.db, replayKey)) !== undefined;
  }

  async listRefunds(trackingId: string): Promise<RefundView[]> {
    return (await listRefundsOf(this.deps.db, trackingId)).map(toView);
  }

  async totals(trackingId: string): Promise<RefundTotals> {
    const payment = await findPaymentByTrackingId(this.deps.db, trackingId);
    if (!payment) throw new DomainError('PAYMENT_NOT_FOUND', 'no such payment');
    return totalsOf(payment);
  }

  /** The job: re-sends a refund still PROCESSING until Alipay+ gives a final answer. */
  async handleResend(job: ClaimedJob): Promise<JobOutcome> {
    const refundId = (job.payload as { refundId?: unknown } | null)?.refundId;
    if (typeof refundId !== 'string') return { type: 'dead', error: 'payload without a refund id' };
    const refund = await findRefund(this.deps.db, refundId);
    if (!refund) return { type: 'dead', error: `refund ${refundId} not found` };
    if (refund.status !== 'PROCESSING') return { type: 'done' };
    const payment = await findPaymentByTrackingId(this.deps.db, refund.tracking_id);
    if (!payment?.payment_request_id)
      return { type: 'dead', error: `refund ${refundId}: payment has no request id` };
    const outcome = await this.send(refund);
    if (outcome.kind !== 'unknown') return { type: 'done' };
    return {
      type: 'retry',
      at: new Date(this.deps.clock.now().getTime() + resendDelayMs(job.attempt + 1)),
      note: outcome.reason,
    };
  }

  private async ownedPayment(command: RefundCommand): Promise<PaymentRow> {
    const payment = await findPaymentByTrackingId(this.deps.db, command.trackingId);
    // Another merchant's or service's payment is "not found", never "forbidden".
    if (!payment || payment.merchant_id !== command.merchantId || payment.service_id !== command.serviceId) {
      throw new DomainError('PAYMENT_NOT_FOUND', 'no such payment for this merchant and service');
    }
    return payment;
  }

  private async replay(existing: RefundRow, command: RefundCommand): Promise<RefundOutcome> {
    const payment = await this.ownedPayment({ ...command, trackingId: existing.tracking_id });
    if (existing.tracking_id !== command.trackingId) {
      throw new DomainError('CONFLICT', 'the replay key belongs to another payment');
    }
    return { refund: toView(existing), replayed: true, totals: totalsOf(payment) };
  }

  /** Checks the rules and reserves the amount with the refund row, in one transaction. */
  private async reserve(
    payment: PaymentRow,
    command: RefundCommand,
  ): Promise<{ kind: 'new'; refund: RefundRow } | { kind: 'replay'; refund: RefundRow }> {
    const { db, clock, ids } = this.deps;
    // A full refund takes "what remains", which a concurrent refund may change: re-read and retry.
    for (let attempt = 0; attempt < 20; attempt++) {
      const now = clock.now();
      // An identical request may have reserved what remained since we last looked: then this
      // request is that refund, not a refusal (the XML API's replay rule under concurrency).
      if (attempt > 0 && command.replayKey) {
        const existing = await findRefundByReplayKey(db, command.replayKey);
        if (existing) return { kind: 'replay', refund: existing };
      }
      const current = attempt === 0 ? payment : await this.ownedPayment(command);
      const rules = refundability(current, now);
      if (!rules.refundable || (command.amount ?? rules.remaining) > rules.remaining) {
        const existing = command.replayKey ? await findRefundByReplayKey(db, command.replayKey) : undefined;
        if (existing) return { kind: 'replay', refund: existing };
      }
      if (!rules.refundable) {
        if (rules.reason === 'STATE') {
          throw new DomainError('NOT_REFUNDABLE_STATE', `a ${current.status} payment cannot be refunded`);
        }
        if (rules.reason === 'PERIOD_ENDED') {
          throw new DomainError('REFUND_PERIOD_ENDED', 'the refund period (365 days) has ended');
        }
        throw new DomainError('NOTHING_LEFT_TO_REFUND', 'nothing is left to refund');
      }
      const amount = command.amount ?? rules.remaining;
      if (amount > rules.remaining) {
        throw new DomainError('REFUND_EXCEEDS_REMAINING', `at most ${rules.remaining} yen can be refunded`);
      }
      const row = {
        refund_id: ids.transactionId(),
        tracking_id: current.tracking_id,
        merchant_id: current.merchant_id,
        service_id: current.service_id,
        amount,
        status: 'PROCESSING' as const,
        refund_request_id: ids.requestId('KSR'),
        replay_key: command.replayKey,
        channel: command.channel,
        requested_by: command.requestedBy,
        result_code: null,
        processing_datetime: command.processingDatetime ?? null,
        created_at: now.getTime(),
        updated_at: now.getTime(),
        completed_at: null,
      };
      try {
        const reserved = await db.transaction().execute(async (tx) => {
          if (!(await reserveRefundAmount(tx, current.tracking_id, amount, now))) return false;
          await refusedIfStopped(tx, current.merchant_id);
          await insertRefund(tx, row);
          await enqueueJob(
            tx,
            {
              kind: JOB_RESEND_REFUND,
              payload: { refundId: row.refund_id },
              dueAt: new Date(now.getTime() + resendDelayMs(1)),
              dedupeKey: `refund:${row.refund_id}`,
            },
            now,
          );
          return true;
        });
        if (reserved) return { kind: 'new', refund: row };
      } catch (error) {
        // The same replay key committed concurrently: that refund is this request's.
        if (command.replayKey && isUniqueViolation(error)) {
          const existing = await findRefundByReplayKey(db, command.replayKey);
          if (existing) return { kind: 'replay', refund: existing };
        }
        // PostgreSQL broke a lock cycle by rolling this attempt back (an identical request's
        // unique check waiting on a refund being finished, which waits on this payment row):
        // nothing was written, so look again.
        if (isLockConflict(error)) continue;
        throw error;
      }
    }
    throw new DomainError('CONFLICT', 'the payment is changing too fast; try again');
  }

  /** Sends (or re-sends) the refund and applies a final answer; unknown leaves it PROCESSING. */
  private async send(refund: RefundRow): Promise<RefundProviderOutcome> {
    const { db, clock, provider } = this.deps;
    const payment = await findPaymentByTrackingId(db, refund.tracking_id);
    if (!payment?.payment_request_id)
      throw new Error(`refund ${refund.refund_id}: payment has no request id`);
    const { outcome, exchange } = await provider.refund({
      refundRequestId: refund.refund_request_id,
      paymentRequestId: payment.payment_request_id,
      amount: yen(refund.amount),
      reason: 'merchant request',
    });
    const now = clock.now();
    await recordExchange(db, refund.tracking_id, exchange, `refund ${outcome.kind}`, now);
    if (outcome.kind === 'unknown') return outcome;
    const final =
      outcome.kind === 'succeeded'
        ? ({ status: 'SUCCEEDED' } as const)
        : ({ status: 'FAILED', resultCode: outcome.code } as const);
    let finished: boolean;
    try {
      finished = await db.transaction().execute((tx) => finishRefund(tx, refund, final, now));
    } catch (error) {
      // Rolled back to break a lock cycle with a concurrent reservation: nothing was written, the
      // refund stays PROCESSING and its re-send job applies Alipay+'s answer again.
      if (isLockConflict(error)) return { kind: 'unknown', reason: 'answer not recorded: lock conflict' };
      throw error;
    }
    if (finished) this.deps.metrics.refundFinished(final.status);
    return outcome;
  }
}
