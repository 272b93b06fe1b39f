import { type Kysely, sql } from 'kysely';
import type { ColumnKit } from './columns';

/**
 * Alipay+'s clearing and settlement reports (settlement.md, What the gateway does with them): each
 * file stored once (by name, with its checksum), its lines with how each matched our payments and
 * refunds, and the discrepancies an operator resolves with a note. Two more ledger accounts: what
 * Alipay+ charges us, and the suspense account that holds any difference a settlement leaves.
 */
export async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  await db.schema
    .createTable('settlement_report_files')
    .addColumn('file_id', col.id, (c) => col.idConstraints(c))
    .addColumn('file_name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('directory', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('settlement_report_lines')
    .addColumn('line_id', col.id, (c) => col.idConstraints(c))
    .addColumn('file_id', 'bigint', (c) => c.notNull().references('settlement_report_files.file_id'))
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('transaction_type', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('tracking_id', 'text', (c) => c.references('payments.tracking_id'))
    .addColumn('refund_id', 'text', (c) => c.references('refunds.refund_id'))
    .addColumn('outcome', 'text', (c) => c.notNull())
    .execute();
  for (const column of ['file_id', 'batch_id', 'transaction_id', 'tracking_id', 'refund_id'] as const) {
    await db.schema
      .createIndex(`settlement_report_lines_${column}`)
      .on('settlement_report_lines')
      .column(column)
      .execute();
  }

  // `subject` names what is wrong (a transaction id, a file, a batch): with `kind`, unique, so a
  // discrepancy found again by a later fetch is the same row.
  await db.schema
    .createTable('settlement_discrepancies')
    .addColumn('discrepancy_id', col.id, (c) => col.idConstraints(c))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('file_id', 'bigint', (c) => c.references('settlement_report_files.file_id'))
    .addColumn('tracking_id', 'text', (c) => c.references('payments.tracking_id'))
    .addColumn('refund_id', 'text', (c) => c.references('refunds.refund_id'))
    .addColumn('ours', 'text')
    .addColumn('theirs', 'text')
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('OPEN', 'RESOLVED')`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at', 'bigint')
    .addColumn('resolved_by', 'text')
    .addColumn('resolution_note', 'text')
    .addUniqueConstraint('settlement_discrepancies_subject', ['kind', 'subject'])
    .execute();
  await db.schema
    .createIndex('settlement_discrepancies_status')
    .on('settlement_discrepancies')
    .columns(['status', 'discrepancy_id'])
    .execute();

  const openedAt = Date.now();
  await sql`INSERT INTO ledger_accounts (account_id, kind, merchant_id, created_at) VALUES
    ('alipayplus_fees', 'alipayplus_fees', NULL, ${openedAt}),
    ('settlement_suspense', 'settlement_suspense', NULL, ${openedAt})`.execute(db);
}
