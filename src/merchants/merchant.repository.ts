import type { Db, MerchantRow, ServiceRow } from '../db/database';
import { approvedSubBrands } from '../governance/sub-brand-review.repository';

/** A service with its merchant, as the purchase checks and the payment flow need it. */
export interface ServiceWithMerchant {
  service: ServiceRow;
  merchant: MerchantRow;
  urlHosts: string[];
  /** The merchant's approved sub-brands (governance.md §1). */
  approvedWallets: string[];
}

function parseList(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function findService(db: Db, merchantId: string, serviceId: string): Promise<ServiceRow | undefined> {
  return db
    .selectFrom('services')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('service_id', '=', serviceId)
    .executeTakeFirst();
}

export function findMerchant(db: Db, merchantId: string): Promise<MerchantRow | undefined> {
  return db.selectFrom('merchants').selectAll().where('merchant_id', '=', merchantId).executeTakeFirst();
}

export async function findServiceWithMerchant(
  db: Db,
  merchantId: string,
  serviceId: string,
): Promise<ServiceWithMerchant | undefined> {
  const service = await findService(db, merchantId, serviceId);
  if (!service) return undefined;
  const merchant = await findMerchant(db, merchantId);
  if (!merchant) throw new Error(`merchant ${merchantId} of service ${serviceId} not found`);
  return {
    service,
    merchant,
    urlHosts: parseList(service.url_hosts),
    approvedWallets: await approvedSubBrands(db, merchantId),
  };
}

const GATEWAY_MAINTENANCE = 'gateway_maintenance';

export async function isGatewayInMaintenance(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('system_flags')
    .select('value')
    .where('name', '=', GATEWAY_MAINTENANCE)
    .executeTakeFirst();
  return row?.value === '1';
}

export async function setGatewayMaintenance(db: Db, on: boolean): Promise<void> {
  await db
    .insertInto('system_flags')
    .values({ name: GATEWAY_MAINTENANCE, value: on ? '1' : '0' })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: on ? '1' : '0' }))
    .execute();
}
