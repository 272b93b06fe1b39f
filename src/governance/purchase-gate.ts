import type { Db } from '../db/database';
import { suspensionInEffect } from './kyc';
import { prohibitedCategoryInEffect } from './prohibited';

/**
 * Governance's say in a new purchase (A01-1, check 9): the reason the merchant's service may not
 * take one now, or null. Each governance rule adds its check here; the link channel answers any
 * reason with 5111 (governance.md, 2 and 4). Effective times are compared with `now`, so a
 * suspension or a listing applies from its instant, not from when it was recorded.
 */
export type PurchaseBlock =
  | { reason: 'KYC_SUSPENDED'; caseId: string }
  | { reason: 'PROHIBITED_CATEGORY'; category: string };

export async function purchaseBlock(
  db: Db,
  service: { merchantId: string; serviceId: string },
  now: Date,
): Promise<PurchaseBlock | null> {
  const suspension = await suspensionInEffect(db, service.merchantId, now);
  if (suspension) return { reason: 'KYC_SUSPENDED', caseId: suspension.case_id };
  const category = await prohibitedCategoryInEffect(db, service.merchantId, service.serviceId, now);
  if (category !== undefined) return { reason: 'PROHIBITED_CATEGORY', category };
  return null;
}
