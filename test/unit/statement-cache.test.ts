import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachingStatements } from '../../src/db/statement-cache';

describe('SQLite statement cache', () => {
  let sqlite: SQLite.Database;
  beforeEach(() => {
    sqlite = new SQLite(':memory:');
  });
  afterEach(() => {
    if (sqlite.open) sqlite.close();
  });

  it('answers the same SQL with the same prepared statement', () => {
    const cache = cachingStatements(sqlite);
    const first = cache.prepare('SELECT ? AS v');
    expect(cache.prepare('SELECT ? AS v')).toBe(first);
    expect(cache.prepare('SELECT ? AS w')).not.toBe(first);
    // Reused with new parameters each time.
    expect(first.all([1])).toEqual([{ v: 1 }]);
    expect(cache.prepare('SELECT ? AS v').all([2])).toEqual([{ v: 2 }]);
  });

  it('keeps at most its size, dropping the least recently used', () => {
    const cache = cachingStatements(sqlite, 2);
    const a = cache.prepare('SELECT 1');
    const b = cache.prepare('SELECT 2');
    expect(cache.prepare('SELECT 1')).toBe(a); // now 'SELECT 2' is the least recent
    cache.prepare('SELECT 3');
    expect(cache.prepare('SELECT 1')).toBe(a);
    expect(cache.prepare('SELECT 2')).not.toBe(b);
  });

  it('gives a fresh statement while the cached one is still iterating', () => {
    const cache = cachingStatements(sqlite);
    const open = cache.prepare('SELECT 1 AS v UNION ALL SELECT 2').iterate([]);
    expect(open.next().value).toEqual({ v: 1 });
    expect(cache.prepare('SELECT 1 AS v UNION ALL SELECT 2').all([])).toEqual([{ v: 1 }, { v: 2 }]);
    open.return?.();
  });

  it('sees schema changes made after a statement was cached', async () => {
    const db = new Kysely<Record<string, Record<string, unknown>>>({
      dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
    });
    const all = () => sql<Record<string, unknown>>`SELECT * FROM t ORDER BY a`.execute(db);
    await sql`CREATE TABLE t (a INTEGER)`.execute(db);
    await db.insertInto('t').values({ a: 1 }).execute();
    expect((await all()).rows).toEqual([{ a: 1 }]);

    // A migration adds a column: the cached SELECT * returns it.
    await sql`ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x'`.execute(db);
    expect((await all()).rows).toEqual([{ a: 1, b: 'x' }]);

    // SQLite's rebuild of a table (create new, copy, drop, rename): the cached INSERT and SELECT
    // work on the new table.
    await sql`CREATE TABLE t_new (a INTEGER, c INTEGER DEFAULT 7)`.execute(db);
    await sql`INSERT INTO t_new (a) SELECT a FROM t`.execute(db);
    await sql`DROP TABLE t`.execute(db);
    await sql`ALTER TABLE t_new RENAME TO t`.execute(db);
    await db.insertInto('t').values({ a: 2 }).execute();
    expect((await all()).rows).toEqual([
      { a: 1, c: 7 },
      { a: 2, c: 7 },
    ]);

    // A dropped table fails the cached statement as it would fail a new one.
    await sql`DROP TABLE t`.execute(db);
    await expect(all()).rejects.toThrow(/no such table: t/);
    await db.destroy();
  });
});
