import { type Kysely, sql } from 'kysely';
import { type ColumnKit, refuseChanges } from './columns';

/**
 * Merchant statements, payouts and Zengin transfer files (settlement.md, Paying merchants).
 * A statement and its lines never change once issued (the database refuses it); a payout moves
 * SCHEDULED → SENT (in a transfer file) → PAID.
 */
export async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  // Where a merchant is paid; names are kept as typed and checked against the Zengin set on save.
  await db.schema
    .createTable('merchant_bank_accounts')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey().references('merchants.merchant_id'))
    .addColumn('bank_code', 'text', (c) => c.notNull())
    .addColumn('bank_name', 'text', (c) => c.notNull())
    .addColumn('branch_code', 'text', (c) => c.notNull())
    .addColumn('branch_name', 'text', (c) => c.notNull())
    .addColumn('account_type', 'text', (c) =>
      c.notNull().check(sql`account_type IN ('ORDINARY', 'CURRENT', 'SAVINGS')`),
    )
    .addColumn('account_number', 'text', (c) => c.notNull())
    .addColumn('holder_name', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // One statement per merchant and closing date: the unique index is what makes a second or
  // concurrent close of the same period issue nothing.
  await db.schema
    .createTable('statements')
    .addColumn('statement_id', col.id, (c) => col.idConstraints(c))
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.merchant_id'))
    .addColumn('period_from', 'text', (c) => c.notNull())
    .addColumn('period_close', 'text', (c) => c.notNull())
    .addColumn('payout_date', 'text', (c) => c.notNull())
    .addColumn('captured', 'bigint', (c) => c.notNull())
    .addColumn('refunded', 'bigint', (c) => c.notNull())
    .addColumn('fees', 'bigint', (c) => c.notNull())
    .addColumn('net', 'bigint', (c) => c.notNull())
    .addColumn('carried_in', 'bigint', (c) => c.notNull().check(sql`carried_in <= 0`))
    .addColumn('payout_amount', 'bigint', (c) => c.notNull().check(sql`payout_amount >= 0`))
    .addColumn('carried_out', 'bigint', (c) => c.notNull().check(sql`carried_out <= 0`))
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('statements_merchant_close', ['merchant_id', 'period_close'])
    .execute();

  // The ledger entries behind a statement; an entry is on at most one statement (unique), so an
  // entry posted after a close lands on the next one.
  await db.schema
    .createTable('statement_lines')
    .addColumn('line_id', col.id, (c) => col.idConstraints(c))
    .addColumn('statement_id', 'bigint', (c) => c.notNull().references('statements.statement_id'))
    .addColumn('entry_id', 'bigint', (c) => c.notNull().unique().references('ledger_entries.entry_id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('business_date', 'text', (c) => c.notNull())
    .addColumn('tracking_id', 'text')
    .addColumn('refund_id', 'text')
    .addColumn('gross', 'bigint', (c) => c.notNull())
    .addColumn('fee', 'bigint', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('statement_lines_statement')
    .on('statement_lines')
    .column('statement_id')
    .execute();

  await db.schema
    .createTable('zengin_files')
    .addColumn('file_id', col.id, (c) => col.idConstraints(c))
    .addColumn('transfer_date', 'text', (c) => c.notNull())
    .addColumn('transfers', 'integer', (c) => c.notNull())
    .addColumn('total', 'bigint', (c) => c.notNull())
    .addColumn('content', col.dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('payouts')
    .addColumn('payout_id', col.id, (c) => col.idConstraints(c))
    .addColumn('statement_id', 'bigint', (c) => c.notNull().unique().references('statements.statement_id'))
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.merchant_id'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('payout_date', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('SCHEDULED', 'SENT', 'PAID')`))
    .addColumn('zengin_file_id', 'bigint', (c) => c.references('zengin_files.file_id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .addColumn('paid_at', 'bigint')
    .execute();
  await db.schema.createIndex('payouts_date').on('payouts').columns(['payout_date', 'status']).execute();
  await db.schema
    .createIndex('payouts_merchant')
    .on('payouts')
    .columns(['merchant_id', 'payout_date'])
    .execute();

  // The database itself refuses to change or delete an issued statement or its lines.
  await refuseChanges(db, col, {
    fn: 'statement_immutable',
    what: 'an issued statement is immutable',
    instead: 'corrections go on the next statement',
    tables: ['statements', 'statement_lines'],
  });
}
