import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { type Db, type FraudInvestigationTable, inTransaction } from '../db/database';
import { fraudNotice } from './case-notices';
import { dueDate, GovernanceInputError, requiredText } from './governance-input';
import { postNotice } from './notice.repository';

/**
 * Fraud investigations (governance.md, 3): recorded by the operator as received from the Core
 * Operator — the payments concerned, the allegation, what is asked, a due date — answered by the
 * merchant, closed by the operator with an outcome. The payments carry a flag in search and on
 * the billing screen. Refunds are not affected.
 */
export type FraudInvestigation = Selectable<FraudInvestigationTable>;

export const MAX_TRACKING_IDS = 100;

export async function findInvestigation(db: Db, id: string): Promise<FraudInvestigation | undefined> {
  return db
    .selectFrom('fraud_investigations')
    .selectAll()
    .where('investigation_id', '=', id)
    .executeTakeFirst();
}

export async function listInvestigations(db: Db, merchantId: string | null): Promise<FraudInvestigation[]> {
  let q = db.selectFrom('fraud_investigations').selectAll();
  if (merchantId !== null) q = q.where('merchant_id', '=', merchantId);
  return q.orderBy('opened_at', 'desc').limit(200).execute();
}

export async function investigationPayments(db: Db, id: string): Promise<string[]> {
  const rows = await db
    .selectFrom('fraud_investigation_payments')
    .select('tracking_id')
    .where('investigation_id', '=', id)
    .orderBy('tracking_id')
    .execute();
  return rows.map((r) => r.tracking_id);
}

/** The investigations concerning each of the given payments (search results, billing screen). */
export async function investigationFlags(
  db: Db,
  trackingIds: readonly string[],
): Promise<Map<string, Array<{ investigationId: string; status: string }>>> {
  const flags = new Map<string, Array<{ investigationId: string; status: string }>>();
  if (trackingIds.length === 0) return flags;
  const rows = await db
    .selectFrom('fraud_investigation_payments as p')
    .innerJoin('fraud_investigations as i', 'i.investigation_id', 'p.investigation_id')
    .select(['p.tracking_id', 'i.investigation_id', 'i.status'])
    .where('p.tracking_id', 'in', [...trackingIds])
    .orderBy('i.opened_at', 'desc')
    .execute();
  for (const row of rows) {
    const list = flags.get(row.tracking_id) ?? [];
    list.push({ investigationId: row.investigation_id, status: row.status });
    flags.set(row.tracking_id, list);
  }
  return flags;
}

/** Tracking ids as typed: separated by spaces, commas or lines; duplicates dropped. */
export function parseTrackingIds(text: string): string[] {
  const ids = [...new Set(text.split(/[\s,、]+/).filter((t) => t !== ''))];
  if (ids.length === 0 || ids.length > MAX_TRACKING_IDS) {
    throw new GovernanceInputError('TRACKING_IDS_REQUIRED', `1 to ${MAX_TRACKING_IDS} tracking ids`);
  }
  const bad = ids.find((id) => !/^\d{14}$/.test(id));
  if (bad !== undefined) throw new GovernanceInputError('TRACKING_ID_UNKNOWN', bad);
  return ids;
}

export async function openInvestigation(
  db: Db,
  input: {
    merchantId: string;
    trackingIds: string;
    allegation: string;
    requested: string;
    dueDate: string;
    by: string;
    now: Date;
  },
): Promise<FraudInvestigation> {
  const merchantId = input.merchantId.trim();
  const row: FraudInvestigation = {
    investigation_id: `FRD-${randomUUID()}`,
    merchant_id: merchantId,
    allegation: requiredText(input.allegation, 'allegation'),
    requested: requiredText(input.requested, 'requested'),
    due_date: dueDate(input.dueDate, input.now),
    status: 'OPEN',
    answer: null,
    answered_by: null,
    answered_at: null,
    outcome: null,
    closed_by: null,
    closed_at: null,
    opened_by: input.by,
    opened_at: input.now.getTime(),
  };
  const trackingIds = parseTrackingIds(input.trackingIds);
  const found = await db
    .selectFrom('payments')
    .select(['tracking_id', 'merchant_id'])
    .where('tracking_id', 'in', trackingIds)
    .execute();
  // Every payment must be this merchant's: an investigation never reaches into another's data.
  const mine = new Set(found.filter((p) => p.merchant_id === merchantId).map((p) => p.tracking_id));
  const unknown = trackingIds.find((id) => !mine.has(id));
  if (unknown !== undefined) throw new GovernanceInputError('TRACKING_ID_UNKNOWN', unknown);
  await inTransaction(db, async (tx) => {
    await tx.insertInto('fraud_investigations').values(row).execute();
    await tx
      .insertInto('fraud_investigation_payments')
      .values(trackingIds.map((id) => ({ investigation_id: row.investigation_id, tracking_id: id })))
      .execute();
    await postNotice(tx, fraudNotice('opened', row, trackingIds), input.now);
  });
  return row;
}

/**
 * The merchant's answer (it may be replaced until the investigation is closed), or the operator's
 * closing outcome; a closed investigation refuses both. A conditional update, so two people
 * acting at once cannot both win.
 */
export async function recordInvestigationStep(
  db: Db,
  input: { id: string; step: 'answer' | 'close'; text: string; by: string; now: Date },
): Promise<FraudInvestigation> {
  const text = requiredText(input.text, input.step === 'answer' ? 'answer' : 'outcome');
  const at = input.now.getTime();
  const set: Partial<FraudInvestigation> =
    input.step === 'answer'
      ? { status: 'ANSWERED', answer: text, answered_by: input.by, answered_at: at }
      : { status: 'CLOSED', outcome: text, closed_by: input.by, closed_at: at };
  return inTransaction(db, async (tx) => {
    const result = await tx
      .updateTable('fraud_investigations')
      .set(set)
      .where('investigation_id', '=', input.id)
      .where('status', 'in', ['OPEN', 'ANSWERED'])
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new GovernanceInputError('CASE_NOT_OPEN', `investigation ${input.id} is closed`);
    }
    const after = (await findInvestigation(tx, input.id))!;
    const step = input.step === 'answer' ? 'answered' : 'closed';
    await postNotice(tx, fraudNotice(step, after, await investigationPayments(tx, input.id)), input.now);
    return after;
  });
}
