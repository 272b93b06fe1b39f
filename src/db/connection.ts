import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import pg from 'pg';
import { cachingStatements } from './statement-cache';

export type DialectName = 'sqlite' | 'postgres';

export interface Connection<DB> {
  db: Kysely<DB>;
  dialect: DialectName;
  close(): Promise<void>;
}

// BIGINT (epoch milliseconds, counts) as JavaScript numbers; they stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * Opens `sqlite:<file>` / `sqlite::memory:` or `postgres://…`. SQLite runs in WAL mode with
 * `synchronous=FULL`: once we have answered Alipay+ or a merchant, the record must survive a power
 * cut (ARCHITECTURE.md); the sandbox, a test double, asks for `NORMAL`. `searchPath` gives tests
 * their own PostgreSQL schema.
 *
 * Several processes may share one SQLite file (`kessai serve --processes`, `kessai worker`): a
 * process that finds the database locked waits for it (busy timeout) instead of failing, and every
 * transaction takes the write lock when it begins (`BEGIN IMMEDIATE`, see below).
 */
export function openDatabase<DB>(
  url: string,
  options: { searchPath?: string; synchronous?: 'FULL' | 'NORMAL' } = {},
): Connection<DB> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    const db = new Kysely<DB>({
      dialect: new ImmediateSqliteDialect({ database: cachingStatements(sqlite) }),
    });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // A database that does not answer fails the request instead of holding it for ever.
      connectionTimeoutMillis: 5_000,
      ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
    });
    // A connection the server closes (a restart, a fail-over, a network cut) emits 'error': on an
    // idle one through the pool, on one in use through the client itself. Without a listener the
    // event would end the process. The statement in flight fails on its own, and the pool drops
    // the broken connection and opens a new one on demand.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  throw new Error(`unsupported database URL (expected sqlite:… or postgres://…): ${redactUrl(url)}`);
}

/**
 * How long a statement waits for another process's write lock before it fails with SQLITE_BUSY.
 * Transactions hold the lock for a few milliseconds; this covers a long queue of them.
 */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Kysely's SQLite driver begins transactions with a plain `begin` (deferred): the transaction
 * reads on a snapshot and asks for the write lock at its first write. If another process committed
 * in between, the snapshot is stale and SQLite fails that write at once with SQLITE_BUSY, without
 * waiting in the busy handler (it cannot help: the transaction already read old data).
 * `BEGIN IMMEDIATE` takes the write lock first, waiting for it under the busy timeout, so the
 * transaction reads and writes the latest data. In one process nothing changes: Kysely runs one
 * statement or transaction at a time on its single connection.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** A database URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** Whether a statement failed on a unique constraint, on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    (error instanceof Error && /UNIQUE constraint failed/.test(error.message))
  );
}

/** Whether PostgreSQL rolled a transaction back to break a deadlock or a serialization conflict. */
export function isLockConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}
