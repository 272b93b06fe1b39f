import { type Kysely, sql } from 'kysely';
import type { ColumnKit } from './columns';

/**
 * Sub-brand review as Alipay+ merchant registration (governance.md §1): each registration sent,
 * each merchant's state per sub-brand, and every change of it. The wallets a service used to list
 * in `services.approved_wallets` become approvals of its merchant, so live merchants keep them.
 */
export async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  await db.schema
    .createTable('sub_brand_registrations')
    .addColumn('registration_request_id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.merchant_id'))
    .addColumn('sub_brands', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('SENDING', 'PROCESSING', 'COMPLETED', 'FAILED')`),
    )
    .addColumn('result_code', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_heard_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('sub_brand_registrations_merchant')
    .on('sub_brand_registrations')
    .column('merchant_id')
    .execute();

  await db.schema
    .createTable('merchant_sub_brands')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.merchant_id'))
    .addColumn('sub_brand', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('APPLIED', 'PENDING', 'APPROVED', 'REJECTED', 'WITHDRAWN')`),
    )
    .addColumn('reason', 'text')
    .addColumn('registration_request_id', 'text', (c) =>
      c.references('sub_brand_registrations.registration_request_id'),
    )
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('merchant_sub_brands_pk', ['merchant_id', 'sub_brand'])
    .execute();

  await db.schema
    .createTable('merchant_sub_brand_events')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.merchant_id'))
    .addColumn('sub_brand', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('registration_request_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('merchant_sub_brand_events_merchant')
    .on('merchant_sub_brand_events')
    .columns(['merchant_id', 'id'])
    .execute();

  const services = await sql<{ merchant_id: string; approved_wallets: string }>`
    SELECT merchant_id, approved_wallets FROM services`.execute(db);
  const approved = new Map<string, Set<string>>();
  for (const row of services.rows) {
    const list: unknown = JSON.parse(row.approved_wallets);
    const set = approved.get(row.merchant_id) ?? new Set<string>();
    if (Array.isArray(list)) for (const w of list) if (typeof w === 'string') set.add(w);
    approved.set(row.merchant_id, set);
  }
  const now = Date.now();
  for (const [merchantId, wallets] of approved) {
    for (const wallet of wallets) {
      await sql`INSERT INTO merchant_sub_brands (merchant_id, sub_brand, status, reason, registration_request_id, updated_at)
        VALUES (${merchantId}, ${wallet}, 'APPROVED', NULL, NULL, ${now})`.execute(db);
      await sql`INSERT INTO merchant_sub_brand_events (merchant_id, sub_brand, status, reason, registration_request_id, actor, at)
        VALUES (${merchantId}, ${wallet}, 'APPROVED', 'approved before sub-brand review existed', NULL, 'migration', ${now})`.execute(
        db,
      );
    }
  }
  await db.schema.alterTable('services').dropColumn('approved_wallets').execute();
}
