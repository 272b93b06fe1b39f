import type { Selectable } from 'kysely';
import { compiledQuery } from '../db/compiled-queries';
import type { Db, RefundStopTable } from '../db/database';

/**
 * The operator's refund stop of a merchant (governance.md, 2), read by the refund domain on every
 * refund and written by the KYC feature (`governance/kyc.ts`).
 */
export type RefundStop = Selectable<RefundStopTable>;

// Read twice per refund: compiled once (compiled-queries.ts).
const byMerchantId = compiledQuery((db: Db, arg) =>
  db.selectFrom('refund_stops').selectAll().where('merchant_id', '=', arg(0)),
);

export async function findRefundStop(db: Db, merchantId: string): Promise<RefundStop | undefined> {
  return (await byMerchantId(db, merchantId)).rows[0];
}
