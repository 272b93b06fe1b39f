import type { Selectable } from 'kysely';
import type { Db, RefundStopTable } from '../db/database';

/**
 * The operator's refund stop of a merchant (governance.md, 2), read by the refund domain on every
 * refund and written by the KYC feature (`governance/kyc.ts`).
 */
export type RefundStop = Selectable<RefundStopTable>;

export async function findRefundStop(db: Db, merchantId: string): Promise<RefundStop | undefined> {
  return db.selectFrom('refund_stops').selectAll().where('merchant_id', '=', merchantId).executeTakeFirst();
}
