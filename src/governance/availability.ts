import { compiledQuery } from '../db/compiled-queries';
import type { Db } from '../db/database';
import { isGatewayInMaintenance } from '../merchants/merchant.repository';
import { suspensionInEffect } from './kyc';
import { concerns, type MaintenanceWindow, toWindow } from './maintenance';
import { prohibitedCategoryInEffect } from './prohibited';

/**
 * Whether a merchant's service takes new purchases (A01-1) and XML API calls now, as governance
 * decides (governance.md): the one place the purchase and XML paths ask. The purchase path
 * (`serviceRefusal` in `channels/link`, for A01-1 and the pay button) checks both functions here,
 * maintenance first; the XML API path checks only
 * maintenance, because a KYC suspension or a prohibited category refuses new purchases, not the
 * refunds and inquiries on existing payments the XML API carries.
 */

/** A maintenance window in progress for the service (governance.md, 5), answered 5112 / 51091999. */
export interface MaintenanceRefusal {
  /** The window's end, shown in JST; null for the gateway-wide switch, which has no end. */
  endsAt: Date | null;
}

const windowsAt = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('maintenance_windows')
    .selectAll()
    .where('starts_at', '<=', arg(0))
    .where('ends_at', '>', arg(0))
    .where('cancelled_at', 'is', null),
);

export async function maintenanceFor(
  db: Db,
  service: { merchantId: string; serviceId: string },
  now: Date,
): Promise<MaintenanceRefusal | null> {
  const { rows } = await windowsAt(db, now.getTime());
  const running = rows
    .map(toWindow)
    .filter((w: MaintenanceWindow) => concerns(w, service.merchantId, service.serviceId));
  if (running.length > 0) {
    return { endsAt: new Date(Math.max(...running.map((w) => w.endsAt.getTime()))) };
  }
  return (await isGatewayInMaintenance(db)) ? { endsAt: null } : null;
}

/**
 * A KYC suspension in effect for the merchant (governance.md, 2), or a prohibited category the
 * service declares whose effective date has come (4): new purchases are answered 5111. Times are
 * compared with `now`, so each applies from its instant, not from when it was recorded.
 */
export type PurchaseBlock =
  | { reason: 'NO_APPROVED_SUB_BRAND' }
  | { reason: 'KYC_SUSPENDED'; caseId: string }
  | { reason: 'PROHIBITED_CATEGORY'; category: string };

/**
 * `service.approvedSubBrands`: the merchant's approved sub-brands as the caller read them with the
 * service in this request (merchant.repository.ts, findServiceWithMerchant), not read again.
 */
export async function purchaseBlockFor(
  db: Db,
  service: { merchantId: string; serviceId: string; approvedSubBrands: readonly string[] },
  now: Date,
): Promise<PurchaseBlock | null> {
  // §1: only sub-brands that completed review may be used; with none, Alipay+ is unavailable.
  if (service.approvedSubBrands.length === 0) return { reason: 'NO_APPROVED_SUB_BRAND' };
  const suspension = await suspensionInEffect(db, service.merchantId, now);
  if (suspension) return { reason: 'KYC_SUSPENDED', caseId: suspension.case_id };
  const category = await prohibitedCategoryInEffect(db, service.merchantId, service.serviceId, now);
  if (category !== undefined) return { reason: 'PROHIBITED_CATEGORY', category };
  return null;
}
