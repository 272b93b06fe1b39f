import type { Kysely, Selectable } from 'kysely';
import type { Database, Db, SubBrandRegistrationTable, SubBrandStatus } from '../db/database';
import type { ClaimedJob, JobOutcome } from '../jobs/job';
import { enqueueJob } from '../jobs/job.repository';
import { backoffDelayMs } from '../jobs/job-worker';
import type { Clock } from '../kernel/clock';
import type { IdSource } from '../kernel/ids';
import { SUB_BRAND_CODES, type SubBrandCode, subBrandByCode } from '../merchants/sub-brands';
import { postNotice } from './notice.repository';
import type { RegistrationProvider, RegistrationReport } from './registration';
import { changeSubBrand, subBrandStates } from './sub-brand-review.repository';

export const JOB_SEND_REGISTRATION = 'governance.send-registration';
export const JOB_INQUIRE_REGISTRATION = 'governance.inquire-registration';

const MINUTE = 60_000;
/** governance.md §1: inquire once a registration has had no news for 10 minutes, then hourly. */
const SILENCE_BEFORE_INQUIRY_MS = 10 * MINUTE;
const INQUIRY_INTERVAL_MS = 60 * MINUTE;
/** registrationRequestId is at most 64 characters (governance.md §1). */
const REQUEST_ID_PREFIX = 'REG';

/** A merchant may apply for a sub-brand it has never applied for, or one that was rejected. */
const APPLICABLE_FROM: readonly SubBrandStatus[] = ['REJECTED'];

/** A refused application or withdrawal; the message is shown to the person who asked. */
export class SubBrandReviewError extends Error {
  override name = 'SubBrandReviewError';
}

export type ReportVerdict = 'applied' | 'unknownRegistration' | 'wrongMerchant';

export interface SubBrandReviewDeps {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdSource;
  provider: RegistrationProvider;
  gatewayPublicUrl: string;
  wakeJobs?: () => void;
}

export const REGISTRATION_NOTIFY_PATH = '/alipayplus/notifyRegistrationStatus';

/**
 * Sub-brand review as Alipay+ merchant registration (governance.md §1). A registration row and its
 * sub-brands' `APPLIED` state are recorded before anything is sent; a job sends `registration`
 * (re-sending the same `registrationRequestId` after U or a time-out), and the result arrives by
 * `notifyRegistrationStatus` or, when that stays silent, by the inquiry schedule.
 */
export class SubBrandReviewService {
  constructor(private readonly deps: SubBrandReviewDeps) {}

  /**
   * Applies for `subBrands` (new or rejected ones); returns the new registrationRequestId.
   * `alsoInTx` writes with the application, in its transaction (the console's audit row).
   */
  async apply(
    merchantId: string,
    subBrands: readonly string[],
    actor: string,
    alsoInTx?: (tx: Db, registrationRequestId: string) => Promise<void>,
  ): Promise<string> {
    const wanted = [...new Set(subBrands)];
    if (wanted.length === 0) throw new SubBrandReviewError('choose at least one sub-brand');
    const unknown = wanted.filter((code) => !(SUB_BRAND_CODES as readonly string[]).includes(code));
    if (unknown.length > 0) throw new SubBrandReviewError(`unknown sub-brand: ${unknown.join(', ')}`);
    const { db, clock, ids } = this.deps;
    const now = clock.now();
    const registrationRequestId = ids.requestId(REQUEST_ID_PREFIX);
    await db.transaction().execute(async (trx) => {
      const merchant = await trx
        .selectFrom('merchants')
        .select('merchant_id')
        .where('merchant_id', '=', merchantId)
        .executeTakeFirst();
      if (!merchant) throw new SubBrandReviewError(`no merchant ${merchantId}`);
      const current = new Map((await subBrandStates(trx, merchantId)).map((s) => [s.subBrand, s.status]));
      const blocked = wanted.filter((code) => {
        const status = current.get(code);
        return status !== undefined && !APPLICABLE_FROM.includes(status);
      });
      if (blocked.length > 0) {
        throw new SubBrandReviewError(
          `already applied, approved or withdrawn: ${blocked.map((c) => `${c} (${current.get(c)})`).join(', ')}`,
        );
      }
      await trx
        .insertInto('sub_brand_registrations')
        .values({
          registration_request_id: registrationRequestId,
          merchant_id: merchantId,
          sub_brands: JSON.stringify(wanted),
          status: 'SENDING',
          result_code: null,
          created_at: now.getTime(),
          updated_at: now.getTime(),
          last_heard_at: null,
        })
        .execute();
      for (const subBrand of wanted) {
        const changed = await changeSubBrand(trx, {
          merchantId,
          subBrand,
          from: current.has(subBrand) ? APPLICABLE_FROM : null,
          to: 'APPLIED',
          reason: null,
          newRegistrationRequestId: registrationRequestId,
          actor,
          now,
        });
        if (!changed) throw new SubBrandReviewError(`${subBrand} changed meanwhile; try again`);
      }
      await enqueueJob(
        trx,
        { kind: JOB_SEND_REGISTRATION, payload: { registrationRequestId }, dueAt: now },
        now,
      );
      await alsoInTx?.(trx, registrationRequestId);
    });
    this.deps.wakeJobs?.();
    return registrationRequestId;
  }

  /** A job's registration when it is still in `status`; otherwise how the job ends. */
  private async registrationOf(
    job: ClaimedJob,
    status: 'SENDING' | 'PROCESSING',
  ): Promise<{ registration: Selectable<SubBrandRegistrationTable> } | { outcome: JobOutcome }> {
    const id = (job.payload as { registrationRequestId?: unknown } | null)?.registrationRequestId;
    if (typeof id !== 'string')
      return { outcome: { type: 'dead', error: 'payload without a registrationRequestId' } };
    const registration = await this.deps.db
      .selectFrom('sub_brand_registrations')
      .selectAll()
      .where('registration_request_id', '=', id)
      .executeTakeFirst();
    if (!registration) return { outcome: { type: 'dead', error: `registration ${id} not found` } };
    return registration.status === status ? { registration } : { outcome: { type: 'done' } };
  }

  /** Sends (or re-sends, with the same id) a registration that Alipay+ has not yet accepted. */
  async handleSend(job: ClaimedJob): Promise<JobOutcome> {
    const found = await this.registrationOf(job, 'SENDING');
    if ('outcome' in found) return found.outcome;
    const { registration } = found;
    const registrationRequestId = registration.registration_request_id;
    const { db, clock, provider, gatewayPublicUrl } = this.deps;
    const merchant = await db
      .selectFrom('merchants')
      .selectAll()
      .where('merchant_id', '=', registration.merchant_id)
      .executeTakeFirstOrThrow();
    const hosts = await db
      .selectFrom('services')
      .select('url_hosts')
      .where('merchant_id', '=', merchant.merchant_id)
      .execute();
    const { outcome } = await provider.register({
      registrationRequestId,
      notifyUrl: gatewayPublicUrl + REGISTRATION_NOTIFY_PATH,
      merchant: {
        merchantId: merchant.merchant_id,
        name: merchant.name,
        displayName: merchant.display_name,
        mcc: merchant.mcc,
        city: merchant.city,
        region: merchant.region,
        address1: merchant.address1,
        zipCode: merchant.zip_code,
        registrationNumber: merchant.registration_number,
      },
      websites: websitesOf(hosts.map((h) => h.url_hosts)),
      subBrands: JSON.parse(registration.sub_brands) as SubBrandCode[],
    });
    const now = clock.now();
    if (outcome.type === 'unknown') {
      return {
        type: 'retry',
        at: new Date(now.getTime() + backoffDelayMs(job.attempt)),
        note: 'registration answered U or not at all; re-sending the same request',
      };
    }
    await db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('sub_brand_registrations')
        .set({
          status: outcome.type === 'accepted' ? 'PROCESSING' : 'FAILED',
          result_code: outcome.type === 'failed' ? outcome.code : null,
          updated_at: now.getTime(),
          last_heard_at: now.getTime(),
        })
        .where('registration_request_id', '=', registrationRequestId)
        .where('status', '=', 'SENDING')
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) return;
      const refused: Decision[] = [];
      for (const subBrand of JSON.parse(registration.sub_brands) as string[]) {
        const reason = outcome.type === 'failed' ? `registration refused: ${outcome.code}` : null;
        const changed = await changeSubBrand(trx, {
          merchantId: registration.merchant_id,
          subBrand,
          from: ['APPLIED'],
          registrationRequestId,
          to: outcome.type === 'accepted' ? 'PENDING' : 'REJECTED',
          reason,
          actor: 'alipayplus',
          now,
        });
        if (changed && outcome.type === 'failed') refused.push({ subBrand, status: 'REJECTED', reason });
      }
      await noticeOfDecisions(trx, registration.merchant_id, refused, now);
      if (outcome.type === 'accepted') {
        await enqueueJob(
          trx,
          {
            kind: JOB_INQUIRE_REGISTRATION,
            payload: { registrationRequestId },
            dueAt: new Date(now.getTime() + SILENCE_BEFORE_INQUIRY_MS),
          },
          now,
        );
      }
    });
    return { type: 'done' };
  }

  /** Asks Alipay+ about a registration that has been silent for 10 minutes; then hourly. */
  async handleInquire(job: ClaimedJob): Promise<JobOutcome> {
    const found = await this.registrationOf(job, 'PROCESSING');
    if ('outcome' in found) return found.outcome;
    const { registration } = found;
    const registrationRequestId = registration.registration_request_id;
    const { db, clock, provider } = this.deps;
    const now = clock.now().getTime();
    const quietUntil =
      Number(registration.last_heard_at ?? registration.created_at) + SILENCE_BEFORE_INQUIRY_MS;
    if (job.attempt === 1 && quietUntil > now) return { type: 'retry', at: new Date(quietUntil) };
    const { outcome } = await provider.inquireRegistration(registrationRequestId);
    if (outcome) await this.applyReport(outcome);
    const after = await db
      .selectFrom('sub_brand_registrations')
      .select('status')
      .where('registration_request_id', '=', registrationRequestId)
      .executeTakeFirstOrThrow();
    if (after.status !== 'PROCESSING') return { type: 'done' };
    return {
      type: 'retry',
      at: new Date(clock.now().getTime() + INQUIRY_INTERVAL_MS),
      note: outcome ? 'review still running' : 'inquiry answer unreadable',
    };
  }

  /**
   * Applies a notification's or an inquiry's report. Only a sub-brand still waiting on this very
   * registration moves (PENDING → APPROVED / REJECTED), so a repeated or stale report changes
   * nothing, and one for another merchant's registration is refused.
   */
  async applyReport(report: RegistrationReport): Promise<ReportVerdict> {
    const { db, clock } = this.deps;
    const now = clock.now();
    return db.transaction().execute(async (trx) => {
      // The registration's row is locked first, as the send's answer locks it before the
      // sub-brands: taken in the other order, a report and that answer arriving together deadlock
      // on PostgreSQL. The read that follows sees the latest state. Another merchant's registration
      // is neither locked nor touched.
      await trx
        .updateTable('sub_brand_registrations')
        .set({ updated_at: now.getTime() })
        .where('registration_request_id', '=', report.registrationRequestId)
        .where('merchant_id', '=', report.merchantId)
        .execute();
      const registration = await trx
        .selectFrom('sub_brand_registrations')
        .selectAll()
        .where('registration_request_id', '=', report.registrationRequestId)
        .executeTakeFirst();
      if (!registration) return 'unknownRegistration';
      if (registration.merchant_id !== report.merchantId) return 'wrongMerchant';
      const applied = JSON.parse(registration.sub_brands) as string[];
      const decided: Decision[] = [];
      for (const psp of report.psps) {
        if (!applied.includes(psp.subBrand)) continue;
        const reason = psp.status === 'REJECTED' ? (psp.reason ?? 'rejected at review') : null;
        const changed = await changeSubBrand(trx, {
          merchantId: registration.merchant_id,
          subBrand: psp.subBrand,
          // A report can overtake the answer to `registration` itself: then it is what says the
          // review is running.
          from: psp.status === 'PENDING' ? ['APPLIED'] : ['APPLIED', 'PENDING'],
          registrationRequestId: registration.registration_request_id,
          to: psp.status,
          reason,
          actor: 'alipayplus',
          now,
        });
        if (changed && psp.status !== 'PENDING')
          decided.push({ subBrand: psp.subBrand, status: psp.status, reason });
      }
      await noticeOfDecisions(trx, registration.merchant_id, decided, now);
      // Accepted without the send job knowing it yet: that job will find nothing to do, so the
      // inquiry schedule starts here.
      if (registration.status === 'SENDING' && report.status === 'PROCESSING') {
        await enqueueJob(
          trx,
          {
            kind: JOB_INQUIRE_REGISTRATION,
            payload: { registrationRequestId: registration.registration_request_id },
            dueAt: new Date(now.getTime() + SILENCE_BEFORE_INQUIRY_MS),
          },
          now,
        );
      }
      await trx
        .updateTable('sub_brand_registrations')
        .set({
          ...(registration.status === 'PROCESSING' || registration.status === 'SENDING'
            ? { status: report.status }
            : {}),
          result_code: report.reason ?? registration.result_code,
          last_heard_at: now.getTime(),
          updated_at: now.getTime(),
        })
        .where('registration_request_id', '=', registration.registration_request_id)
        .execute();
      return 'applied';
    });
  }

  /**
   * The operator's withdrawal of an approved sub-brand: it stops being offered at once.
   * `alsoInTx` as for `apply`.
   */
  async withdraw(
    merchantId: string,
    subBrand: string,
    reason: string,
    actor: string,
    alsoInTx?: (tx: Db) => Promise<void>,
  ): Promise<void> {
    if (reason.trim() === '') throw new SubBrandReviewError('a reason is required');
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      const changed = await changeSubBrand(trx, {
        merchantId,
        subBrand,
        from: ['APPROVED'],
        to: 'WITHDRAWN',
        reason: reason.trim(),
        actor,
        now,
      });
      if (!changed) throw new SubBrandReviewError(`${subBrand} is not approved for merchant ${merchantId}`);
      await noticeOfDecisions(
        trx,
        merchantId,
        [{ subBrand, status: 'WITHDRAWN', reason: reason.trim() }],
        now,
      );
      await alsoInTx?.(trx);
    });
  }
}

interface Decision {
  subBrand: string;
  status: 'APPROVED' | 'REJECTED' | 'WITHDRAWN';
  reason: string | null;
}

const STATUS_WORDS: Record<Decision['status'], { ja: string; en: string }> = {
  APPROVED: { ja: '承認', en: 'approved' },
  REJECTED: { ja: '否認', en: 'rejected' },
  WITHDRAWN: { ja: '取り下げ', en: 'withdrawn' },
};

/** One notice to the merchant for the decisions of one event, in the transaction that made them. */
async function noticeOfDecisions(
  db: Db,
  merchantId: string,
  decisions: Decision[],
  now: Date,
): Promise<void> {
  if (decisions.length === 0) return;
  const line = (d: Decision, lang: 'ja' | 'en') =>
    `${subBrandByCode(d.subBrand)?.name ?? d.subBrand}: ${STATUS_WORDS[d.status][lang]}${d.reason ? ` (${d.reason})` : ''}`;
  const adverse = decisions.some((d) => d.status !== 'APPROVED');
  await postNotice(
    db,
    {
      kind: 'registration',
      severity: decisions.some((d) => d.status === 'WITHDRAWN') ? 'critical' : adverse ? 'warning' : 'info',
      merchants: [merchantId],
      title: { ja: 'サブブランド審査の結果', en: 'Sub-brand review results' },
      body: {
        ja: `ご利用のサブブランドの状態が変わりました。\n${decisions.map((d) => line(d, 'ja')).join('\n')}\n承認済みのサブブランドだけが決済画面に表示されます。`,
        en: `The state of your sub-brands has changed.\n${decisions.map((d) => line(d, 'en')).join('\n')}\nOnly approved sub-brands are offered to shoppers.`,
      },
      links: [
        { type: 'console', path: '/admin/sub-brands', label: { ja: 'サブブランド', en: 'Sub-brands' } },
      ],
    },
    now,
  );
}

/** The merchant's sites as Alipay+ wants them: one https URL per registered callback host. */
function websitesOf(hostLists: string[]): string[] {
  const hosts = new Set<string>();
  for (const list of hostLists) {
    const parsed: unknown = JSON.parse(list);
    if (Array.isArray(parsed)) for (const h of parsed) if (typeof h === 'string') hosts.add(h);
  }
  return [...hosts].map((h) => `https://${h}/`);
}
