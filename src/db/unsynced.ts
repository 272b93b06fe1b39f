import { type Kysely, sql } from 'kysely';
import type { DialectName } from './connection';
import type { Database, Db } from './database';

/**
 * Runs `work` on a connection whose commits are not waited for to reach the disk, on SQLite. Only
 * for bookkeeping whose loss repeats work that is safe to repeat: the job worker's claims and the
 * records of a job's end (src/jobs/job-worker.ts). Such a commit is lost only in a power cut or an
 * OS crash, which stops every worker of the database's host with it; a lost claim or end then only
 * makes the job run again, as a worker that dies mid-job does. Anything that tells Alipay+, a
 * merchant or a shopper about money commits with a full sync, as ARCHITECTURE.md requires.
 * With `transaction`, `work` runs in one; without, each of its statements commits on its own (a
 * claim's single UPDATE holds no write lock between statements).
 *
 * SQLite (WAL) runs at `synchronous=NORMAL` for `work` only, on its connection held for it alone,
 * so no other statement of this process commits meanwhile. The frames are written to the WAL
 * without an fsync, and the next `FULL` commit's fsync makes them durable with it: a power cut
 * loses at most this unsynced tail, never a synced commit after it. If `FULL` cannot be set back
 * (a connection broken mid-transaction), the error is thrown, and a claim's jobs wait for their
 * lease to run out.
 *
 * PostgreSQL commits as usual: its server can lose an unsynced commit in a crash of its own while
 * the workers live on, and a lost claim would let a second worker run the job while the first
 * still does.
 */
export async function unsynced<T>(
  db: Kysely<Database>,
  dialect: DialectName,
  options: { transaction: boolean },
  work: (db: Db) => Promise<T>,
): Promise<T> {
  if (dialect === 'postgres') return options.transaction ? db.transaction().execute(work) : work(db);
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
