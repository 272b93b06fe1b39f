import { setTimeout as delay } from 'node:timers/promises';
import { post } from '../alipayplus/http-post';
import { JSON_CONTENT_TYPE } from '../alipayplus/signing';
import type { Clock } from '../kernel/clock';
import type { FaultTable } from './faults';
import type { SandboxSigner } from './signer';
import type { Notification, SandboxStore } from './store';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** sandbox.md: after the first attempt, retries at these intervals (× time factor), then give up. */
export const RETRY_INTERVALS_MS = [2 * MINUTE, 10 * MINUTE, 10 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, 15 * HOUR];

/** alipayplus.md: the ACQP must answer notifyPayment within 5 s. */
const ANSWER_TIMEOUT_MS = 5_000;
const ANSWER_KEPT_CHARS = 2_000;
/** setTimeout's ceiling (~24.8 days); a later due time is reached by re-arming on wake-up. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface NotificationTarget {
  /** The order notified (notifyPayment), or the registration (notifyRegistrationStatus). */
  paymentId: string | null;
  registrationRequestId?: string;
  clientId: string;
  url: string;
  body: string;
}

export interface NotifierDeps {
  store: SandboxStore;
  signer: SandboxSigner;
  clock: Clock;
  faults: FaultTable;
  timeFactor: number;
  logError(message: string, error: unknown): void;
}

/** One delivery attempt as the console shows it (`sandbox_notification_attempts`). */
interface Attempt {
  /** When it was sent (sandbox clock). */
  at: number;
  httpStatus?: number;
  durationMs?: number;
  verified?: boolean;
  accepted?: boolean;
  answer?: string;
  error?: string | null;
}

/**
 * Delivers notifyPayment (alipayplus.md) until the ACQP answers with a response signed by its key
 * whose `result.resultStatus` is `S`. The schedule and every attempt live in the store (the console
 * shows them, a restart resumes them); the timers are in-process.
 */
export class Notifier {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly busy = new Set<number>();
  private readonly running = new Set<Promise<void>>();
  private readonly stop = new AbortController();

  constructor(private readonly deps: NotifierDeps) {}

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  /** Records a notification on `store` (the step's transaction, by default the store) and sets its timer. */
  async enqueue(target: NotificationTarget, delayMs: number, store = this.deps.store): Promise<number> {
    const at = this.now() + Math.max(0, Math.round(delayMs));
    const id = await store.insertNotification({
      payment_id: target.paymentId,
      registration_request_id: target.registrationRequestId ?? null,
      client_id: target.clientId,
      url: target.url,
      body: target.body,
      status: 'PENDING',
      note: null,
      attempts: 0,
      next_attempt_at: at,
      created_at: this.now(),
      finished_at: null,
    });
    // The attempt reads the row: on a transaction's store, only once it is committed.
    store.afterCommit(() => this.schedule(id, at));
    return id;
  }

  /** Records a notification that is deliberately not sent; the console can still send it. */
  async withhold(target: NotificationTarget, note: string, store = this.deps.store): Promise<number> {
    return store.insertNotification({
      payment_id: target.paymentId,
      registration_request_id: target.registrationRequestId ?? null,
      client_id: target.clientId,
      url: target.url,
      body: target.body,
      status: 'WITHHELD',
      note,
      attempts: 0,
      next_attempt_at: null,
      created_at: this.now(),
      finished_at: null,
    });
  }

  forget(ids: readonly number[]): void {
    for (const id of ids) {
      clearTimeout(this.timers.get(id));
      this.timers.delete(id);
    }
  }

  /** The console's "re-send": one attempt now, whatever the notification's state. */
  async resend(id: number): Promise<boolean> {
    const notification = await this.deps.store.notification(id);
    if (!notification) return false;
    await this.deps.store.updateNotification(id, {
      status: 'PENDING',
      next_attempt_at: this.now(),
      finished_at: null,
    });
    this.schedule(id, this.now());
    return true;
  }

  /** Re-reads the pending notifications and sets their timers (at start, after a clock move). */
  async rearm(): Promise<void> {
    this.forget([...this.timers.keys()]);
    for (const n of await this.deps.store.pendingNotifications())
      this.schedule(n.id, n.next_attempt_at ?? this.now());
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.forget([...this.timers.keys()]);
    await Promise.allSettled([...this.running]);
  }

  private schedule(id: number, at: number): void {
    if (this.stop.signal.aborted) return;
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        const run = this.attempt(id).catch((error: unknown) => {
          if (!this.stop.signal.aborted) this.deps.logError(`notification ${id} attempt failed`, error);
        });
        this.running.add(run);
        void run.finally(() => this.running.delete(run));
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - this.now())),
    );
    timer.unref();
    this.timers.set(id, timer);
  }

  private async attempt(id: number): Promise<void> {
    if (this.busy.has(id)) return;
    this.busy.add(id);
    try {
      const { store, faults } = this.deps;
      const notification = await store.notification(id);
      if (notification?.status !== 'PENDING') return;
      const due = notification.next_attempt_at ?? 0;
      if (due > this.now()) {
        // Woken early: the timer was capped, or the sandbox clock was moved back.
        this.schedule(id, due);
        return;
      }
      const fault = faults.take('notify');
      if (fault?.mode === 'delay') await delay(fault.delayMs, undefined, { signal: this.stop.signal });
      const sent: Attempt[] = [];
      if (fault?.mode === 'drop') {
        sent.push({ at: this.now(), error: 'not sent: injected drop fault' });
      } else {
        const copies = fault?.mode === 'duplicate' ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          const attempt = await this.send(notification, fault?.mode === 'badSignature');
          if (attempt) sent.push(attempt);
        }
      }
      // The attempts and the notification's new state are written together, once the HTTP is done.
      await store.transaction((tx) => this.settle(tx, notification, sent));
    } finally {
      this.busy.delete(id);
    }
  }

  private async settle(
    store: SandboxStore,
    notification: Notification,
    sent: readonly Attempt[],
  ): Promise<void> {
    const { timeFactor } = this.deps;
    const { id } = notification;
    for (const attempt of sent) await record(store, id, attempt);
    if (this.stop.signal.aborted) return;
    const attempts = notification.attempts + 1;
    // Each update applies only while the notification is pending: a cancel may have stopped it
    // meanwhile (cancel wins), and then it stays stopped.
    if (sent.some((a) => a.accepted)) {
      await store.updatePendingNotification(id, {
        status: 'DELIVERED',
        attempts,
        next_attempt_at: null,
        finished_at: this.now(),
      });
    } else if (attempts > RETRY_INTERVALS_MS.length) {
      await store.updatePendingNotification(id, {
        status: 'FAILED',
        attempts,
        next_attempt_at: null,
        finished_at: this.now(),
      });
    } else {
      const interval = RETRY_INTERVALS_MS[attempts - 1] ?? 0;
      const next = this.now() + Math.round(interval * timeFactor);
      if (await store.updatePendingNotification(id, { attempts, next_attempt_at: next })) {
        store.afterCommit(() => this.schedule(id, next));
      }
    }
  }

  /** One POST of the notification; nothing when the sandbox closed meanwhile. */
  private async send(notification: Notification, corruptSignature: boolean): Promise<Attempt | null> {
    const { signer } = this.deps;
    const path = new URL(notification.url).pathname;
    const time = signer.now();
    const body = Buffer.from(notification.body, 'utf8');
    const signature = signer.sign(path, notification.client_id, time, body);
    const at = this.now();
    const started = Date.now();
    try {
      const response = await post(
        notification.url,
        {
          'Content-Type': JSON_CONTENT_TYPE,
          'Client-Id': notification.client_id,
          'Request-Time': time,
          Signature: corruptSignature ? signer.corrupt(signature) : signature,
        },
        body,
        // A redirect is the ACQP's answer, recorded like any other (it is not signed).
        { timeoutMs: ANSWER_TIMEOUT_MS, redirect: 'answer', signal: this.stop.signal },
      );
      const answer = response.body;
      const verified = await signer.verifyAnswer(path, notification.client_id, response.headers, answer);
      return {
        at,
        httpStatus: response.status,
        durationMs: Date.now() - started,
        verified,
        accepted: verified && resultStatusOf(answer) === 'S',
        answer: answer.toString('utf8').slice(0, ANSWER_KEPT_CHARS),
        error: verified ? null : 'answer not signed by the client key',
      };
    } catch (error) {
      if (this.stop.signal.aborted) return null;
      return {
        at,
        durationMs: Date.now() - started,
        error: error instanceof Error ? describePostError(error) : String(error),
      };
    }
  }
}

function record(store: SandboxStore, notificationId: number, attempt: Attempt): Promise<void> {
  return store.insertAttempt({
    notification_id: notificationId,
    at: attempt.at,
    http_status: attempt.httpStatus ?? null,
    duration_ms: attempt.durationMs ?? 0,
    verified: attempt.verified ? 1 : 0,
    accepted: attempt.accepted ? 1 : 0,
    answer: attempt.answer ?? null,
    error: attempt.error ?? null,
  });
}

function resultStatusOf(answer: Buffer): string | null {
  try {
    const parsed = JSON.parse(answer.toString('utf8')) as { result?: { resultStatus?: unknown } };
    return typeof parsed.result?.resultStatus === 'string' ? parsed.result.resultStatus : null;
  } catch {
    return null;
  }
}

function describePostError(error: Error): string {
  if (error.name === 'TimeoutError') return `no answer within ${ANSWER_TIMEOUT_MS} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}
