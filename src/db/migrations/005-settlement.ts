import { type Kysely, sql } from 'kysely';
import { backfillLedger } from '../../settlement/ledger-backfill';
import type { Database } from '../database';
import { type ColumnKit, refuseChanges } from './columns';

/**
 * Settlement (settlement.md): fee settings per service with effective dates, merchants' payout
 * cycles, and the double-entry ledger in integer yen.
 */
/** The accounts that are not per merchant (settlement.md, Money model). */
const SHARED_ACCOUNTS = [
  'alipayplus_receivable',
  'fee_revenue',
  'refund_clearing',
  'bank',
  'payout_clearing',
];

export async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  // Settings are never edited: a new rate is a new row from its effective date (JST), so the fee
  // of any past capture can still be explained.
  await db.schema
    .createTable('service_fees')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('effective_from', 'text', (c) => c.notNull())
    .addColumn('rate_bps', 'integer', (c) => c.notNull().check(sql`rate_bps >= 0 AND rate_bps <= 10000`))
    .addColumn('fixed_fee', 'integer', (c) => c.notNull().check(sql`fixed_fee >= 0`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addForeignKeyConstraint('service_fees_service', ['merchant_id', 'service_id'], 'services', [
      'merchant_id',
      'service_id',
    ])
    .execute();
  await db.schema
    .createIndex('service_fees_lookup')
    .on('service_fees')
    .columns(['merchant_id', 'service_id', 'effective_from', 'id'])
    .execute();

  await db.schema
    .createTable('merchant_payout_terms')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey().references('merchants.merchant_id'))
    .addColumn('cycle', 'text', (c) => c.notNull().check(sql`cycle IN ('MONTHLY', 'TWICE_MONTHLY')`))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // `merchant_payable:<merchant>` accounts are opened on first use; the others exist from the start.
  await db.schema
    .createTable('ledger_accounts')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.references('merchants.merchant_id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  const openedAt = Date.now();
  await sql`INSERT INTO ledger_accounts (account_id, kind, merchant_id, created_at) VALUES
    ${sql.join(SHARED_ACCOUNTS.map((a) => sql`(${a}, ${a}, NULL, ${openedAt})`))}`.execute(db);

  // `source_key` names the event an entry books ("capture:<tracking id>", "refund:<refund id>"):
  // unique, so one event can never be booked twice; a correction is a reversal (its own key).
  await db.schema
    .createTable('ledger_entries')
    .addColumn('entry_id', col.id, (c) => col.idConstraints(c))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('source_key', 'text', (c) => c.notNull().unique())
    .addColumn('merchant_id', 'text', (c) => c.references('merchants.merchant_id'))
    .addColumn('tracking_id', 'text', (c) => c.references('payments.tracking_id'))
    .addColumn('refund_id', 'text', (c) => c.references('refunds.refund_id'))
    .addColumn('reverses_entry_id', 'bigint', (c) => c.unique().references('ledger_entries.entry_id'))
    .addColumn('business_date', 'text', (c) => c.notNull())
    .addColumn('memo', 'text', (c) => c.notNull())
    .addColumn('posted_at', 'bigint', (c) => c.notNull())
    .execute();
  for (const column of ['tracking_id', 'refund_id', 'merchant_id'] as const) {
    await db.schema.createIndex(`ledger_entries_${column}`).on('ledger_entries').column(column).execute();
  }

  // Signed integer yen: debits positive, credits negative, so an entry balances when its lines sum to 0.
  await db.schema
    .createTable('ledger_lines')
    .addColumn('line_id', col.id, (c) => col.idConstraints(c))
    .addColumn('entry_id', 'bigint', (c) => c.notNull().references('ledger_entries.entry_id'))
    .addColumn('account_id', 'text', (c) => c.notNull().references('ledger_accounts.account_id'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount <> 0`))
    .execute();
  await db.schema.createIndex('ledger_lines_entry').on('ledger_lines').column('entry_id').execute();
  await db.schema.createIndex('ledger_lines_account').on('ledger_lines').column('account_id').execute();

  // The database itself refuses to change or delete a posted entry or line.
  await refuseChanges(db, col, {
    fn: 'ledger_append_only',
    what: 'the ledger is append-only',
    instead: 'post a reversing entry',
    tables: ['ledger_entries', 'ledger_lines'],
  });

  // Payments captured before the ledger existed are booked now (with no fee: no setting existed),
  // so `kessai ledger check` holds from the first day.
  await backfillLedger(db as unknown as Kysely<Database>);
}
