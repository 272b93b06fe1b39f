import type { RegistrationReportMessage } from '../alipayplus/messages';
import type { Clock } from '../kernel/clock';
import { result } from './answers';
import type { RegistrationInquiry, RegistrationRequest } from './api-requests';
import type { Notifier } from './notifier';
import type { ApiAnswer } from './sandbox-service';
import type { Registration, RegistrationPsp, SandboxStore } from './store';
import { isWalletId } from './wallets';

/** setTimeout's ceiling (~24.8 days); a later review is reached by re-arming on wake-up. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RegistrationDeps {
  store: SandboxStore;
  clock: Clock;
  notifier: Notifier;
  /** How long the automatic review takes (KESSAI_SANDBOX_REVIEW_SECONDS); never scaled. */
  reviewSeconds: number;
  logError(message: string, error: unknown): void;
}

/**
 * The magic display names (governance.md §1): `REJECT-<PSPNAME>` makes that wallet reject the
 * merchant, `HOLD` keeps every wallet's review pending until someone decides on the console.
 */
function automaticDecision(
  displayName: string,
  psp: string,
): { status: 'APPROVED' | 'REJECTED'; reason: string | null } | null {
  if (displayName.includes(`REJECT-${psp}`)) {
    return { status: 'REJECTED', reason: `${psp} rejected the merchant at review (sandbox magic name)` };
  }
  if (displayName.includes('HOLD')) return null;
  return { status: 'APPROVED', reason: null };
}

/**
 * Merchant registration on the Alipay+ side (governance.md §1): each wallet reviews the merchant —
 * automatically after the review time, or by a person on the sandbox console — and every decision
 * is notified to the ACQP's `registrationNotifyURL` on the notify retry schedule.
 */
export class SandboxRegistrations {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly deps: RegistrationDeps) {}

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  async register(clientId: string, req: RegistrationRequest): Promise<ApiAnswer> {
    const { store } = this.deps;
    const unknown = req.pspNames.filter((psp) => !isWalletId(psp));
    if (unknown.length > 0) {
      return { body: { result: result('PARAM_ILLEGAL', `pspNames: unknown wallet ${unknown.join(', ')}`) } };
    }
    const existing = await store.registration(req.registrationRequestId);
    if (existing) {
      // Idempotent on registrationRequestId: the same request gets the same answer.
      return existing.fingerprint === req.fingerprint && existing.client_id === clientId
        ? { body: { result: result('SUCCESS') } }
        : { body: { result: result('REPEAT_REQ_INCONSISTENT') } };
    }
    const now = this.now();
    const registration: Registration = {
      registration_request_id: req.registrationRequestId,
      client_id: clientId,
      fingerprint: req.fingerprint,
      reference_merchant_id: req.merchantId,
      display_name: req.displayName,
      notify_url: req.notifyUrl,
      created_at: now,
      review_due_at: now + this.deps.reviewSeconds * 1000,
    };
    await store.insertRegistration(registration, req.pspNames);
    this.schedule(registration);
    return { body: { result: result('SUCCESS') } };
  }

  async inquire(clientId: string, req: RegistrationInquiry): Promise<ApiAnswer> {
    const { store } = this.deps;
    const registration = req.registrationRequestId
      ? await store.registration(req.registrationRequestId)
      : await store.latestRegistrationOf(req.merchantId ?? '', clientId);
    if (
      !registration ||
      registration.client_id !== clientId ||
      (req.merchantId !== null && registration.reference_merchant_id !== req.merchantId)
    ) {
      return { body: { result: result('REGISTRATION_NOT_EXIST', 'no such registration') } };
    }
    return { body: { result: result('SUCCESS'), ...(await this.report(registration)) } };
  }

  /** A decision on the console; false when that wallet had already decided. */
  async decide(
    registrationRequestId: string,
    psp: string,
    status: 'APPROVED' | 'REJECTED',
    reason: string | null,
  ): Promise<boolean> {
    const changed = await this.deps.store.decidePsp(registrationRequestId, psp, status, reason, this.now());
    if (changed) await this.notify(registrationRequestId);
    return changed;
  }

  /** Sets the timers of automatic reviews still to run (at start). */
  async rearm(): Promise<void> {
    for (const registration of await this.deps.store.registrationsAwaitingReview())
      this.schedule(registration);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(registration: Registration): void {
    if (this.closed || registration.review_due_at === null) return;
    const id = registration.registration_request_id;
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        this.review(id).catch((error: unknown) => {
          if (!this.closed) this.deps.logError(`automatic review of ${id} failed`, error);
        });
      },
      Math.min(MAX_TIMER_MS, Math.max(0, (registration.review_due_at ?? 0) - this.now())),
    );
    timer.unref();
    this.timers.set(id, timer);
  }

  /** The automatic review: every wallet still pending decides by the magic names. */
  private async review(registrationRequestId: string): Promise<void> {
    const { store } = this.deps;
    const registration = await store.registration(registrationRequestId);
    if (!registration || registration.review_due_at === null || this.closed) return;
    if (registration.review_due_at > this.now()) {
      this.schedule(registration);
      return;
    }
    let decided = false;
    for (const psp of await store.registrationPsps(registrationRequestId)) {
      if (psp.status !== 'PENDING') continue;
      const decision = automaticDecision(registration.display_name, psp.psp_name);
      if (!decision) continue;
      decided =
        (await store.decidePsp(
          registrationRequestId,
          psp.psp_name,
          decision.status,
          decision.reason,
          this.now(),
        )) || decided;
    }
    await store.finishAutomaticReview(registrationRequestId);
    if (decided) await this.notify(registrationRequestId);
  }

  /** Sends the registration's whole state; an older notification not yet delivered is stopped. */
  private async notify(registrationRequestId: string): Promise<void> {
    const { store, notifier } = this.deps;
    const registration = await store.registration(registrationRequestId);
    if (!registration) return;
    notifier.forget(await store.stopRegistrationNotifications(registrationRequestId, this.now()));
    await notifier.enqueue(
      {
        paymentId: null,
        registrationRequestId,
        clientId: registration.client_id,
        url: registration.notify_url,
        body: JSON.stringify(await this.report(registration)),
      },
      0,
    );
  }

  private async report(registration: Registration): Promise<RegistrationReportMessage> {
    const psps = await this.deps.store.registrationPsps(registration.registration_request_id);
    return {
      referenceMerchantId: registration.reference_merchant_id,
      registrationRequestId: registration.registration_request_id,
      registrationResult: overallResult(psps),
      pspRegistrationResultList: psps.map((p) => ({
        pspName: p.psp_name,
        registrationResult: {
          registrationStatus: p.status,
          ...(p.reject_reason ? { rejectReason: p.reject_reason } : {}),
        },
      })),
    };
  }
}

/** PROCESSING while a wallet still reviews; then COMPLETED if any approved, else FAILED. */
function overallResult(psps: readonly RegistrationPsp[]): RegistrationReportMessage['registrationResult'] {
  if (psps.some((p) => p.status === 'PENDING')) return { registrationStatus: 'PROCESSING' };
  if (psps.some((p) => p.status === 'APPROVED')) return { registrationStatus: 'COMPLETED' };
  return { registrationStatus: 'FAILED', rejectReason: 'every wallet rejected the merchant' };
}
