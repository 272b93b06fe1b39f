import type { Db } from '../db/database';
import { enqueueJob } from '../jobs/job.repository';
import { kycNotice } from './case-notices';
import { findKycCase } from './kyc';
import { postNotice } from './notice.repository';
import { postCategoryInEffect } from './prohibited';

/**
 * The notices of a stop that begins or ends later than it was decided (governance.md, 2 and 4): a
 * KYC suspension scheduled ahead starts, a suspension with an end runs out, a prohibited category
 * listed for a later date takes effect. Each is a durable job written with the decision, due at the
 * instant itself, so a restart only delays it; the job and the notice carry the same dedupe key, so
 * it is told exactly once. A job whose stop was changed meanwhile (lifted, cancelled, the category
 * removed) posts nothing: the change told the merchant already.
 */
export const JOB_EFFECTIVE_NOTICE = 'governance.effective-notice';

export type EffectiveEdge =
  | { type: 'kyc-start' | 'kyc-end'; caseId: string; at: number }
  | { type: 'prohibited-start'; category: string; addedAt: number; at: number };

function keyOf(edge: EffectiveEdge): string {
  return edge.type === 'prohibited-start'
    ? `prohibited:${edge.category}:${edge.addedAt}:start`
    : `${edge.type}:${edge.caseId}:${edge.at}`;
}

/** Writes the job for `edge` with the caller's transaction; nothing when the instant is not ahead. */
export async function scheduleEffectiveNotice(db: Db, edge: EffectiveEdge, now: Date): Promise<void> {
  if (edge.at <= now.getTime()) return;
  await enqueueJob(
    db,
    { kind: JOB_EFFECTIVE_NOTICE, payload: edge, dueAt: new Date(edge.at), dedupeKey: keyOf(edge) },
    now,
  );
}

/** The job's work, in one transaction: the notice, if the stop is still as it was scheduled. */
export async function postEffectiveNotice(db: Db, edge: EffectiveEdge, now: Date): Promise<void> {
  const dedupeKey = keyOf(edge);
  if (edge.type === 'prohibited-start') {
    await postCategoryInEffect(db, edge.category, edge.addedAt, dedupeKey, now);
    return;
  }
  const c = await findKycCase(db, edge.caseId);
  if (c?.status !== 'SUSPENDED' || c.suspended_from === null) return;
  // Lifting moves the end to the moment of lifting (and a cancelled start with it): the schedule
  // no longer matches, and the lift notice has told the merchant. A late start job also needs the
  // suspension still in force when it runs: one lifted just after it began has told its end.
  const current =
    edge.type === 'kyc-start'
      ? c.suspended_from === edge.at && (c.suspended_until === null || c.suspended_until > now.getTime())
      : c.suspended_until === edge.at;
  if (!current) return;
  const notice = kycNotice(edge.type === 'kyc-start' ? 'started' : 'ended', c);
  await postNotice(db, { ...notice, dedupeKey }, now);
}
