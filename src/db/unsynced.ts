import { type Kysely, sql } from 'kysely';
import type { DialectName } from './connection';
import type { Database, Db } from './database';

/**
 * Runs `work` on a connection whose commits are not waited for to reach the disk. Only for
 * bookkeeping whose loss in a power cut repeats work that is safe to repeat: the job worker's
 * claims and the records of a job's end (src/jobs/job-worker.ts). Losing one means the job runs
 * again, which a worker that dies mid-job causes anyway, and every handler allows. Anything that
 * answers Alipay+, a merchant or a shopper commits with a full sync, as ARCHITECTURE.md requires.
 * With `transaction`, `work` runs in one; without, each of its statements commits on its own (a
 * claim's single UPDATE holds no write lock between statements).
 *
 * - SQLite (WAL): the connection runs at `synchronous=NORMAL` for `work` only, held for it alone,
 *   so no other statement of this process commits meanwhile. Its frames are written to the WAL
 *   without an fsync, and the next `FULL` commit's fsync makes them durable with it: a power cut
 *   loses at most this unsynced tail, never a synced commit after it.
 * - PostgreSQL: a transaction at `synchronous_commit = off`, which gives the same promise.
 */
export async function unsynced<T>(
  db: Kysely<Database>,
  dialect: DialectName,
  options: { transaction: boolean },
  work: (db: Db) => Promise<T>,
): Promise<T> {
  if (dialect === 'postgres') {
    return db.transaction().execute(async (tx) => {
      await sql`SET LOCAL synchronous_commit = off`.execute(tx);
      return work(tx);
    });
  }
  return db.connection().execute(async (connection) => {
    await sql`PRAGMA synchronous = NORMAL`.execute(connection);
    try {
      return await (options.transaction ? connection.transaction().execute(work) : work(connection));
    } finally {
      // The gateway's setting (connection.ts): every other commit waits for its fsync.
      await sql`PRAGMA synchronous = FULL`.execute(connection);
    }
  });
}
