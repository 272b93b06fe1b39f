import type { Kysely } from 'kysely';
import type { ColumnKit } from './columns';

/** The walking skeleton's tables: merchants and services, payments, outbox and jobs. */
export async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  await db.schema
    .createTable('merchants')
    .addColumn('merchant_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('mcc', 'text', (c) => c.notNull())
    .addColumn('city', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('registered_on', 'text', (c) => c.notNull())
    .addColumn('suspended', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('services')
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.merchant_id'))
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('hash_key', 'text', (c) => c.notNull())
    .addColumn('api_password_digest', 'text')
    .addColumn('encoding', 'text', (c) => c.notNull())
    .addColumn('url_hosts', 'text', (c) => c.notNull())
    .addColumn('approved_wallets', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('maintenance', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('services_pk', ['merchant_id', 'service_id'])
    .execute();

  await db.schema
    .createTable('system_flags')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('payments')
    .addColumn('tracking_id', 'text', (c) => c.primaryKey())
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('transaction_id', 'text', (c) => c.notNull().unique())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('amount', 'integer', (c) => c.notNull())
    .addColumn('cust_code', 'text', (c) => c.notNull())
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('item_name', 'text', (c) => c.notNull())
    .addColumn('request_fields', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('free_csv', 'text', (c) => c.notNull())
    .addColumn('charset', 'text', (c) => c.notNull())
    .addColumn('terminal_type', 'text', (c) => c.notNull())
    .addColumn('os_type', 'text')
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('client_ip', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('in_progress_at', 'bigint')
    .addColumn('deadline_at', 'bigint')
    .addColumn('payment_request_id', 'text', (c) => c.unique())
    .addColumn('pay_outcome', 'text')
    .addColumn('redirect_url', 'text')
    .addColumn('alipay_payment_id', 'text')
    .addColumn('wallet', 'text')
    .addColumn('paid_at', 'bigint')
    .addColumn('cancel_requested_at', 'bigint')
    .addColumn('cancel_target', 'text')
    .addColumn('result_code', 'text')
    .addColumn('quote_currency_pair', 'text')
    .addColumn('quote_price', 'text')
    .addColumn('refunded_amount', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('refund_reserved_amount', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('payments_order_unique', ['merchant_id', 'service_id', 'order_id'])
    .execute();
  await db.schema
    .createIndex('payments_service_received')
    .on('payments')
    .columns(['merchant_id', 'service_id', 'received_at'])
    .execute();

  await db.schema
    .createTable('payment_events')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('tracking_id', 'text', (c) => c.notNull().references('payments.tracking_id'))
    .addColumn('from_status', 'text', (c) => c.notNull())
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('cause', 'text', (c) => c.notNull())
    .addColumn('result_code', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('payment_events_payment').on('payment_events').column('tracking_id').execute();

  await db.schema
    .createTable('alipay_messages')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('tracking_id', 'text', (c) => c.notNull())
    .addColumn('api', 'text', (c) => c.notNull())
    .addColumn('request_body', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('alipay_messages_payment')
    .on('alipay_messages')
    .column('tracking_id')
    .execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('tracking_id', 'text', (c) => c.notNull().references('payments.tracking_id'))
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('err_code', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('last_answer', 'text')
    .execute();
  await db.schema.createIndex('notifications_payment').on('notifications').column('tracking_id').execute();
  await db.schema.createIndex('notifications_status').on('notifications').column('status').execute();

  await db.schema
    .createTable('notification_attempts')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('notification_id', 'bigint', (c) => c.notNull().references('notifications.id'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('answer', 'text')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('notification_attempts_notification')
    .on('notification_attempts')
    .column('notification_id')
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'bigint')
    .addColumn('locked_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'due_at']).execute();

  await db.schema
    .createTable('payment_errors')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('client_ip', 'text', (c) => c.notNull())
    .addColumn('authenticated', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('payment_errors_service_at')
    .on('payment_errors')
    .columns(['merchant_id', 'service_id', 'at'])
    .execute();
}
