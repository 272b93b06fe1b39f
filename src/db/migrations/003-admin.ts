import { type Kysely, sql } from 'kysely';
import { jstDate } from '../../kernel/jst';
import type { ColumnKit } from './columns';

/**
 * The payment management tool (admin.md): console users, sessions, sign-in throttling, the audit
 * log, the dashboard's rollups, and the indexes that keep search and the CSV range-bounded.
 */
export async function up(db: Kysely<unknown>, col: ColumnKit): Promise<void> {
  await db.schema
    .createTable('admin_users')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.references('merchants.merchant_id'))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_sign_in_at', 'bigint')
    .execute();
  await db.schema.createIndex('admin_users_merchant').on('admin_users').column('merchant_id').execute();

  // The session id is the SHA-256 of the cookie's token: reading the table does not give live sessions.
  await db.schema
    .createTable('admin_sessions')
    .addColumn('session_id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('admin_users.user_id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('admin_sessions_user').on('admin_sessions').column('user_id').execute();

  // Failed sign-ins per account and per address (`account:<email>`, `ip:<address>`).
  await db.schema
    .createTable('admin_sign_in_throttle')
    .addColumn('throttle_key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_started_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .execute();

  await db.schema
    .createTable('admin_audit')
    .addColumn('id', col.id, (c) => col.idConstraints(c))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor_user_id', 'text')
    .addColumn('actor_email', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('admin_audit_merchant')
    .on('admin_audit')
    .columns(['merchant_id', 'id'])
    .execute();

  // One row per merchant, service, JST day, sub-brand ('' before one is known) and the status a
  // payment entered (plus REFUND for succeeded refunds): the dashboard never scans payments.
  await db.schema
    .createTable('payment_rollups')
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('sub_brand', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('payment_rollups_pk', [
      'merchant_id',
      'service_id',
      'day',
      'sub_brand',
      'status',
    ])
    .execute();
  await db.schema.createIndex('payment_rollups_day').on('payment_rollups').column('day').execute();

  // Search walks (received_at desc, tracking_id desc) inside a bounded range; these indexes give
  // that order for a merchant, for the operators' all-merchant view, and for a status filter.
  // Order id and customer code have their own, led by the merchant so that SQLite picks them
  // even before it has statistics (it prefers the index with more equality columns).
  for (const [name, columns] of [
    ['payments_merchant_received', ['merchant_id', 'received_at', 'tracking_id']],
    ['payments_received', ['received_at', 'tracking_id']],
    ['payments_merchant_status_received', ['merchant_id', 'status', 'received_at', 'tracking_id']],
    ['payments_merchant_order', ['merchant_id', 'order_id']],
    ['payments_order', ['order_id']],
    ['payments_merchant_customer', ['merchant_id', 'cust_code', 'received_at', 'tracking_id']],
    ['payments_customer', ['cust_code', 'received_at', 'tracking_id']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('payments')
      .columns([...columns])
      .execute();
  }

  await db.schema
    .createIndex('payment_errors_merchant_at')
    .on('payment_errors')
    .columns(['merchant_id', 'at', 'id'])
    .execute();

  await backfillRollups(db);
}

/**
 * Payments recorded before this migration are counted here, once, from their state history and
 * succeeded refunds; from now on each change adds to the rollups in its own transaction.
 */
export async function backfillRollups(db: Kysely<unknown>): Promise<void> {
  const totals = new Map<string, { key: string[]; count: number; amount: number }>();
  const add = (key: string[], amount: number) => {
    const id = key.join('\u0000');
    const total = totals.get(id) ?? { key, count: 0, amount: 0 };
    total.count += 1;
    total.amount += amount;
    totals.set(id, total);
  };
  for (let after = 0; ; ) {
    const { rows } = await sql<{
      id: number;
      at: number;
      to_status: string;
      merchant_id: string;
      service_id: string;
      amount: number;
      wallet: string | null;
    }>`SELECT e.id, e.at, e.to_status, p.merchant_id, p.service_id, p.amount, p.wallet
       FROM payment_events e JOIN payments p ON p.tracking_id = e.tracking_id
       WHERE e.id > ${after}
       ORDER BY e.id LIMIT 10000`.execute(db);
    const last = rows[rows.length - 1];
    if (!last) break;
    for (const r of rows) {
      // Nobody knows the wallet when a payment is sent to Alipay+.
      const brand = r.to_status === 'IN_PROGRESS' ? '' : (r.wallet ?? '');
      add(
        [r.merchant_id, r.service_id, jstDate(new Date(Number(r.at))), brand, r.to_status],
        Number(r.amount),
      );
    }
    after = Number(last.id);
  }
  for (let after = ''; ; ) {
    const { rows } = await sql<{
      refund_id: string;
      amount: number;
      completed_at: number;
      merchant_id: string;
      service_id: string;
      wallet: string | null;
    }>`SELECT r.refund_id, r.amount, r.completed_at, p.merchant_id, p.service_id, p.wallet
       FROM refunds r JOIN payments p ON p.tracking_id = r.tracking_id
       WHERE r.refund_id > ${after} AND r.status = 'SUCCEEDED' AND r.completed_at IS NOT NULL
       ORDER BY r.refund_id LIMIT 10000`.execute(db);
    const last = rows[rows.length - 1];
    if (!last) break;
    for (const r of rows) {
      add(
        [r.merchant_id, r.service_id, jstDate(new Date(Number(r.completed_at))), r.wallet ?? '', 'REFUND'],
        Number(r.amount),
      );
    }
    after = last.refund_id;
  }
  const all = [...totals.values()];
  for (let i = 0; i < all.length; i += 500) {
    const values = all
      .slice(i, i + 500)
      .map(
        ({ key: [m, s, day, brand, status], count, amount }) =>
          sql`(${m}, ${s}, ${day}, ${brand}, ${status}, ${count}, ${amount})`,
      );
    await sql`INSERT INTO payment_rollups (merchant_id, service_id, day, sub_brand, status, count, amount)
              VALUES ${sql.join(values)}`.execute(db);
  }
}
