import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQueries, compiledQuery } from '../../src/db/compiled-queries';
import type { Db } from '../../src/db/database';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';

/**
 * A compiled query is built once per dialect and run with each call's own arguments: one
 * definition serves SQLite and PostgreSQL in the same process (their SQL differs: `?` and `$1`),
 * on a connection and inside a transaction, and values fixed in the query stay fixed.
 */
const flagsNamed = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('system_flags')
    .select(['name', 'value'])
    .where((eb) => eb.or([eb('name', '=', arg(0)), eb('name', '=', arg(1))]))
    .where('value', '!=', 'hidden')
    .orderBy('name'),
);
const setFlag = compiledQuery((db: Db, arg) =>
  db
    .insertInto('system_flags')
    .values({ name: arg(0), value: arg(1) })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: arg(1) })),
);
const queries = new CompiledQueries();

describe('compiled queries', () => {
  const databases: TestDatabase[] = [];
  beforeAll(async () => {
    for (const dialect of DIALECTS) databases.push(await createTestDatabase(dialect));
  });
  afterAll(async () => {
    for (const database of databases) await database.close();
  });

  it('runs one definition on both dialects, each call with its own arguments', async () => {
    for (const { db } of databases) {
      await setFlag(db, 'alpha', '1');
      await setFlag(db, 'beta', 'hidden');
      await db.transaction().execute((tx) => setFlag(tx, 'gamma', '3'));
      await setFlag(db, 'alpha', '2');
    }
    for (const { db } of databases) {
      expect((await flagsNamed(db, 'alpha', 'gamma')).rows).toEqual([
        { name: 'alpha', value: '2' },
        { name: 'gamma', value: '3' },
      ]);
      // 'beta' matches by name, but the fixed condition on its value stays in the query.
      expect((await flagsNamed(db, 'beta', 'none')).rows).toEqual([]);
      const inTransaction = await db.transaction().execute((tx) => flagsNamed(tx, 'gamma', 'gamma'));
      expect(inTransaction.rows).toEqual([{ name: 'gamma', value: '3' }]);
    }
  });

  it('keeps a query of each shape under its own key', async () => {
    const named = (db: Db, names: string[]) =>
      queries.run(
        db,
        `flags ${names.length}`,
        (arg) =>
          db
            .selectFrom('system_flags')
            .select('name')
            .where(
              'name',
              'in',
              names.map((_, i) => arg(i)),
            )
            .orderBy('name'),
        names,
      );
    for (const { db } of databases) {
      expect((await named(db, ['alpha'])).rows).toEqual([{ name: 'alpha' }]);
      expect((await named(db, ['gamma', 'alpha'])).rows).toEqual([{ name: 'alpha' }, { name: 'gamma' }]);
      expect((await named(db, ['beta'])).rows).toEqual([{ name: 'beta' }]);
    }
  });
});
