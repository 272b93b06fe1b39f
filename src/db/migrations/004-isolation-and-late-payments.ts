import type { Kysely } from 'kysely';
import type { ColumnKit } from './columns';

/**
 * Job groups — whose jobs share a concurrency limit (a merchant's A02-1 deliveries) — and the
 * record of money Alipay+ reports paid for a payment that had already failed (payment-lifecycle.md:
 * such money is never left in a failed state).
 */
export async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('group_key', 'text').execute();
  await db.schema.createIndex('jobs_group').on('jobs').columns(['group_key', 'status']).execute();

  await db.schema
    .createTable('late_payments')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('tracking_id', 'text', (c) => c.notNull().unique().references('payments.tracking_id'))
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('amount_value', 'text')
    .addColumn('amount_currency', 'text')
    .addColumn('wallet', 'text')
    .addColumn('alipay_payment_id', 'text')
    .addColumn('reported_at', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at', 'bigint')
    .addColumn('note', 'text')
    .execute();
  await db.schema
    .createIndex('late_payments_open')
    .on('late_payments')
    .columns(['status', 'reported_at'])
    .execute();
}
