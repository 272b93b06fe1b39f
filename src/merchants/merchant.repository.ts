import { compiledQuery } from '../db/compiled-queries';
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

/** A service's registered URL hosts, kept as a JSON list in `services.url_hosts`. */
export function registeredHostsOf(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

const serviceById = compiledQuery((db: Db, arg) =>
  db.selectFrom('services').selectAll().where('merchant_id', '=', arg(0)).where('service_id', '=', arg(1)),
);
const merchantById = compiledQuery((db: Db, arg) =>
  db.selectFrom('merchants').selectAll().where('merchant_id', '=', arg(0)),
);

export async function findService(
  db: Db,
  merchantId: string,
  serviceId: string,
): Promise<ServiceRow | undefined> {
  return (await serviceById(db, merchantId, serviceId)).rows[0];
}

export async function findMerchant(db: Db, merchantId: string): Promise<MerchantRow | undefined> {
  return (await merchantById(db, merchantId)).rows[0];
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
    urlHosts: registeredHostsOf(service.url_hosts),
    approvedWallets: await approvedSubBrands(db, merchantId),
  };
}

const GATEWAY_MAINTENANCE = 'gateway_maintenance';

const gatewayMaintenanceFlag = compiledQuery((db: Db) =>
  db.selectFrom('system_flags').select('value').where('name', '=', GATEWAY_MAINTENANCE),
);

export async function isGatewayInMaintenance(db: Db): Promise<boolean> {
  return (await gatewayMaintenanceFlag(db)).rows[0]?.value === '1';
}

export async function setGatewayMaintenance(db: Db, on: boolean): Promise<void> {
  await db
    .insertInto('system_flags')
    .values({ name: GATEWAY_MAINTENANCE, value: on ? '1' : '0' })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: on ? '1' : '0' }))
    .execute();
}
