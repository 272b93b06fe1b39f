import type { Db } from '../db/database';

/** Merchants and services as the console's pickers list them, within the actor's scope. */
export async function listMerchantIds(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('merchants')
    .select('merchant_id')
    .orderBy('merchant_id')
    .limit(1000)
    .execute();
  return rows.map((r) => r.merchant_id);
}

export interface ServiceKey {
  merchantId: string;
  serviceId: string;
}

export async function listServices(
  db: Db,
  scope: { merchantId: string | null },
): Promise<Array<ServiceKey & { displayName: string }>> {
  let q = db.selectFrom('services').select(['merchant_id', 'service_id', 'display_name']);
  if (scope.merchantId !== null) q = q.where('merchant_id', '=', scope.merchantId);
  const rows = await q.orderBy('merchant_id').orderBy('service_id').limit(1000).execute();
  return rows.map((r) => ({
    merchantId: r.merchant_id,
    serviceId: r.service_id,
    displayName: r.display_name,
  }));
}
