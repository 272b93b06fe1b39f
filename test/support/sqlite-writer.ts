import { setImmediate as nextTurn } from 'node:timers/promises';
import { openDatabase } from '../../src/db/connection';

/**
 * One process of the shared-SQLite test (test/integration/sqlite-processes.test.ts): `count`
 * transactions that each read the shared counter, give the event loop a turn, and write it back
 * one higher. Exits 1 with the error when a transaction fails.
 */
const [url, count] = process.argv.slice(2);
const { db, close } = openDatabase<{ counter: { id: number; value: number } }>(url!);
try {
  for (let i = 0; i < Number(count); i++) {
    await db.transaction().execute(async (tx) => {
      const { value } = await tx
        .selectFrom('counter')
        .select('value')
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      await nextTurn();
      const updated = await tx
        .updateTable('counter')
        .set({ value: value + 1 })
        .where('id', '=', 1)
        .where('value', '=', value)
        .executeTakeFirst();
      if (updated.numUpdatedRows !== 1n) throw new Error(`lost update: the counter moved from ${value}`);
    });
  }
} catch (error) {
  process.stderr.write(`${(error as { code?: string }).code ?? ''} ${String(error)}\n`);
  process.exitCode = 1;
} finally {
  await close();
}
