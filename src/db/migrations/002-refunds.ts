import type { Kysely } from 'kysely';
import type { ColumnKit } from './columns';

/** Refunds (payment-lifecycle.md, Refunds) and the XML API's credentials and hash memory. */
export async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  await db.schema
    .createTable('refunds')
    .addColumn('refund_id', 'text', (c) => c.primaryKey())
    .addColumn('tracking_id', 'text', (c) => c.notNull().references('payments.tracking_id'))
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('amount', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('refund_request_id', 'text', (c) => c.notNull().unique())
    .addColumn('replay_key', 'text', (c) => c.unique())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('result_code', 'text')
    .addColumn('processing_datetime', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('refunds_payment')
    .on('refunds')
    .columns(['tracking_id', 'created_at'])
    .execute();

  // The public test environment of the protocol's originator accepts the hash key as the API
  // password; this per-service switch (off by default) does the same (merchant-xml-api.md).
  await db.schema
    .alterTable('services')
    .addColumn('api_password_is_hash_key', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // `sps_hashcode` values of accepted inquiries, remembered for their validity window so that an
  // intercepted inquiry cannot be replayed as a refund (51096025).
  await db.schema
    .createTable('xml_inquiry_hashes')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('hashcode', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('xml_inquiry_hashes_lookup')
    .on('xml_inquiry_hashes')
    .columns(['merchant_id', 'service_id', 'hashcode'])
    .execute();
}
