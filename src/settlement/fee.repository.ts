import type { Kysely } from 'kysely';
import { type AuditEntry, writeAudit } from '../admin/audit.repository';
import { compiledQuery } from '../db/compiled-queries';
import type { Database, Db } from '../db/database';
import { DomainError } from '../kernel/errors';
import { jstDate } from '../kernel/jst';
import { checkFeeRate, type FeeRate } from './fee-rule';

/** A service without any setting is charged nothing. */
export const NO_FEE: FeeRate = { rateBps: 0, fixedFee: 0 };

export interface NewServiceFee extends FeeRate {
  merchantId: string;
  serviceId: string;
  /** `YYYY-MM-DD`, JST. */
  effectiveFrom: string;
  createdBy: string;
}

/** A real `YYYY-MM-DD` date (not 2026-02-30). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/**
 * Records a fee setting for a service from its effective date (settlement.md, Fees). Settings are
 * never edited and never back-dated: the fee of a capture is fixed when it is posted, so a rate
 * that started in the past would disagree with the ledger. A later setting with the same date
 * replaces an earlier one from that date.
 */
export async function addServiceFee(db: Db, input: NewServiceFee, now: Date): Promise<void> {
  checkFeeRate(input);
  if (!isCalendarDate(input.effectiveFrom)) {
    throw new DomainError(
      'INVALID_FEE_SETTING',
      `the effective date must be YYYY-MM-DD (got "${input.effectiveFrom}")`,
    );
  }
  const today = jstDate(now);
  if (input.effectiveFrom < today) {
    throw new DomainError(
      'INVALID_FEE_SETTING',
      `a fee setting cannot take effect in the past (${input.effectiveFrom}, today is ${today} JST)`,
    );
  }
  const service = await db
    .selectFrom('services')
    .select('service_id')
    .where('merchant_id', '=', input.merchantId)
    .where('service_id', '=', input.serviceId)
    .executeTakeFirst();
  if (!service) {
    throw new DomainError(
      'INVALID_FEE_SETTING',
      `no service ${input.serviceId} for merchant ${input.merchantId}`,
    );
  }
  await db
    .insertInto('service_fees')
    .values({
      merchant_id: input.merchantId,
      service_id: input.serviceId,
      effective_from: input.effectiveFrom,
      rate_bps: input.rateBps,
      fixed_fee: input.fixedFee,
      created_by: input.createdBy,
      created_at: now.getTime(),
    })
    .execute();
}

// Read for every capture's ledger entry: compiled once (compiled-queries.ts).
const feeRateQuery = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('service_fees')
    .select(['rate_bps', 'fixed_fee'])
    .where('merchant_id', '=', arg(0))
    .where('service_id', '=', arg(1))
    .where('effective_from', '<=', arg(2))
    .orderBy('effective_from', 'desc')
    .orderBy('id', 'desc')
    .limit(1),
);

/** The setting in force for a service on a JST date. */
export async function feeRateOn(
  db: Db,
  merchantId: string,
  serviceId: string,
  day: string,
): Promise<FeeRate> {
  const row = (await feeRateQuery(db, merchantId, serviceId, day)).rows[0];
  return row ? { rateBps: row.rate_bps, fixedFee: row.fixed_fee } : NO_FEE;
}

/** Records a fee setting and its audit row together (settlement.md: everything is audited). */
export async function setServiceFee(
  db: Kysely<Database>,
  input: NewServiceFee,
  actor: Pick<AuditEntry, 'actorUserId' | 'actorEmail' | 'ip'>,
  now: Date,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await addServiceFee(tx, input, now);
    await writeAudit(tx, {
      ...actor,
      at: now,
      merchantId: input.merchantId,
      action: 'fee.set',
      target: `${input.merchantId}/${input.serviceId}`,
      detail: { effectiveFrom: input.effectiveFrom, rateBps: input.rateBps, fixedFee: input.fixedFee },
    });
  });
}
