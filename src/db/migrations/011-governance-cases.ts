import type { Kysely } from 'kysely';

/**
 * Merchant governance (governance.md, 2-4): KYC cases and refund stops, fraud investigations and
 * the payments they concern, the prohibited product categories and each service's declared
 * categories. Instants are epoch milliseconds; due dates are JST calendar dates (`YYYY-MM-DD`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('kyc_cases')
    .addColumn('case_id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.merchant_id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('information_requested', 'text', (c) => c.notNull())
    .addColumn('due_date', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('answer', 'text')
    .addColumn('answered_by', 'text')
    .addColumn('answered_at', 'bigint')
    .addColumn('outcome_note', 'text')
    .addColumn('suspended_from', 'bigint')
    .addColumn('suspended_until', 'bigint')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'bigint')
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('kyc_cases_merchant')
    .on('kyc_cases')
    .columns(['merchant_id', 'opened_at'])
    .execute();

  // At most one stop per merchant: the switch is on while the row exists.
  await db.schema
    .createTable('refund_stops')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey().references('merchants.merchant_id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('stopped_by', 'text', (c) => c.notNull())
    .addColumn('stopped_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('fraud_investigations')
    .addColumn('investigation_id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.merchant_id'))
    .addColumn('allegation', 'text', (c) => c.notNull())
    .addColumn('requested', 'text', (c) => c.notNull())
    .addColumn('due_date', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('answer', 'text')
    .addColumn('answered_by', 'text')
    .addColumn('answered_at', 'bigint')
    .addColumn('outcome', 'text')
    .addColumn('closed_by', 'text')
    .addColumn('closed_at', 'bigint')
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('fraud_investigations_merchant')
    .on('fraud_investigations')
    .columns(['merchant_id', 'opened_at'])
    .execute();

  await db.schema
    .createTable('fraud_investigation_payments')
    .addColumn('investigation_id', 'text', (c) =>
      c.notNull().references('fraud_investigations.investigation_id'),
    )
    .addColumn('tracking_id', 'text', (c) => c.notNull().references('payments.tracking_id'))
    .addPrimaryKeyConstraint('fraud_investigation_payments_pk', ['investigation_id', 'tracking_id'])
    .execute();
  // Search results and the billing screen look the flag up by tracking id.
  await db.schema
    .createIndex('fraud_investigation_payments_tracking')
    .on('fraud_investigation_payments')
    .column('tracking_id')
    .execute();

  await db.schema
    .createTable('prohibited_categories')
    .addColumn('category', 'text', (c) => c.primaryKey())
    .addColumn('effective_from', 'text', (c) => c.notNull())
    .addColumn('effective_at', 'bigint', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addColumn('added_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('service_categories')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('service_categories_pk', ['merchant_id', 'service_id', 'category'])
    .addForeignKeyConstraint('service_categories_service', ['merchant_id', 'service_id'], 'services', [
      'merchant_id',
      'service_id',
    ])
    .execute();
  await db.schema
    .createIndex('service_categories_category')
    .on('service_categories')
    .column('category')
    .execute();
}
