import type { Kysely } from 'kysely';
import type { ColumnKit } from './columns';

/**
 * Governance (governance.md): the one notice model (notices, the merchants each concerns, read
 * state per console user, the e-mail outbox), merchants' notice addresses, maintenance windows and
 * outage incidents.
 */
export async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  // Notice e-mail addresses (JSON list) are a merchant setting.
  await db.schema
    .alterTable('merchants')
    .addColumn('notice_emails', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();

  // `for_all` = 1: every merchant (and operators); otherwise the merchants in notice_merchants.
  // `dedupe_key` makes posting idempotent for jobs that may run twice (unique; NULLs never clash).
  await db.schema
    .createTable('notices')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('for_all', 'integer', (c) => c.notNull())
    .addColumn('title_ja', 'text', (c) => c.notNull())
    .addColumn('title_en', 'text', (c) => c.notNull())
    .addColumn('body_ja', 'text', (c) => c.notNull())
    .addColumn('body_en', 'text', (c) => c.notNull())
    .addColumn('links', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notices_kind').on('notices').columns(['kind', 'id']).execute();

  await db.schema
    .createTable('notice_merchants')
    .addColumn('notice_id', 'bigint', (c) => c.notNull().references('notices.id'))
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.merchant_id'))
    .addPrimaryKeyConstraint('notice_merchants_pk', ['notice_id', 'merchant_id'])
    .execute();
  await db.schema
    .createIndex('notice_merchants_merchant')
    .on('notice_merchants')
    .columns(['merchant_id', 'notice_id'])
    .execute();

  await db.schema
    .createTable('notice_reads')
    .addColumn('notice_id', 'bigint', (c) => c.notNull().references('notices.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('admin_users.user_id'))
    .addColumn('read_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('notice_reads_pk', ['notice_id', 'user_id'])
    .execute();

  // The e-mail outbox: one row per notice and merchant, written with the notice; a job sends it.
  // status: PENDING → SENT, or DEAD after the last retry, or SKIPPED (no address / no SMTP).
  await db.schema
    .createTable('notice_emails')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('notice_id', 'bigint', (c) => c.notNull().references('notices.id'))
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.merchant_id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('recipients', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('notice_emails_notice')
    .on('notice_emails')
    .columns(['notice_id', 'merchant_id'])
    .unique()
    .execute();

  // scope: GATEWAY | ALIPAYPLUS | SERVICES (then `services`, a JSON list of "merchantId/serviceId").
  await db.schema
    .createTable('maintenance_windows')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('services', 'text', (c) => c.notNull())
    .addColumn('text_ja', 'text', (c) => c.notNull())
    .addColumn('text_en', 'text', (c) => c.notNull())
    .addColumn('emergency', 'integer', (c) => c.notNull())
    .addColumn('emergency_reason', 'text')
    .addColumn('announced_at', 'bigint', (c) => c.notNull())
    .addColumn('announced_by', 'text', (c) => c.notNull())
    .addColumn('cancelled_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('maintenance_windows_ends')
    .on('maintenance_windows')
    .column('ends_at')
    .execute();

  // `open_slot` is 'open' while the incident is open and NULL after: its unique constraint lets
  // at most one incident be open across every gateway process. `unhealthy_at` is the last time any
  // process saw the breaker open; five minutes of healthy calls after it resolve the incident.
  await db.schema
    .createTable('outage_incidents')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('open_slot', 'text', (c) => c.unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('opened_detail', 'text', (c) => c.notNull())
    .addColumn('cause_ja', 'text')
    .addColumn('cause_en', 'text')
    .addColumn('cause_at', 'bigint')
    .addColumn('cause_by', 'text')
    .addColumn('unhealthy_at', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at', 'bigint')
    .execute();
}
