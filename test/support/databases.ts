import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Connection, type DialectName, openDatabase } from '../../src/db/connection';
import type { Database } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';

/**
 * Every test of data behaviour runs on both databases (configuration.md, Tests). Each call gets a
 * private store — a fresh SQLite file, or a fresh PostgreSQL schema — so test files run in parallel.
 */
export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export const TEST_POSTGRES_URL =
  process.env.KESSAI_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase extends Connection<Database> {
  /** A URL that opens this same store (for processes the test starts). */
  url: string;
  searchPath?: string;
}

let sqliteTemplate: Promise<string> | undefined;

/**
 * A SQLite file migrated once per test process: each test database starts as a copy of it, which
 * costs a file copy instead of running every migration again.
 */
function migratedSqliteTemplate(): Promise<string> {
  sqliteTemplate ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kessai-template-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'template.sqlite');
    const conn = openDatabase<Database>(`sqlite:${file}`);
    await migrateToLatest(conn.db, 'sqlite');
    // Closing the only connection checkpoints the WAL: the file alone holds the schema.
    await conn.close();
    return file;
  })();
  return sqliteTemplate;
}

/** The `DATABASE_URL` under which a process of its own opens this same store (and schema). */
export function processDatabaseUrl(database: TestDatabase): string {
  return database.searchPath
    ? `${database.url}?options=${encodeURIComponent(`-c search_path=${database.searchPath}`)}`
    : database.url;
}

export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kessai-test-'));
    const file = join(dir, 'kessai.sqlite');
    copyFileSync(await migratedSqliteTemplate(), file);
    const url = `sqlite:${file}`;
    const conn = openDatabase<Database>(url);
    return {
      ...conn,
      url,
      async close() {
        await conn.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const conn = openDatabase<Database>(TEST_POSTGRES_URL, { searchPath: schema });
  await migrateToLatest(conn.db, 'postgres', schema);
  return {
    ...conn,
    url: TEST_POSTGRES_URL,
    searchPath: schema,
    async close() {
      await conn.close();
      const cleanup = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await cleanup.connect();
      await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
      await cleanup.end();
    },
  };
}
