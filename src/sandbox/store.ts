import { type Compilable, type Kysely, Migrator, type Selectable, sql } from 'kysely';
import { type Arg, CompiledQueries, columnsOf } from '../db/compiled-queries';
import { type DialectName, openDatabase } from '../db/connection';
import { migrateMigrator } from '../db/migrator-retry';
import { ReadCache } from './read-cache';
import {
  type ApiCallTable,
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  type NotificationAttemptTable,
  type NotificationStatus,
  type NotificationTable,
  type OrderStatus,
  type OrderTable,
  type RefundTable,
  type RegistrationPspTable,
  type RegistrationTable,
  type ReviewStatus,
  type SandboxDatabase,
  sandboxMigrations,
} from './store-schema';

export type Order = Selectable<OrderTable>;
export type Refund = Selectable<RefundTable>;
export type Notification = Selectable<NotificationTable>;
export type NotificationAttempt = Selectable<NotificationAttemptTable>;
export type ApiCall = Selectable<ApiCallTable>;
export type Registration = Selectable<RegistrationTable>;
export type RegistrationPsp = Selectable<RegistrationPspTable>;
export type NewApiCall = Omit<ApiCall, 'id'>;

/** The console keeps this many API calls; older ones are pruned so long benchmarks stay bounded. */
const API_CALLS_KEPT = 5_000;
const PRUNE_EVERY = 500;

/** What a store shares with its transactions' stores. */
interface Shared {
  /**
   * The wallets each merchant may use (`allowedWalletsOf`): read on every payment, changed only by
   * the wallet shortcut and reviews.
   */
  wallets: ReadCache<readonly string[]>;
  /** The statements of the payment path, compiled once. */
  queries: CompiledQueries;
}

/**
 * The sandbox's repository. State changes are conditional updates on the current status
 * (`WHERE status = ?`), so a racing second writer finds nothing to change instead of overwriting.
 */
export class SandboxStore {
  private callsSincePrune = 0;
  /** In a transaction's store: it changed which wallets a merchant may use, not yet committed. */
  private changedWallets = false;

  private constructor(
    readonly db: Kysely<SandboxDatabase>,
    readonly dialect: DialectName,
    private readonly closeConnection: () => Promise<void>,
    private readonly shared: Shared,
    /** In a transaction's store: what runs once it has committed. */
    private readonly onCommit: Array<() => void> | null = null,
  ) {}

  /**
   * Runs one step (an API call, the shopper's payment, a notification attempt) in a single
   * transaction, so that its writes commit once: `work` makes its calls on the store it is given.
   * On SQLite the transaction holds the only connection: `work` must not wait for this store or
   * for anything but the database.
   */
  async transaction<T>(work: (store: SandboxStore) => Promise<T>): Promise<T> {
    const onCommit: Array<() => void> = [];
    const result = await this.db
      .transaction()
      .execute((trx) =>
        work(new SandboxStore(trx, this.dialect, this.closeConnection, this.shared, onCommit)),
      );
    for (const then of onCommit) then();
    return result;
  }

  /** Runs `then` once what was written through this store is committed (at once outside a transaction). */
  afterCommit(then: () => void): void {
    if (this.onCommit) this.onCommit.push(then);
    else then();
  }

  static async open(url: string): Promise<SandboxStore> {
    // A test double: a commit need not survive a power cut, so SQLite syncs at checkpoints only.
    const conn = openDatabase<SandboxDatabase>(url, { synchronous: 'NORMAL' });
    const migrator = new Migrator({
      db: conn.db as Kysely<unknown>,
      provider: sandboxMigrations(conn.dialect),
      migrationTableName: MIGRATION_TABLE,
      migrationLockTableName: MIGRATION_LOCK_TABLE,
    });
    const { error } = await migrateMigrator(migrator);
    if (error) {
      await conn.close();
      throw error instanceof Error ? error : new Error(String(error));
    }
    return new SandboxStore(conn.db, conn.dialect, conn.close, {
      wallets: new ReadCache(),
      queries: new CompiledQueries(),
    });
  }

  close(): Promise<void> {
    return this.closeConnection();
  }

  /** `shared.queries.run` on this store's connection (or transaction). */
  private run<O>(key: string, build: (arg: Arg) => Compilable<O>, args: readonly unknown[]) {
    return this.shared.queries.run(this.db, key, build, args);
  }

  // Clients and merchants

  async putClient(clientId: string, publicKey: string, now: number): Promise<void> {
    await this.db
      .insertInto('sandbox_clients')
      .values({ client_id: clientId, public_key: publicKey, updated_at: now })
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ public_key: publicKey, updated_at: now }))
      .execute();
  }

  async clientKey(clientId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('sandbox_clients')
      .select('public_key')
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row?.public_key ?? null;
  }

  async putMerchantWallets(merchantId: string, wallets: readonly string[], now: number): Promise<void> {
    const text = JSON.stringify(wallets);
    await this.db
      .insertInto('sandbox_merchant_wallets')
      .values({ reference_merchant_id: merchantId, wallets: text, updated_at: now })
      .onConflict((oc) => oc.column('reference_merchant_id').doUpdateSet({ wallets: text, updated_at: now }))
      .execute();
    this.walletsChanged();
  }

  /**
   * The wallets a merchant may use: those set by the test shortcut, else those that approved it at
   * review (`approvedWalletsOf`). Cached until one of them changes.
   */
  async allowedWalletsOf(merchantId: string): Promise<readonly string[]> {
    const read = async () =>
      (await this.merchantWallets(merchantId)) ?? (await this.approvedWalletsOf(merchantId));
    // A transaction that changed them reads its own uncommitted rows: never from or into the cache.
    return this.changedWallets ? read() : this.shared.wallets.get(merchantId, read);
  }

  /** After a write that may change `allowedWalletsOf`: the cache is dropped once it is committed. */
  private walletsChanged(): void {
    if (this.onCommit) this.changedWallets = true;
    this.afterCommit(() => this.shared.wallets.invalidate());
  }

  /** The wallets set for a merchant, or `null` when none were set (then all ten apply). */
  async merchantWallets(merchantId: string): Promise<string[] | null> {
    const row = await this.db
      .selectFrom('sandbox_merchant_wallets')
      .select('wallets')
      .where('reference_merchant_id', '=', merchantId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.wallets) as string[]) : null;
  }

  // Merchant registrations (governance.md §1)

  async insertRegistration(registration: Registration, psps: readonly string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('sandbox_registrations').values(registration).execute();
      for (const psp of psps) {
        await trx
          .insertInto('sandbox_registration_psps')
          .values({
            registration_request_id: registration.registration_request_id,
            psp_name: psp,
            status: 'PENDING',
            reject_reason: null,
            decided_at: null,
          })
          .execute();
      }
    });
    this.walletsChanged();
  }

  async registration(registrationRequestId: string): Promise<Registration | null> {
    const row = await this.db
      .selectFrom('sandbox_registrations')
      .selectAll()
      .where('registration_request_id', '=', registrationRequestId)
      .executeTakeFirst();
    return row ?? null;
  }

  async latestRegistrationOf(merchantId: string, clientId: string): Promise<Registration | null> {
    const row = await this.db
      .selectFrom('sandbox_registrations')
      .selectAll()
      .where('reference_merchant_id', '=', merchantId)
      .where('client_id', '=', clientId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  async registrationPsps(registrationRequestId: string): Promise<RegistrationPsp[]> {
    return this.db
      .selectFrom('sandbox_registration_psps')
      .selectAll()
      .where('registration_request_id', '=', registrationRequestId)
      .orderBy('psp_name')
      .execute();
  }

  /** Decides a wallet's review while it is still pending; false when it was already decided. */
  async decidePsp(
    registrationRequestId: string,
    psp: string,
    status: Exclude<ReviewStatus, 'PENDING'>,
    reason: string | null,
    now: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('sandbox_registration_psps')
      .set({ status, reject_reason: reason, decided_at: now })
      .where('registration_request_id', '=', registrationRequestId)
      .where('psp_name', '=', psp)
      .where('status', '=', 'PENDING')
      .executeTakeFirst();
    const changed = Number(result.numUpdatedRows) > 0;
    if (changed) this.walletsChanged();
    return changed;
  }

  async finishAutomaticReview(registrationRequestId: string): Promise<void> {
    await this.db
      .updateTable('sandbox_registrations')
      .set({ review_due_at: null })
      .where('registration_request_id', '=', registrationRequestId)
      .execute();
  }

  async registrationsAwaitingReview(): Promise<Registration[]> {
    return this.db
      .selectFrom('sandbox_registrations')
      .selectAll()
      .where('review_due_at', 'is not', null)
      .execute();
  }

  async recentRegistrations(limit: number): Promise<Array<Registration & { psps: RegistrationPsp[] }>> {
    const rows = await this.db
      .selectFrom('sandbox_registrations')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return Promise.all(
      rows.map(async (r) => ({ ...r, psps: await this.registrationPsps(r.registration_request_id) })),
    );
  }

  /**
   * Each wallet's latest review for a merchant: a later registration that names a wallet decides
   * it, so a wallet rejected once and approved on re-application is approved.
   */
  async approvedWalletsOf(merchantId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('sandbox_registration_psps as p')
      .innerJoin('sandbox_registrations as r', 'r.registration_request_id', 'p.registration_request_id')
      .select(['p.psp_name', 'p.status'])
      .where('r.reference_merchant_id', '=', merchantId)
      .orderBy('r.created_at')
      .execute();
    const latest = new Map<string, ReviewStatus>();
    for (const row of rows) latest.set(row.psp_name, row.status);
    return [...latest].filter(([, status]) => status === 'APPROVED').map(([psp]) => psp);
  }

  /** Stops a registration's undelivered notifications: a newer one carries the whole state. */
  async stopRegistrationNotifications(registrationRequestId: string, now: number): Promise<number[]> {
    const rows = await this.db
      .updateTable('sandbox_notifications')
      .set({
        status: 'STOPPED',
        note: 'superseded by a newer notification',
        next_attempt_at: null,
        finished_at: now,
      })
      .where('registration_request_id', '=', registrationRequestId)
      .where('status', '=', 'PENDING')
      .returning('id')
      .execute();
    return rows.map((r) => Number(r.id));
  }

  // Idempotency helpers

  async refusal(api: string, requestId: string) {
    const { rows } = await this.run(
      'refusal',
      (arg) =>
        this.db
          .selectFrom('sandbox_refusals')
          .selectAll()
          .where('api', '=', arg(0))
          .where('request_id', '=', arg(1)),
      [api, requestId],
    );
    return rows[0];
  }

  async recordRefusal(
    api: string,
    requestId: string,
    fingerprint: string,
    resultCode: string,
    resultMessage: string,
    now: number,
  ): Promise<void> {
    await this.db
      .insertInto('sandbox_refusals')
      .values({
        api,
        request_id: requestId,
        fingerprint,
        result_code: resultCode,
        result_message: resultMessage,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['api', 'request_id']).doNothing())
      .execute();
  }

  /** Counts the calls made with one request id (for the magic amounts that misbehave once). */
  async countRequest(api: string, requestId: string): Promise<number> {
    const row = await this.db
      .insertInto('sandbox_request_counts')
      .values({ api, request_id: requestId, count: 1 })
      .onConflict((oc) =>
        oc.columns(['api', 'request_id']).doUpdateSet({ count: sql`sandbox_request_counts.count + 1` }),
      )
      .returning('count')
      .executeTakeFirstOrThrow();
    return row.count;
  }

  // Orders

  async insertOrder(order: Order): Promise<void> {
    const columns = columnsOf(order);
    await this.run(
      `insertOrder ${columns.names}`,
      (arg) => this.db.insertInto('sandbox_orders').values(columns.placeholders(arg)),
      columns.values,
    );
  }

  async orderById(paymentId: string): Promise<Order | null> {
    const { rows } = await this.run(
      'orderById',
      (arg) => this.db.selectFrom('sandbox_orders').selectAll().where('payment_id', '=', arg(0)),
      [paymentId],
    );
    return rows[0] ?? null;
  }

  async orderByRequestId(paymentRequestId: string): Promise<Order | null> {
    const { rows } = await this.run(
      'orderByRequestId',
      (arg) => this.db.selectFrom('sandbox_orders').selectAll().where('payment_request_id', '=', arg(0)),
      [paymentRequestId],
    );
    return rows[0] ?? null;
  }

  /** Applies `changes` only if the order is still in `from`; true when it was. */
  async updateOrder(
    paymentId: string,
    from: readonly OrderStatus[],
    changes: Partial<Order>,
  ): Promise<boolean> {
    const columns = columnsOf(changes);
    const n = columns.values.length;
    const result = await this.run(
      `updateOrder ${columns.names} from ${from.length}`,
      (arg) =>
        this.db
          .updateTable('sandbox_orders')
          .set(columns.placeholders(arg))
          .where('payment_id', '=', arg(n))
          .where(
            'status',
            'in',
            from.map((_, i) => arg(n + 1 + i)),
          ),
      [...columns.values, paymentId, ...from],
    );
    return Number(result.numAffectedRows) === 1;
  }

  /** Closes every unpaid order whose expiry time has passed (sandbox.md: the 10-minute close). */
  async closeExpired(now: number): Promise<void> {
    await this.db
      .updateTable('sandbox_orders')
      .set({ status: 'CLOSED', close_reason: 'EXPIRED', closed_at: sql`expires_at`, updated_at: now })
      .where('status', '=', 'PROCESSING')
      .where('expires_at', '<=', now)
      .execute();
  }

  async recentOrders(limit: number): Promise<Order[]> {
    return this.db
      .selectFrom('sandbox_orders')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
  }

  // Refunds

  async refundByRequestId(refundRequestId: string): Promise<Refund | null> {
    const row = await this.db
      .selectFrom('sandbox_refunds')
      .selectAll()
      .where('refund_request_id', '=', refundRequestId)
      .executeTakeFirst();
    return row ?? null;
  }

  // Clearing (the reports Alipay+ delivers)

  /** Paid, unreversed orders whose payment time lies in [from, to): one clearing day's payments. */
  async paidOrdersBetween(from: number, to: number): Promise<Order[]> {
    return this.db
      .selectFrom('sandbox_orders')
      .selectAll()
      .where('status', '=', 'SUCCESS')
      .where('reversed', '=', 0)
      .where('paid_at', '>=', from)
      .where('paid_at', '<', to)
      .orderBy('paid_at')
      .orderBy('payment_id')
      .execute();
  }

  /** Successful refunds finished in [from, to), with their order's payment request id. */
  async succeededRefundsBetween(from: number, to: number): Promise<Refund[]> {
    return this.db
      .selectFrom('sandbox_refunds')
      .selectAll()
      .where('status', '=', 'SUCCESS')
      .where('finished_at', '>=', from)
      .where('finished_at', '<', to)
      .orderBy('finished_at')
      .orderBy('refund_id')
      .execute();
  }

  /** The first payment time of any paid order: clearing starts that day. */
  async firstPaidAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('sandbox_orders')
      .select((eb) => eb.fn.min('paid_at').as('first'))
      .where('status', '=', 'SUCCESS')
      .executeTakeFirst();
    return row?.first == null ? null : Number(row.first);
  }

  async refundsOf(paymentId: string): Promise<Refund[]> {
    const { rows } = await this.run(
      'refundsOf',
      (arg) =>
        this.db
          .selectFrom('sandbox_refunds')
          .selectAll()
          .where('payment_id', '=', arg(0))
          .orderBy('created_at')
          .orderBy('refund_id'),
      [paymentId],
    );
    return rows;
  }

  async insertRefund(refund: Refund): Promise<void> {
    await this.db.insertInto('sandbox_refunds').values(refund).execute();
  }

  async finishRefund(refundId: string, changes: Partial<Refund>): Promise<void> {
    await this.db
      .updateTable('sandbox_refunds')
      .set(changes)
      .where('refund_id', '=', refundId)
      .where('status', '=', 'PROCESSING')
      .execute();
  }

  // Notifications

  async insertNotification(row: Omit<Notification, 'id'>): Promise<number> {
    const columns = columnsOf(row);
    const { rows } = await this.run(
      `insertNotification ${columns.names}`,
      (arg) => this.db.insertInto('sandbox_notifications').values(columns.placeholders(arg)).returning('id'),
      columns.values,
    );
    const inserted = rows[0];
    if (!inserted) throw new Error('the notification was not inserted');
    return Number(inserted.id);
  }

  async notification(id: number): Promise<Notification | null> {
    const { rows } = await this.run(
      'notification',
      (arg) => this.db.selectFrom('sandbox_notifications').selectAll().where('id', '=', arg(0)),
      [id],
    );
    return rows[0] ?? null;
  }

  async notificationsOf(paymentId: string): Promise<Notification[]> {
    return this.db
      .selectFrom('sandbox_notifications')
      .selectAll()
      .where('payment_id', '=', paymentId)
      .orderBy('id')
      .execute();
  }

  async pendingNotifications(): Promise<Notification[]> {
    return this.db.selectFrom('sandbox_notifications').selectAll().where('status', '=', 'PENDING').execute();
  }

  async updateNotification(id: number, changes: Partial<Omit<Notification, 'id'>>): Promise<void> {
    await this.db.updateTable('sandbox_notifications').set(changes).where('id', '=', id).execute();
  }

  /** Applies `changes` only while the notification is pending; true when it was. */
  async updatePendingNotification(id: number, changes: Partial<Omit<Notification, 'id'>>): Promise<boolean> {
    const columns = columnsOf(changes);
    const result = await this.run(
      `updatePendingNotification ${columns.names}`,
      (arg) =>
        this.db
          .updateTable('sandbox_notifications')
          .set(columns.placeholders(arg))
          .where('id', '=', arg(columns.values.length))
          .where('status', '=', 'PENDING' satisfies NotificationStatus),
      [...columns.values, id],
    );
    return Number(result.numAffectedRows) === 1;
  }

  /** Stops the pending notifications of an order (cancel wins over a success not yet delivered). */
  async stopNotifications(paymentId: string, note: string, now: number): Promise<number[]> {
    const rows = await this.db
      .updateTable('sandbox_notifications')
      .set({ status: 'STOPPED' satisfies NotificationStatus, note, next_attempt_at: null, finished_at: now })
      .where('payment_id', '=', paymentId)
      .where('status', 'in', ['PENDING', 'WITHHELD'])
      .returning('id')
      .execute();
    return rows.map((r) => Number(r.id));
  }

  async insertAttempt(row: Omit<NotificationAttempt, 'id'>): Promise<void> {
    const columns = columnsOf(row);
    await this.run(
      `insertAttempt ${columns.names}`,
      (arg) => this.db.insertInto('sandbox_notification_attempts').values(columns.placeholders(arg)),
      columns.values,
    );
  }

  async attemptsOf(notificationIds: readonly number[]): Promise<NotificationAttempt[]> {
    if (notificationIds.length === 0) return [];
    return this.db
      .selectFrom('sandbox_notification_attempts')
      .selectAll()
      .where('notification_id', 'in', notificationIds)
      .orderBy('id')
      .execute();
  }

  async recentNotifications(limit: number): Promise<Notification[]> {
    return this.db
      .selectFrom('sandbox_notifications')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  // API call log

  async recordApiCall(call: NewApiCall): Promise<void> {
    const columns = columnsOf(call);
    await this.run(
      `recordApiCall ${columns.names}`,
      (arg) => this.db.insertInto('sandbox_api_calls').values(columns.placeholders(arg)),
      columns.values,
    );
    this.callsSincePrune += 1;
    if (this.callsSincePrune >= PRUNE_EVERY) {
      this.callsSincePrune = 0;
      const cutoff = await this.db
        .selectFrom('sandbox_api_calls')
        .select('id')
        .orderBy('id', 'desc')
        .offset(API_CALLS_KEPT)
        .limit(1)
        .executeTakeFirst();
      if (cutoff) await this.db.deleteFrom('sandbox_api_calls').where('id', '<=', cutoff.id).execute();
    }
  }

  async recentApiCalls(limit: number): Promise<ApiCall[]> {
    return this.db.selectFrom('sandbox_api_calls').selectAll().orderBy('id', 'desc').limit(limit).execute();
  }
}
