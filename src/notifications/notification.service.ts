import type { Kysely } from 'kysely';
import type { MetricsRecorder } from '../app/metrics';
import { compiledQuery } from '../db/compiled-queries';
import type { Database, Db, PaymentRow, ServiceRow } from '../db/database';
import type { ClaimedJob, JobContext, JobResult } from '../jobs/job';
import { enqueueJob } from '../jobs/job.repository';
import { type Charset, decodeText } from '../kernel/charset';
import type { Clock } from '../kernel/clock';
import { registeredHostsOf } from '../merchants/merchant.repository';
import { findPaymentByTrackingId } from '../payments/payment.repository';
import type { PaymentEnded } from '../payments/payment-states';
import { NO_ANSWER_IN_TIME, postToMerchant, type Resolver } from './merchant-endpoint';
import { MAX_ATTEMPTS, nextAttemptAt, readMerchantAnswer } from './notification-schedule';

/**
 * Result notifications to merchants through the transactional outbox: the notification row and its
 * delivery job are written in the transaction of the payment's ending, and delivered after commit —
 * so a crash can delay a notification but never lose it (merchant-link-type.md, A02-1). What the
 * merchant is told, and in which form, is the channel's (`ResultNotificationFormat`, given in
 * `src/app/runtime.ts`).
 */
export const DELIVER_NOTIFICATION = 'notification.deliver';

/** PENDING while attempts remain; the merchant accepted, refused, or never answered in time. */
export type NotificationStatus = 'PENDING' | 'DELIVERED' | 'REFUSED' | 'UNDELIVERED';

/** How long the merchant has to answer one attempt. */
const ANSWER_TIMEOUT_MS = 10_000;
/** What is kept of a merchant's answer (it is shown in the console, escaped). */
const ANSWER_KEEP_CHARS = 500;

/** The merchant protocol a notification is written in (A02-1: `channels/link/result-notification.ts`). */
export interface ResultNotificationFormat {
  /** What the merchant is told of an ending, stored with the notification. */
  outcome(ended: PaymentEnded): { result: string; errCode: string };
  /** One delivery of a stored notification; every attempt sends the same bytes. */
  request(
    payment: PaymentRow,
    service: Pick<ServiceRow, 'encoding' | 'hash_key'>,
    notification: { result: string; errCode: string; createdAt: Date },
  ): { url: string; body: string; contentType: string; charset: Charset };
}

export interface NotificationServiceDeps {
  db: Kysely<Database>;
  format: ResultNotificationFormat;
  clock: Clock;
  mode: 'demo' | 'production';
  /** Asks the job worker to look for due jobs of a kind now (after a commit that queued one). */
  wakeJobs: (kind: string) => void;
  answerTimeoutMs?: number;
  metrics: MetricsRecorder;
  /** Name resolution for merchant URLs (the system resolver unless a test stands in for DNS). */
  resolve?: Resolver;
}

// The statements of each notification and each of its attempts, compiled once.

const insertNotification = compiledQuery((db: Db, arg) =>
  db
    .insertInto('notifications')
    .values({
      tracking_id: arg(0),
      result: arg(1),
      err_code: arg(2),
      status: 'PENDING',
      attempts: 0,
      created_at: arg(3),
      next_attempt_at: arg(3),
      finished_at: null,
      last_answer: null,
    })
    .returning('id'),
);
const notificationById = compiledQuery((db: Db, arg) =>
  db.selectFrom('notifications').selectAll().where('id', '=', arg(0)),
);
/** What a delivery needs of the payment's service: the format's fields and the registered hosts. */
const serviceForDelivery = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('services')
    .select(['encoding', 'hash_key', 'url_hosts'])
    .where('merchant_id', '=', arg(0))
    .where('service_id', '=', arg(1)),
);
const insertAttempt = compiledQuery((db: Db, arg) =>
  db.insertInto('notification_attempts').values({
    notification_id: arg(0),
    at: arg(1),
    http_status: arg(2),
    answer: arg(3),
    error: arg(4),
    duration_ms: arg(5),
  }),
);
/** Conditional on the attempt count: of two jobs racing for one attempt, one records it. */
const recordAttempt = compiledQuery((db: Db, arg) =>
  db
    .updateTable('notifications')
    .set({
      attempts: arg(2),
      status: arg(3),
      next_attempt_at: arg(4),
      finished_at: arg(5),
      last_answer: arg(6),
    })
    .where('id', '=', arg(0))
    .where('attempts', '=', arg(1)),
);
const pendingFirstAttempt = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('notifications')
    .select('id')
    .where('tracking_id', '=', arg(0))
    .where('attempts', '=', 0)
    .where('status', '=', 'PENDING'),
);

export class NotificationService {
  constructor(private readonly deps: NotificationServiceDeps) {}

  /** Writes the notification of an ending and its first delivery, inside the caller's transaction. */
  async queue(tx: Db, ended: PaymentEnded, now: Date): Promise<void> {
    const { result, errCode } = this.deps.format.outcome(ended);
    const { rows } = await insertNotification(tx, ended.trackingId, result, errCode, now.getTime());
    const inserted = rows[0];
    if (!inserted) throw new Error(`notification of payment ${ended.trackingId} was not inserted`);
    const task = { notificationId: Number(inserted.id), attempt: 0, resend: false };
    await enqueueAttempt(tx, task, ended.merchantId, now, now);
  }

  /**
   * A re-send asked for in the console. While the schedule is still running it brings the next
   * attempt forward (the scheduled one then finds its attempt made and stops); a finished
   * notification gets one more attempt, and the rest of the schedule if any attempts remain.
   */
  async resend(notificationId: number): Promise<boolean> {
    const now = this.deps.clock.now();
    const notification = await this.deps.db
      .selectFrom('notifications')
      .innerJoin('payments', 'payments.tracking_id', 'notifications.tracking_id')
      .select(['notifications.attempts', 'notifications.status', 'payments.merchant_id'])
      .where('notifications.id', '=', notificationId)
      .executeTakeFirst();
    if (!notification) return false;
    const resend = notification.status !== 'PENDING';
    const task = { notificationId, attempt: notification.attempts, resend };
    await enqueueAttempt(this.deps.db, task, notification.merchant_id, now, now);
    this.deps.wakeJobs(DELIVER_NOTIFICATION);
    return true;
  }

  /**
   * The job handler: attempt number `attempt + 1` of one notification. Each job carries the
   * attempt it is for, so a job whose attempt another job already made (a re-send, a worker that
   * lost its lease) stops without posting again.
   */
  async deliver(job: ClaimedJob, ctx: JobContext): Promise<JobResult> {
    const { db, clock } = this.deps;
    const task = readTask(job.payload);
    if (!task) return { type: 'dead', error: 'payload without a notification id and attempt' };
    const notification = (await notificationById(db, task.notificationId)).rows[0];
    if (!notification) return { type: 'dead', error: `notification ${task.notificationId} not found` };
    if (notification.attempts !== task.attempt) return { type: 'done' };
    if (notification.status !== 'PENDING' && !task.resend) return { type: 'done' };
    const payment = await findPaymentByTrackingId(db, notification.tracking_id);
    if (!payment) return { type: 'dead', error: `payment ${notification.tracking_id} not found` };
    const service = (await serviceForDelivery(db, payment.merchant_id, payment.service_id)).rows[0];
    if (!service) return { type: 'dead', error: `service of payment ${payment.tracking_id} not found` };

    const started = clock.now();
    const { url, body, contentType, charset } = this.deps.format.request(payment, service, {
      result: notification.result,
      errCode: notification.err_code,
      createdAt: new Date(notification.created_at),
    });
    const began = performance.now();
    const answer = await postToMerchant({
      url,
      body,
      contentType,
      registeredHosts: registeredHostsOf(service.url_hosts),
      mode: this.deps.mode,
      resolve: this.deps.resolve,
      timeoutMs: this.deps.answerTimeoutMs ?? ANSWER_TIMEOUT_MS,
      signal: ctx.signal,
    });
    const durationMs = Math.round(performance.now() - began);
    const text =
      'error' in answer
        ? null
        : (decodeText(answer.body, charset) ?? answer.body.toString('latin1')).slice(0, ANSWER_KEEP_CHARS);
    const verdict = 'error' in answer ? 'failed' : readMerchantAnswer(answer.status, text ?? '');
    this.deps.metrics.notificationAttempt(
      'error' in answer && answer.error === NO_ANSWER_IN_TIME ? 'timeout' : verdict,
    );
    const attempts = notification.attempts + 1;
    const next = verdict === 'failed' && attempts < MAX_ATTEMPTS ? nextAttemptAt(attempts, started) : null;
    const finalStatus =
      verdict === 'accepted'
        ? 'DELIVERED'
        : verdict === 'refused'
          ? 'REFUSED'
          : next
            ? 'PENDING'
            : 'UNDELIVERED';
    const at = clock.now().getTime();
    // Recorded in the transaction that finishes the job: a crash before it commits leaves the
    // attempt unrecorded and the job running, so it is made again (at least once, recorded once).
    const record = async (tx: Db) => {
      await insertAttempt(
        tx,
        notification.id,
        started.getTime(),
        'error' in answer ? null : answer.status,
        text,
        'error' in answer ? answer.error : null,
        durationMs,
      );
      const updated = await recordAttempt(
        tx,
        notification.id,
        notification.attempts,
        attempts,
        finalStatus,
        next ? next.getTime() : null,
        next ? null : at,
        'error' in answer ? answer.error : text,
      );
      if (next && Number(updated.numAffectedRows) === 1) {
        await enqueueAttempt(
          tx,
          { notificationId: notification.id, attempt: attempts, resend: false },
          payment.merchant_id,
          next,
          started,
        );
      }
    };
    return { type: 'done', record };
  }

  /** Whether the first attempt of each notification of a payment has been made (for the return page). */
  async firstAttemptsMade(trackingId: string): Promise<boolean> {
    const { rows } = await pendingFirstAttempt(this.deps.db, trackingId);
    return rows[0] === undefined;
  }
}

interface DeliveryTask {
  notificationId: number;
  /** Attempts already made when this job was queued: it makes attempt `attempt + 1`. */
  attempt: number;
  resend: boolean;
}

function readTask(payload: unknown): DeliveryTask | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const { notificationId, attempt, resend } = payload as Record<string, unknown>;
  if (typeof notificationId !== 'number' || !Number.isSafeInteger(notificationId)) return null;
  if (typeof attempt !== 'number' || !Number.isSafeInteger(attempt)) return null;
  return { notificationId, attempt, resend: resend === true };
}

/** A merchant's deliveries form one job group: its slow endpoint holds only the group's slots. */
function enqueueAttempt(db: Db, task: DeliveryTask, merchantId: string, dueAt: Date, now: Date) {
  return enqueueJob(
    db,
    { kind: DELIVER_NOTIFICATION, payload: task, dueAt, group: `merchant:${merchantId}` },
    now,
  );
}
