import { compiledQuery } from '../db/compiled-queries';
import type { Db, SubBrandStatus } from '../db/database';

/** A merchant's state for one sub-brand (governance.md §1), with every change of it. */
export interface SubBrandState {
  subBrand: string;
  status: SubBrandStatus;
  reason: string | null;
  registrationRequestId: string | null;
  updatedAt: Date;
}

export interface SubBrandEvent {
  subBrand: string;
  status: SubBrandStatus;
  reason: string | null;
  registrationRequestId: string | null;
  actor: string;
  at: Date;
}

/** The fields a state and a history row share. */
function common(r: {
  sub_brand: string;
  status: SubBrandStatus;
  reason: string | null;
  registration_request_id: string | null;
}) {
  return {
    subBrand: r.sub_brand,
    status: r.status,
    reason: r.reason,
    registrationRequestId: r.registration_request_id,
  };
}

export async function subBrandStates(db: Db, merchantId: string): Promise<SubBrandState[]> {
  const rows = await db
    .selectFrom('merchant_sub_brands')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .orderBy('sub_brand')
    .execute();
  return rows.map((r) => ({ ...common(r), updatedAt: new Date(Number(r.updated_at)) }));
}

const approvedOf = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('merchant_sub_brands')
    .select('sub_brand')
    .where('merchant_id', '=', arg(0))
    .where('status', '=', 'APPROVED')
    .orderBy('sub_brand'),
);

/** The sub-brands a merchant may offer now. */
export async function approvedSubBrands(db: Db, merchantId: string): Promise<string[]> {
  const { rows } = await approvedOf(db, merchantId);
  return rows.map((r) => r.sub_brand);
}

export async function subBrandEvents(db: Db, merchantId: string, limit = 200): Promise<SubBrandEvent[]> {
  const rows = await db
    .selectFrom('merchant_sub_brand_events')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...common(r), actor: r.actor, at: new Date(Number(r.at)) }));
}

/**
 * Moves one sub-brand to `status` when it is in one of `from` (and, when given, still belongs to
 * `registrationRequestId`), writing the history row; `from` null means "no row yet or any of them".
 * Returns whether it changed. A conditional update, so a racing writer finds nothing to change.
 */
export async function changeSubBrand(
  db: Db,
  change: {
    merchantId: string;
    subBrand: string;
    from: readonly SubBrandStatus[] | null;
    registrationRequestId?: string;
    to: SubBrandStatus;
    reason: string | null;
    newRegistrationRequestId?: string;
    actor: string;
    now: Date;
  },
): Promise<boolean> {
  const at = change.now.getTime();
  const registration = change.newRegistrationRequestId ?? change.registrationRequestId ?? null;
  const values = { status: change.to, reason: change.reason, updated_at: at };
  let changed: boolean;
  if (change.from === null) {
    await db
      .insertInto('merchant_sub_brands')
      .values({
        merchant_id: change.merchantId,
        sub_brand: change.subBrand,
        registration_request_id: registration,
        ...values,
      })
      .onConflict((oc) =>
        oc
          .columns(['merchant_id', 'sub_brand'])
          .doUpdateSet({ ...values, registration_request_id: registration }),
      )
      .execute();
    changed = true;
  } else {
    let q = db
      .updateTable('merchant_sub_brands')
      .set({
        ...values,
        ...(change.newRegistrationRequestId ? { registration_request_id: registration } : {}),
      })
      .where('merchant_id', '=', change.merchantId)
      .where('sub_brand', '=', change.subBrand)
      .where('status', 'in', change.from);
    if (change.registrationRequestId)
      q = q.where('registration_request_id', '=', change.registrationRequestId);
    const result = await q.executeTakeFirst();
    changed = Number(result.numUpdatedRows) > 0;
  }
  if (changed) {
    await db
      .insertInto('merchant_sub_brand_events')
      .values({
        merchant_id: change.merchantId,
        sub_brand: change.subBrand,
        status: change.to,
        reason: change.reason,
        registration_request_id: registration,
        actor: change.actor,
        at,
      })
      .execute();
  }
  return changed;
}
