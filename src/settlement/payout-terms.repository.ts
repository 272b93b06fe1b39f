import type { Db } from '../db/database';
import { DomainError } from '../kernel/errors';
import { PAYOUT_CYCLES, type PayoutCycle } from './payout-calendar';

/** A merchant without terms of its own is settled monthly. */
export const DEFAULT_PAYOUT_CYCLE: PayoutCycle = 'MONTHLY';

function isPayoutCycle(value: string): value is PayoutCycle {
  return (PAYOUT_CYCLES as readonly string[]).includes(value);
}

export async function payoutCycleOf(db: Db, merchantId: string): Promise<PayoutCycle> {
  const row = await db
    .selectFrom('merchant_payout_terms')
    .select('cycle')
    .where('merchant_id', '=', merchantId)
    .executeTakeFirst();
  return row && isPayoutCycle(row.cycle) ? row.cycle : DEFAULT_PAYOUT_CYCLE;
}

export async function setPayoutCycle(db: Db, merchantId: string, cycle: string, now: Date): Promise<void> {
  if (!isPayoutCycle(cycle)) {
    throw new DomainError(
      'INVALID_PAYOUT_TERMS',
      `a payout cycle is ${PAYOUT_CYCLES.join(' or ')} (got "${cycle}")`,
    );
  }
  const merchant = await db
    .selectFrom('merchants')
    .select('merchant_id')
    .where('merchant_id', '=', merchantId)
    .executeTakeFirst();
  if (!merchant) throw new DomainError('INVALID_PAYOUT_TERMS', `no merchant ${merchantId}`);
  await db
    .insertInto('merchant_payout_terms')
    .values({ merchant_id: merchantId, cycle, updated_at: now.getTime() })
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet({ cycle, updated_at: now.getTime() }))
    .execute();
}
