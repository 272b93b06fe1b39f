import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database';
import { SUB_BRAND_CODES } from './sub-brands';

/**
 * The demo merchant of configuration.md (Demo data): merchant 30000 "Kessai Demo Shop" with
 * service 001 (Shift_JIS, all ten sub-brands approved, callback hosts localhost and 127.0.0.1).
 * Idempotent; a generated hash key persists across restarts, and `KESSAI_DEMO_HASH_KEY` replaces
 * it at each start.
 */
export const DEMO_MERCHANT_ID = '30000';
export const DEMO_SERVICE_ID = '001';

export interface DemoSecrets {
  hashKey: string;
}

export async function seedDemoData(
  db: Db,
  now: Date,
  configured: { hashKey?: string | undefined },
): Promise<DemoSecrets> {
  await db
    .insertInto('merchants')
    .values({
      merchant_id: DEMO_MERCHANT_ID,
      name: 'Kessai Demo Shop',
      display_name: 'Kessai デモショップ',
      mcc: '5999',
      city: 'Tokyo',
      region: 'JP',
      registered_on: '2026-01-01',
      suspended: 0,
      created_at: now.getTime(),
    })
    .onConflict((oc) => oc.column('merchant_id').doNothing())
    .execute();
  await db
    .insertInto('services')
    .values({
      merchant_id: DEMO_MERCHANT_ID,
      service_id: DEMO_SERVICE_ID,
      display_name: 'Kessai Demo Shop',
      hash_key: configured.hashKey ?? randomBytes(20).toString('hex'),
      api_password_digest: null,
      encoding: 'Shift_JIS',
      url_hosts: JSON.stringify(['localhost', '127.0.0.1']),
      approved_wallets: JSON.stringify(SUB_BRAND_CODES),
      active: 1,
      maintenance: 0,
      created_at: now.getTime(),
    })
    .onConflict((oc) => oc.columns(['merchant_id', 'service_id']).doNothing())
    .execute();
  if (configured.hashKey) {
    await db
      .updateTable('services')
      .set({ hash_key: configured.hashKey })
      .where('merchant_id', '=', DEMO_MERCHANT_ID)
      .where('service_id', '=', DEMO_SERVICE_ID)
      .execute();
  }
  const service = await db
    .selectFrom('services')
    .select('hash_key')
    .where('merchant_id', '=', DEMO_MERCHANT_ID)
    .where('service_id', '=', DEMO_SERVICE_ID)
    .executeTakeFirstOrThrow();
  return { hashKey: service.hash_key };
}
