import { type Generated, type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import type { DialectName } from '../db/connection';
import { type ColumnKit, columnKit } from '../db/migrations/columns';

/**
 * The sandbox's own store (sandbox.md: never the gateway's tables). Every table and the migration
 * bookkeeping carry the `sandbox_` prefix, so even a store pointed at the gateway's database
 * cannot collide with it. Instants are epoch milliseconds, flags 0/1, wallet-currency amounts
 * decimal strings of minor units.
 */
export interface SandboxDatabase {
  sandbox_clients: { client_id: string; public_key: string; updated_at: number };
  sandbox_merchant_wallets: { reference_merchant_id: string; wallets: string; updated_at: number };
  sandbox_orders: OrderTable;
  sandbox_refusals: {
    api: string;
    request_id: string;
    fingerprint: string;
    result_code: string;
    result_message: string;
    created_at: number;
  };
  sandbox_request_counts: { api: string; request_id: string; count: number };
  sandbox_refunds: RefundTable;
  sandbox_notifications: NotificationTable;
  sandbox_notification_attempts: NotificationAttemptTable;
  sandbox_api_calls: ApiCallTable;
  sandbox_registrations: RegistrationTable;
  sandbox_registration_psps: RegistrationPspTable;
}

/** A merchant registration received (governance.md §1); reviewed per wallet. */
export interface RegistrationTable {
  registration_request_id: string;
  client_id: string;
  fingerprint: string;
  reference_merchant_id: string;
  display_name: string;
  notify_url: string;
  created_at: number;
  /** When the automatic review decides what is still pending; null once it has run. */
  review_due_at: number | null;
}

export type ReviewStatus = 'PENDING' | 'APPROVED' | 'REJECTED';

export interface RegistrationPspTable {
  registration_request_id: string;
  psp_name: string;
  status: ReviewStatus;
  reject_reason: string | null;
  decided_at: number | null;
}

export type OrderStatus = 'PROCESSING' | 'SUCCESS' | 'FAIL' | 'CLOSED';
export type CloseReason = 'EXPIRED' | 'CANCELLED';

export interface OrderTable {
  payment_id: string;
  payment_request_id: string;
  client_id: string;
  fingerprint: string;
  reference_merchant_id: string;
  merchant_name: string;
  merchant_display_name: string;
  reference_order_id: string;
  order_description: string;
  amount: number;
  payment_method_type: string;
  terminal_type: string;
  os_type: string | null;
  /** JSON array: the wallets the ACQP allowed for this order (`allowedPspNames`), or null. */
  allowed_wallets: string | null;
  notify_url: string;
  redirect_url: string;
  status: OrderStatus;
  result_code: string | null;
  close_reason: CloseReason | null;
  reversed: number;
  wallet: string | null;
  user_name: string | null;
  customer_id: string | null;
  wallet_currency: string | null;
  wallet_amount: string | null;
  quote_id: string | null;
  quote_pair: string | null;
  quote_price: string | null;
  created_at: number;
  expires_at: number;
  paid_at: number | null;
  closed_at: number | null;
  updated_at: number;
}

export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'FAIL';

export interface RefundTable {
  refund_id: string;
  refund_request_id: string;
  payment_id: string;
  amount: number;
  reason: string | null;
  status: RefundStatus;
  result_code: string;
  wallet_amount: string | null;
  created_at: number;
  finished_at: number | null;
}

export type NotificationStatus = 'PENDING' | 'DELIVERED' | 'FAILED' | 'WITHHELD' | 'STOPPED';

export interface NotificationTable {
  id: Generated<number>;
  /** The order notified (notifyPayment), or null for a registration's notification. */
  payment_id: string | null;
  registration_request_id: string | null;
  client_id: string;
  url: string;
  body: string;
  status: NotificationStatus;
  note: string | null;
  attempts: number;
  next_attempt_at: number | null;
  created_at: number;
  finished_at: number | null;
}

export interface NotificationAttemptTable {
  id: Generated<number>;
  notification_id: number;
  at: number;
  http_status: number | null;
  duration_ms: number;
  verified: number;
  accepted: number;
  answer: string | null;
  error: string | null;
}

export interface ApiCallTable {
  id: Generated<number>;
  at: number;
  api: string;
  client_id: string | null;
  request_id: string | null;
  http_status: number;
  result_status: string | null;
  result_code: string | null;
  request_body: string;
  response_body: string | null;
  fault: string | null;
  duration_ms: number;
}

async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  await db.schema
    .createTable('sandbox_clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sandbox_merchant_wallets')
    .addColumn('reference_merchant_id', 'text', (c) => c.primaryKey())
    .addColumn('wallets', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sandbox_orders')
    .addColumn('payment_id', 'text', (c) => c.primaryKey())
    .addColumn('payment_request_id', 'text', (c) => c.notNull().unique())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('reference_merchant_id', 'text', (c) => c.notNull())
    .addColumn('merchant_name', 'text', (c) => c.notNull())
    .addColumn('merchant_display_name', 'text', (c) => c.notNull())
    .addColumn('reference_order_id', 'text', (c) => c.notNull())
    .addColumn('order_description', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('payment_method_type', 'text', (c) => c.notNull())
    .addColumn('terminal_type', 'text', (c) => c.notNull())
    .addColumn('os_type', 'text')
    .addColumn('notify_url', 'text', (c) => c.notNull())
    .addColumn('redirect_url', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('result_code', 'text')
    .addColumn('close_reason', 'text')
    .addColumn('reversed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('wallet', 'text')
    .addColumn('user_name', 'text')
    .addColumn('customer_id', 'text')
    .addColumn('wallet_currency', 'text')
    .addColumn('wallet_amount', 'text')
    .addColumn('quote_id', 'text')
    .addColumn('quote_pair', 'text')
    .addColumn('quote_price', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('paid_at', 'bigint')
    .addColumn('closed_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sandbox_orders_open')
    .on('sandbox_orders')
    .columns(['status', 'expires_at'])
    .execute();
  await db.schema.createIndex('sandbox_orders_created').on('sandbox_orders').column('created_at').execute();

  await db.schema
    .createTable('sandbox_refusals')
    .addColumn('api', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('result_code', 'text', (c) => c.notNull())
    .addColumn('result_message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sandbox_refusals_pk', ['api', 'request_id'])
    .execute();

  await db.schema
    .createTable('sandbox_request_counts')
    .addColumn('api', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('sandbox_request_counts_pk', ['api', 'request_id'])
    .execute();

  await db.schema
    .createTable('sandbox_refunds')
    .addColumn('refund_id', 'text', (c) => c.primaryKey())
    .addColumn('refund_request_id', 'text', (c) => c.notNull().unique())
    .addColumn('payment_id', 'text', (c) => c.notNull().references('sandbox_orders.payment_id'))
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('result_code', 'text', (c) => c.notNull())
    .addColumn('wallet_amount', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('sandbox_refunds_payment').on('sandbox_refunds').column('payment_id').execute();

  await db.schema
    .createTable('sandbox_notifications')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('payment_id', 'text', (c) => c.notNull().references('sandbox_orders.payment_id'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('sandbox_notifications_payment')
    .on('sandbox_notifications')
    .column('payment_id')
    .execute();
  await db.schema
    .createIndex('sandbox_notifications_status')
    .on('sandbox_notifications')
    .column('status')
    .execute();

  await db.schema
    .createTable('sandbox_notification_attempts')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('notification_id', 'bigint', (c) => c.notNull().references('sandbox_notifications.id'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('verified', 'integer', (c) => c.notNull())
    .addColumn('accepted', 'integer', (c) => c.notNull())
    .addColumn('answer', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('sandbox_notification_attempts_notification')
    .on('sandbox_notification_attempts')
    .column('notification_id')
    .execute();

  await db.schema
    .createTable('sandbox_api_calls')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('api', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('request_id', 'text')
    .addColumn('http_status', 'integer', (c) => c.notNull())
    .addColumn('result_status', 'text')
    .addColumn('result_code', 'text')
    .addColumn('request_body', 'text', (c) => c.notNull())
    .addColumn('response_body', 'text')
    .addColumn('fault', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
}

/**
 * Merchant registration: the registrations and their per-wallet reviews, the wallets an order
 * may be paid with, and notifications that concern a registration rather than an order.
 */
async function up002(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  await db.schema
    .createTable('sandbox_registrations')
    .addColumn('registration_request_id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('reference_merchant_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('notify_url', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('review_due_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('sandbox_registrations_merchant')
    .on('sandbox_registrations')
    .columns(['reference_merchant_id', 'created_at'])
    .execute();
  await db.schema
    .createTable('sandbox_registration_psps')
    .addColumn('registration_request_id', 'text', (c) =>
      c.notNull().references('sandbox_registrations.registration_request_id'),
    )
    .addColumn('psp_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reject_reason', 'text')
    .addColumn('decided_at', 'bigint')
    .addPrimaryKeyConstraint('sandbox_registration_psps_pk', ['registration_request_id', 'psp_name'])
    .execute();
  await db.schema.alterTable('sandbox_orders').addColumn('allowed_wallets', 'text').execute();

  // A notification's order becomes optional. PostgreSQL alters the column in place; SQLite cannot
  // drop a foreign key, so the table is rebuilt (foreign keys off meanwhile: the attempts table
  // refers to it by name and finds the rebuilt one).
  if (col.dialect === 'postgres') {
    await sql`ALTER TABLE sandbox_notifications DROP CONSTRAINT IF EXISTS sandbox_notifications_payment_id_fkey`.execute(
      db,
    );
    await sql`ALTER TABLE sandbox_notifications ALTER COLUMN payment_id DROP NOT NULL`.execute(db);
    await sql`ALTER TABLE sandbox_notifications ADD COLUMN registration_request_id text`.execute(db);
    return;
  }
  const columns = sql.raw(
    'id, payment_id, client_id, url, body, status, note, attempts, next_attempt_at, created_at, finished_at',
  );
  await sql`PRAGMA foreign_keys = OFF`.execute(db);
  await sql`CREATE TABLE sandbox_notifications_new (
    id integer PRIMARY KEY AUTOINCREMENT, payment_id text, registration_request_id text,
    client_id text NOT NULL, url text NOT NULL, body text NOT NULL, status text NOT NULL, note text,
    attempts integer NOT NULL DEFAULT 0, next_attempt_at bigint, created_at bigint NOT NULL,
    finished_at bigint)`.execute(db);
  await sql`INSERT INTO sandbox_notifications_new (${columns}) SELECT ${columns} FROM sandbox_notifications`.execute(
    db,
  );
  await sql`DROP TABLE sandbox_notifications`.execute(db);
  await sql`ALTER TABLE sandbox_notifications_new RENAME TO sandbox_notifications`.execute(db);
  await sql`CREATE INDEX sandbox_notifications_payment ON sandbox_notifications (payment_id)`.execute(db);
  await sql`CREATE INDEX sandbox_notifications_status ON sandbox_notifications (status)`.execute(db);
  await sql`PRAGMA foreign_keys = ON`.execute(db);
}

export function sandboxMigrations(dialect: DialectName): MigrationProvider {
  const kit = columnKit(dialect);
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001-sandbox': { up: (db: Kysely<unknown>) => up(db, kit) },
        '002-registrations': { up: (db: Kysely<unknown>) => up002(db, kit) },
      };
    },
  };
}

export const MIGRATION_TABLE = 'sandbox_migration';
export const MIGRATION_LOCK_TABLE = 'sandbox_migration_lock';
