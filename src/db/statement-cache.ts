import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Distinct statement texts kept prepared; the gateway's queries number far fewer. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * The SQLite database as Kysely's driver sees it, with `prepare` answered from a cache of prepared
 * statements keyed by their SQL text. Kysely's driver prepares every query again on each call,
 * which costs SQLite's parser and planner each time; a better-sqlite3 statement is reset after
 * each `run`/`all`/`iterate` and can run again with new parameters. After a schema change SQLite
 * prepares a cached statement again on its next run (sqlite3_prepare_v3), so one stays valid.
 * The least recently used statement leaves the cache when it is full.
 */
export function cachingStatements(sqlite: SQLite.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = statements.get(sql);
      // A statement still iterating (a stream left open) cannot run twice at once: use a fresh one.
      if (cached?.busy) return sqlite.prepare(sql);
      if (cached) {
        // Map keeps insertion order: moving the hit to the end makes the first key the least recent.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > size) statements.delete(statements.keys().next().value as string);
      return statement;
    },
  };
}
