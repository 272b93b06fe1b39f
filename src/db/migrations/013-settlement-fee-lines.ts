import type { Kysely } from 'kysely';
import type { ColumnKit } from './columns';

/**
 * The lines of Alipay+'s `feeItems` files (settlement.md, What the gateway does with them), each
 * with how it matched the fee we expect on the payment it names, the way `settlement_report_lines`
 * keeps the transaction items. `expected` is our fee for the payment (NULL when the line names no
 * payment of ours). Fee lines name payments by Alipay+'s paymentId, which payments are now looked
 * up by.
 */
export async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  await db.schema
    .createTable('settlement_fee_lines')
    .addColumn('line_id', col.id, (c) => col.idConstraints(c))
    .addColumn('file_id', 'bigint', (c) => c.notNull().references('settlement_report_files.file_id'))
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addColumn('fee_type', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('tracking_id', 'text', (c) => c.references('payments.tracking_id'))
    .addColumn('expected', 'bigint')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .execute();
  for (const column of ['batch_id', 'transaction_id', 'tracking_id'] as const) {
    await db.schema
      .createIndex(`settlement_fee_lines_${column}`)
      .on('settlement_fee_lines')
      .column(column)
      .execute();
  }
  await db.schema
    .createIndex('payments_alipay_payment_id')
    .on('payments')
    .column('alipay_payment_id')
    .execute();
}
