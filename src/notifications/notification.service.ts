import type { Kysely } from 'kysely';
import { encodeForm } from '../channels/link/link-form';
import { type LinkResult, notificationPairs, resultCharset } from '../channels/link/result-form';
import { isRegisteredHost } from '../channels/link/url-hosts';
import type { Database, Db } from '../db/database';
import type { ClaimedJob, JobOutcome } from '../jobs/job';
import { enqueueJob } from '../jobs/job.repository';
import { charsetLabel } from '../kernel/charset';
import type { Clock } from '../kernel/clock';
import { findServiceWithMerchant } from '../merchants/merchant.repository';
import { findPaymentByTrackingId } from '../payments/payment.repository';
import { MAX_ATTEMPTS, nextAttemptAt, readMerchantAnswer } from './notification-schedule';

/**
 * A02-1 result notifications through the transactional outbox: the notification row and its
 * delivery job are written in the transaction of the state change, and delivered after commit —
 * so a crash can delay a notification but never lose it (merchant-link-type.md, A02-1).
 */
export const DELIVER_NOTIFICATION = 'notification.deliver';

/** How long the merchant has to answer one attempt. */
const ANSWER_TIMEOUT_MS = 10_000;
/** What is kept of a merchant's answer (it is shown in the console, escaped). */
const ANSWER_KEEP_CHARS = 500;

export interface NotificationServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  mode: 'demo' | 'production';
  /** Asks the job worker to look for due jobs now (after a commit that queued one). */
  wakeJobs: () => void;
  answerTimeoutMs?: number;
}

export class NotificationService {
  constructor(private readonly deps: NotificationServiceDeps) {}

  /** Writes a result notification and its first delivery, inside the caller's transaction. */
  async queue(tx: Db, trackingId: string, result: LinkResult, errCode: string, now: Date): Promise<void> {
    const inserted = await tx
      .insertInto('notifications')
      .values({
        tracking_id: trackingId,
        result,
        err_code: errCode,
        status: 'PENDING',
        attempts: 0,
        created_at: now.getTime(),
        next_attempt_at: now.getTime(),
        finished_at: null,
        last_answer: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await enqueueJob(
      tx,
      { kind: DELIVER_NOTIFICATION, payload: { notificationId: Number(inserted.id) }, dueAt: now },
      now,
    );
  }

  /** Re-sends a notification on request (console), as a new series of attempts. */
  async resend(notificationId: number): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('notifications')
        .set({ status: 'PENDING', next_attempt_at: now.getTime(), finished_at: null })
        .where('id', '=', notificationId)
        .returning('id')
        .executeTakeFirst();
      if (!row) return;
      await enqueueJob(
        tx,
        { kind: DELIVER_NOTIFICATION, payload: { notificationId, resend: true }, dueAt: now },
        now,
      );
    });
    this.deps.wakeJobs();
  }

  /** The job handler: one delivery attempt, recorded, then the next step of the schedule. */
  async deliver(job: ClaimedJob): Promise<JobOutcome> {
    const { db, clock } = this.deps;
    const payload = job.payload;
    const notificationId = readNotificationId(payload);
    if (notificationId === null) return { type: 'dead', error: 'payload without a notification id' };
    const resend = typeof payload === 'object' && payload !== null && 'resend' in payload;
    const notification = await db
      .selectFrom('notifications')
      .selectAll()
      .where('id', '=', notificationId)
      .executeTakeFirst();
    if (!notification) return { type: 'dead', error: `notification ${notificationId} not found` };
    if (notification.status !== 'PENDING') return { type: 'done' };
    const payment = await findPaymentByTrackingId(db, notification.tracking_id);
    if (!payment) return { type: 'dead', error: `payment ${notification.tracking_id} not found` };
    const found = await findServiceWithMerchant(db, payment.merchant_id, payment.service_id);
    if (!found) return { type: 'dead', error: `service of payment ${payment.tracking_id} not found` };

    const echoed = JSON.parse(payment.request_fields) as Record<string, string>;
    const url = echoed.pagecon_url ?? '';
    const started = clock.now();
    const charset = resultCharset(found.service.encoding, payment.charset);
    let status: number | null = null;
    let answer = '';
    let error: string | null = null;
    const began = performance.now();
    if (!isAllowedTarget(url, found.urlHosts, this.deps.mode)) {
      error = 'pagecon_url host is no longer registered for the service';
    } else {
      const pairs = notificationPairs(
        payment,
        {
          result: notification.result as 'OK' | 'NG' | 'CN',
          errCode: notification.err_code,
          resDate: started,
        },
        found.service.hash_key,
      );
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': `application/x-www-form-urlencoded; charset=${charsetLabel(charset)}` },
          body: encodeForm(pairs, charset),
          redirect: 'manual',
          signal: AbortSignal.timeout(this.deps.answerTimeoutMs ?? ANSWER_TIMEOUT_MS),
        });
        status = response.status;
        answer = (await response.text()).slice(0, ANSWER_KEEP_CHARS);
      } catch (e) {
        error = e instanceof Error && e.name === 'TimeoutError' ? 'no answer in time' : 'connection failed';
      }
    }
    const durationMs = Math.round(performance.now() - began);
    const verdict = error ? 'failed' : readMerchantAnswer(status, answer);
    const attempts = notification.attempts + 1;
    // A console re-send makes one attempt; the automatic schedule is not restarted by it.
    const next =
      verdict === 'failed' && !resend && attempts < MAX_ATTEMPTS ? nextAttemptAt(attempts, started) : null;
    const finalStatus =
      verdict === 'accepted'
        ? 'DELIVERED'
        : verdict === 'refused'
          ? 'REFUSED'
          : next
            ? 'PENDING'
            : 'UNDELIVERED';
    const at = clock.now().getTime();
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('notification_attempts')
        .values({
          notification_id: notificationId,
          at: started.getTime(),
          http_status: status,
          answer: error ? null : answer,
          error,
          duration_ms: durationMs,
        })
        .execute();
      await tx
        .updateTable('notifications')
        .set({
          attempts,
          status: finalStatus,
          next_attempt_at: next ? next.getTime() : null,
          finished_at: next ? null : at,
          last_answer: error ?? answer,
        })
        .where('id', '=', notificationId)
        .execute();
    });
    return next
      ? { type: 'retry', at: next, note: error ?? `merchant answered ${status}` }
      : { type: 'done' };
  }

  /** Whether the first attempt of each notification of a payment has been made (for the return page). */
  async firstAttemptsMade(trackingId: string): Promise<boolean> {
    const pending = await this.deps.db
      .selectFrom('notifications')
      .select('id')
      .where('tracking_id', '=', trackingId)
      .where('attempts', '=', 0)
      .where('status', '=', 'PENDING')
      .executeTakeFirst();
    return pending === undefined;
  }
}

function readNotificationId(payload: unknown): number | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const id = (payload as { notificationId?: unknown }).notificationId;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
}

/** Outgoing calls go only to hosts registered for the service (the URL allow-list). */
function isAllowedTarget(url: string, hosts: readonly string[], mode: 'demo' | 'production'): boolean {
  try {
    const parsed = new URL(url);
    return (
      (parsed.protocol === 'http:' || parsed.protocol === 'https:') && isRegisteredHost(parsed, hosts, mode)
    );
  } catch {
    return false;
  }
}
