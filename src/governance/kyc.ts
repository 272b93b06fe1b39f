import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { compiledQuery } from '../db/compiled-queries';
import { type Db, inTransaction, type KycCaseTable } from '../db/database';
import { findRefundStop, type RefundStop } from '../refunds/refund-stop.repository';
import { kycNotice, refundStopNotice } from './case-notices';
import { scheduleEffectiveNotice } from './effective-notices';
import { dueDate, GovernanceInputError, jstLocalTime, requiredText } from './governance-input';
import type { NewNotice } from './notice';
import { postNotice } from './notice.repository';

/**
 * KYC cases (governance.md, 2): the operator opens a case (reason, information requested, due
 * date), the merchant answers in the console, the operator decides: cleared, or suspended from a
 * given time (optionally until one). While a suspension is in effect new purchases get 5111
 * (`availability.ts`). Refunds are stopped only by the separate refund stop below. Every step
 * notifies the merchant, in the same transaction as the change.
 */
export type KycCase = Selectable<KycCaseTable>;
export type KycStatus = 'OPEN' | 'ANSWERED' | 'CLEARED' | 'SUSPENDED';

const UNDECIDED: readonly KycStatus[] = ['OPEN', 'ANSWERED'];

async function requireMerchant(db: Db, merchantId: string): Promise<void> {
  const found = await db
    .selectFrom('merchants')
    .select('merchant_id')
    .where('merchant_id', '=', merchantId)
    .executeTakeFirst();
  if (!found) throw new GovernanceInputError('MERCHANT_UNKNOWN', `no merchant ${merchantId}`);
}

export async function findKycCase(db: Db, caseId: string): Promise<KycCase | undefined> {
  return db.selectFrom('kyc_cases').selectAll().where('case_id', '=', caseId).executeTakeFirst();
}

/** Newest first; `merchantId` null: every merchant's (operators). */
export async function listKycCases(db: Db, merchantId: string | null): Promise<KycCase[]> {
  let q = db.selectFrom('kyc_cases').selectAll();
  if (merchantId !== null) q = q.where('merchant_id', '=', merchantId);
  return q.orderBy('opened_at', 'desc').limit(200).execute();
}

export async function openKycCase(
  db: Db,
  input: {
    merchantId: string;
    reason: string;
    informationRequested: string;
    dueDate: string;
    by: string;
    now: Date;
  },
): Promise<KycCase> {
  const row: KycCase = {
    case_id: `KYC-${randomUUID()}`,
    merchant_id: input.merchantId.trim(),
    reason: requiredText(input.reason, 'reason'),
    information_requested: requiredText(input.informationRequested, 'information requested'),
    due_date: dueDate(input.dueDate, input.now),
    status: 'OPEN',
    answer: null,
    answered_by: null,
    answered_at: null,
    outcome_note: null,
    suspended_from: null,
    suspended_until: null,
    decided_by: null,
    decided_at: null,
    opened_by: input.by,
    opened_at: input.now.getTime(),
  };
  await requireMerchant(db, row.merchant_id);
  await inTransaction(db, async (tx) => {
    await tx.insertInto('kyc_cases').values(row).execute();
    await postNotice(tx, kycNotice('opened', row), input.now);
  });
  return row;
}

/**
 * Changes an undecided case with a conditional update, so two people acting at once cannot both
 * win; a decided case refuses every change.
 */
async function changeUndecided(
  db: Db,
  caseId: string,
  set: Partial<KycCase>,
  notice: (after: KycCase, tx: Db) => NewNotice | Promise<NewNotice>,
  now: Date,
): Promise<KycCase> {
  return inTransaction(db, async (tx) => {
    const result = await tx
      .updateTable('kyc_cases')
      .set(set)
      .where('case_id', '=', caseId)
      .where('status', 'in', UNDECIDED)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new GovernanceInputError('CASE_NOT_OPEN', `case ${caseId} is already decided`);
    }
    const after = (await findKycCase(tx, caseId))!;
    await postNotice(tx, await notice(after, tx), now);
    return after;
  });
}

/** The merchant's answer; it may be replaced until the case is decided. */
export async function answerKycCase(
  db: Db,
  input: { caseId: string; answer: string; by: string; now: Date },
): Promise<KycCase> {
  const answer = requiredText(input.answer, 'answer');
  return changeUndecided(
    db,
    input.caseId,
    { status: 'ANSWERED', answer, answered_by: input.by, answered_at: input.now.getTime() },
    (after) => kycNotice('answered', after),
    input.now,
  );
}

export type KycDecision =
  | { outcome: 'CLEARED'; note: string }
  | { outcome: 'SUSPENDED'; note: string; from: string; until: string };

export async function decideKycCase(
  db: Db,
  input: { caseId: string; decision: KycDecision; by: string; now: Date },
): Promise<KycCase> {
  const { decision } = input;
  const note = requiredText(decision.note, 'outcome');
  const decided = { outcome_note: note, decided_by: input.by, decided_at: input.now.getTime() };
  if (decision.outcome === 'CLEARED') {
    return changeUndecided(
      db,
      input.caseId,
      { ...decided, status: 'CLEARED' },
      (after) => kycNotice('cleared', after),
      input.now,
    );
  }
  const from = jstLocalTime(decision.from);
  const until = decision.until.trim() === '' ? null : jstLocalTime(decision.until);
  if (until !== null && until.getTime() <= from.getTime()) {
    throw new GovernanceInputError('UNTIL_BEFORE_FROM', 'the suspension must end after it starts');
  }
  return changeUndecided(
    db,
    input.caseId,
    {
      ...decided,
      status: 'SUSPENDED',
      suspended_from: from.getTime(),
      suspended_until: until?.getTime() ?? null,
    },
    async (after, tx) => {
      // The start (when ahead) and the end are told again when they come.
      await scheduleEffectiveNotice(
        tx,
        { type: 'kyc-start', caseId: after.case_id, at: from.getTime() },
        input.now,
      );
      if (until !== null) {
        await scheduleEffectiveNotice(
          tx,
          { type: 'kyc-end', caseId: after.case_id, at: until.getTime() },
          input.now,
        );
      }
      return kycNotice('suspended', after, (await findRefundStop(tx, after.merchant_id)) !== undefined);
    },
    input.now,
  );
}

/**
 * Whether the case's suspension can still be lifted at `now`: it is in effect, or has not begun
 * yet (then lifting cancels it). Decided per case, whatever other cases of the merchant say.
 */
export function liftable(
  c: Pick<KycCase, 'status' | 'suspended_from' | 'suspended_until'>,
  now: Date,
): boolean {
  return (
    c.status === 'SUSPENDED' &&
    c.suspended_from !== null &&
    (c.suspended_until === null || c.suspended_until > now.getTime())
  );
}

/** Ends a suspension now (or cancels one not yet begun): it stays on record with its end time. */
export async function liftSuspension(
  db: Db,
  input: { caseId: string; by: string; now: Date },
): Promise<KycCase> {
  const now = input.now.getTime();
  return inTransaction(db, async (tx) => {
    const current = await findKycCase(tx, input.caseId);
    if (!current || !liftable(current, input.now) || current.suspended_from === null) {
      throw new GovernanceInputError('NOT_SUSPENDED', `case ${input.caseId} has no suspension to lift`);
    }
    const from = current.suspended_from;
    const until = current.suspended_until;
    // A suspension not yet begun ends before it starts: from = until = now.
    const result = await tx
      .updateTable('kyc_cases')
      .set({ suspended_from: Math.min(from, now), suspended_until: now })
      .where('case_id', '=', input.caseId)
      .where('suspended_from', '=', from)
      .where('suspended_until', until === null ? 'is' : '=', until)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new GovernanceInputError('NOT_SUSPENDED', `case ${input.caseId} changed meanwhile`);
    }
    const after = (await findKycCase(tx, input.caseId))!;
    await postNotice(tx, kycNotice(from > now ? 'cancelled' : 'lifted', after), input.now);
    return after;
  });
}

const suspensionAt = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('kyc_cases')
    .selectAll()
    .where('merchant_id', '=', arg(0))
    .where('status', '=', 'SUSPENDED')
    .where('suspended_from', '<=', arg(1))
    .where((eb) => eb.or([eb('suspended_until', 'is', null), eb('suspended_until', '>', arg(1))])),
);

/** The suspension in effect for the merchant at `now`, if any. */
export async function suspensionInEffect(
  db: Db,
  merchantId: string,
  now: Date,
): Promise<KycCase | undefined> {
  return (await suspensionAt(db, merchantId, now.getTime())).rows[0];
}

// --- the refund stop --------------------------------------------------------------------------

export async function listRefundStops(db: Db, merchantId: string | null): Promise<RefundStop[]> {
  let q = db.selectFrom('refund_stops').selectAll();
  if (merchantId !== null) q = q.where('merchant_id', '=', merchantId);
  return q.orderBy('stopped_at', 'desc').execute();
}

/** Stops every refund of the merchant (the reason is shown to the merchant); a new reason replaces the old. */
export async function stopRefunds(
  db: Db,
  input: { merchantId: string; reason: string; by: string; now: Date },
): Promise<RefundStop> {
  const row: RefundStop = {
    merchant_id: input.merchantId.trim(),
    reason: requiredText(input.reason, 'reason'),
    stopped_by: input.by,
    stopped_at: input.now.getTime(),
  };
  await requireMerchant(db, row.merchant_id);
  await inTransaction(db, async (tx) => {
    await tx
      .insertInto('refund_stops')
      .values(row)
      .onConflict((oc) =>
        oc.column('merchant_id').doUpdateSet({
          reason: row.reason,
          stopped_by: row.stopped_by,
          stopped_at: row.stopped_at,
        }),
      )
      .execute();
    await postNotice(tx, refundStopNotice('stopped', row), input.now);
  });
  return row;
}

export async function resumeRefunds(db: Db, input: { merchantId: string; now: Date }): Promise<RefundStop> {
  return inTransaction(db, async (tx) => {
    const stop = await findRefundStop(tx, input.merchantId);
    const result = await tx
      .deleteFrom('refund_stops')
      .where('merchant_id', '=', input.merchantId)
      .executeTakeFirst();
    if (!stop || Number(result.numDeletedRows) !== 1) {
      throw new GovernanceInputError('REFUNDS_NOT_STOPPED', `refunds of ${input.merchantId} are not stopped`);
    }
    await postNotice(tx, refundStopNotice('resumed', stop), input.now);
    return stop;
  });
}
