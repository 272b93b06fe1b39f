import type { Selectable } from 'kysely';
import { writeAudit } from '../admin/audit.repository';
import type { Db, SettlementDiscrepancyTable } from '../db/database';
import { DomainError } from '../kernel/errors';

/**
 * What reconciling Alipay+'s reports found (settlement.md, What the gateway does with them). A
 * discrepancy stays OPEN until an operator resolves it with a note; resolving is audited and
 * moves no money (a correction is its own ledger entry).
 */
export const DISCREPANCY_KINDS = [
  /** A line for a transaction we have no record of (or not in a state that settles). */
  'MISSING_OURS',
  /** A payment or refund of ours that the day's report does not list. */
  'MISSING_IN_REPORT',
  'AMOUNT_MISMATCH',
  'CURRENCY_MISMATCH',
  /** A transaction listed more than once. */
  'DUPLICATE',
  /** A clearing day with our transactions whose files had not arrived when fetched. */
  'FILE_MISSING',
  /** A file fetched again under the same name with other content: it is not taken in. */
  'FILE_CHANGED',
  /** What a settlement paid differs from what our records of its transactions give. */
  'SETTLEMENT_DIFFERENCE',
  /** The fee a settlement took differs from the contracted fee on our payments it settles. */
  'FEE_DIFFERENCE',
] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

export type Discrepancy = Selectable<SettlementDiscrepancyTable>;

export interface NewDiscrepancy {
  kind: DiscrepancyKind;
  subject: string;
  detail: string;
  fileId?: number | null;
  trackingId?: string | null;
  refundId?: string | null;
  ours?: string | null;
  theirs?: string | null;
}

/** Records a discrepancy; one already recorded for the same kind and subject is kept as it is. */
export async function recordDiscrepancy(db: Db, d: NewDiscrepancy, now: Date): Promise<void> {
  await db
    .insertInto('settlement_discrepancies')
    .values({
      kind: d.kind,
      subject: d.subject,
      file_id: d.fileId ?? null,
      tracking_id: d.trackingId ?? null,
      refund_id: d.refundId ?? null,
      ours: d.ours ?? null,
      theirs: d.theirs ?? null,
      detail: d.detail,
      status: 'OPEN',
      created_at: now.getTime(),
    })
    .onConflict((oc) => oc.columns(['kind', 'subject']).doNothing())
    .execute();
}

export async function listDiscrepancies(
  db: Db,
  filter: { status?: 'OPEN' | 'RESOLVED'; limit?: number } = {},
): Promise<Discrepancy[]> {
  return db
    .selectFrom('settlement_discrepancies')
    .selectAll()
    .$if(filter.status !== undefined, (qb) => qb.where('status', '=', filter.status!))
    .orderBy('discrepancy_id', 'desc')
    .limit(filter.limit ?? 500)
    .execute();
}

export interface ResolveActor {
  actorUserId: string | null;
  actorEmail: string;
  ip: string;
}

export const MAX_NOTE_LENGTH = 1000;

/**
 * Marks an open discrepancy resolved with the operator's note, and audits it, in one transaction.
 * An empty or overlong note, an unknown id or one already resolved is refused and changes nothing.
 */
export async function resolveDiscrepancy(
  db: Db,
  id: number,
  note: string,
  actor: ResolveActor,
  now: Date,
): Promise<void> {
  const text = note.trim();
  if (text.length === 0 || text.length > MAX_NOTE_LENGTH) {
    throw new DomainError(
      'INVALID_RESOLUTION',
      `a resolution note of 1–${MAX_NOTE_LENGTH} characters is required`,
    );
  }
  const found = await db
    .selectFrom('settlement_discrepancies')
    .select(['status', 'kind', 'subject'])
    .where('discrepancy_id', '=', id)
    .executeTakeFirst();
  if (!found) throw new DomainError('INVALID_RESOLUTION', `no discrepancy ${id}`);
  const result = await db
    .updateTable('settlement_discrepancies')
    .set({
      status: 'RESOLVED',
      resolved_at: now.getTime(),
      resolved_by: actor.actorEmail,
      resolution_note: text,
    })
    .where('discrepancy_id', '=', id)
    .where('status', '=', 'OPEN')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) {
    throw new DomainError('INVALID_RESOLUTION', `discrepancy ${id} is already resolved`);
  }
  await writeAudit(db, {
    at: now,
    ...actor,
    merchantId: null,
    action: 'settlement.discrepancy.resolve',
    target: `discrepancy ${id}`,
    detail: { kind: found.kind, subject: found.subject, note: text },
  });
}
