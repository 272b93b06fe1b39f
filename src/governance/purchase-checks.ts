import type { Db } from '../db/database';
import { approvedSubBrands } from './sub-brand-review.repository';

/**
 * The governance rules that stop a new purchase (governance.md), as the A01-1 code to answer, or
 * `null` when the merchant may take it. Each rule is one check here, in the order they apply.
 */
export type GovernanceRefusal = '5111' | '5112';

export async function governanceRefusal(
  db: Db,
  merchantId: string,
  _serviceId: string,
): Promise<GovernanceRefusal | null> {
  // §1: only sub-brands that completed review may be used; with none, Alipay+ is unavailable.
  if ((await approvedSubBrands(db, merchantId)).length === 0) return '5111';
  return null;
}
