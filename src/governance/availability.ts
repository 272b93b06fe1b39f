import type { Db } from '../db/database';
import { isGatewayInMaintenance } from '../merchants/merchant.repository';
import { concerns, type MaintenanceWindow, toWindow } from './maintenance';

/**
 * Whether a merchant's service takes new purchases (A01-1) and XML API calls now, as governance
 * decides (governance.md): the one place the purchase and XML paths ask. Each refusal reason has
 * its own function here, checked by both paths in the order they are listed.
 */

/** A maintenance window in progress for the service (governance.md, 5), answered 5112 / MNT00001. */
export interface MaintenanceRefusal {
  /** The window's end, shown in JST; null for the gateway-wide switch, which has no end. */
  endsAt: Date | null;
}

export async function maintenanceFor(
  db: Db,
  service: { merchantId: string; serviceId: string },
  now: Date,
): Promise<MaintenanceRefusal | null> {
  const rows = await db
    .selectFrom('maintenance_windows')
    .selectAll()
    .where('starts_at', '<=', now.getTime())
    .where('ends_at', '>', now.getTime())
    .where('cancelled_at', 'is', null)
    .execute();
  const running = rows
    .map(toWindow)
    .filter((w: MaintenanceWindow) => concerns(w, service.merchantId, service.serviceId));
  if (running.length > 0) {
    return { endsAt: new Date(Math.max(...running.map((w) => w.endsAt.getTime()))) };
  }
  return (await isGatewayInMaintenance(db)) ? { endsAt: null } : null;
}
