import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database';
import { unsynced } from '../../src/db/unsynced';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';

/**
 * The job worker's bookkeeping commits without waiting for the disk on SQLite (src/db/unsynced.ts),
 * and nothing else does: not a transaction that runs meanwhile, nor one after it, nor one after a
 * bookkeeping transaction that failed. On PostgreSQL it commits as usual.
 */
async function syncSetting(db: Db, dialect: string): Promise<string> {
  if (dialect === 'sqlite') {
    const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db);
    return ['OFF', 'NORMAL', 'FULL', 'EXTRA'][rows[0]?.synchronous ?? -1] ?? 'unknown';
  }
  const { rows } = await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(db);
  return rows[0]?.synchronous_commit ?? 'unknown';
}

// PostgreSQL's bookkeeping commits synced: its server may lose an unsynced commit while workers live on.
const UNSYNCED = { sqlite: 'NORMAL', postgres: 'on' } as const;
const SYNCED = { sqlite: 'FULL', postgres: 'on' } as const;

for (const dialect of DIALECTS) {
  describe(`unsynced transactions (${dialect})`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
    });
    afterAll(async () => {
      await database?.close();
    });

    it('commits its writes unsynced while a transaction begun meanwhile commits synced', async () => {
      const { db } = database;
      const seen: string[] = [];
      const bookkeeping = unsynced(db, dialect, { transaction: true }, async (tx) => {
        seen.push(`bookkeeping ${await syncSetting(tx, dialect)}`);
        await tx.insertInto('system_flags').values({ name: 'unsynced', value: '1' }).execute();
        // Lets the other transaction start while this one holds the connection (SQLite).
        await new Promise((resolve) => setTimeout(resolve, 50));
      });
      const other = db.transaction().execute(async (tx) => {
        seen.push(`other ${await syncSetting(tx, dialect)}`);
        await tx.insertInto('system_flags').values({ name: 'synced', value: '1' }).execute();
      });
      await Promise.all([bookkeeping, other]);
      expect(seen.sort()).toEqual([`bookkeeping ${UNSYNCED[dialect]}`, `other ${SYNCED[dialect]}`]);
      expect(await syncSetting(db, dialect)).toBe(SYNCED[dialect]);
      const names = await db.selectFrom('system_flags').select('name').orderBy('name').execute();
      expect(names.map((r) => r.name)).toEqual(['synced', 'unsynced']);
    });

    it('runs statements that commit one by one, unsynced, when no transaction is asked for', async () => {
      const { db } = database;
      const setting = await unsynced(db, dialect, { transaction: false }, async (connection) => {
        await connection.insertInto('system_flags').values({ name: 'one by one', value: '1' }).execute();
        return syncSetting(connection, dialect);
      });
      expect(setting).toBe(UNSYNCED[dialect]);
      expect(await syncSetting(db, dialect)).toBe(SYNCED[dialect]);
      const rows = await db
        .selectFrom('system_flags')
        .select('value')
        .where('name', '=', 'one by one')
        .execute();
      expect(rows).toEqual([{ value: '1' }]);
    });

    it('rolls back a failed one and leaves later commits synced', async () => {
      const { db } = database;
      await expect(
        unsynced(db, dialect, { transaction: true }, async (tx) => {
          await tx.insertInto('system_flags').values({ name: 'rolled back', value: '1' }).execute();
          throw new Error('handler failed');
        }),
      ).rejects.toThrow('handler failed');
      expect(await syncSetting(db, dialect)).toBe(SYNCED[dialect]);
      const after = await db.transaction().execute((tx) => syncSetting(tx, dialect));
      expect(after).toBe(SYNCED[dialect]);
      const row = await db.selectFrom('system_flags').selectAll().where('name', '=', 'rolled back').execute();
      expect(row).toEqual([]);
    });
  });
}
