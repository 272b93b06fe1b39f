import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import SQLite from 'better-sqlite3';

/**
 * `kessai backup <file>`: an online copy of the SQLite database with SQLite's backup API, while
 * the gateway and the worker keep writing (operations.md, Backups). PostgreSQL has its own tool.
 */
export interface BackupResult {
  file: string;
  pages: number;
}

/**
 * Copies `databaseUrl` into `target`, which must not exist yet. The copy is one consistent
 * snapshot: after a first empty step, the rest is copied in a single step under one read
 * transaction, which in WAL mode never blocks the writers — so a busy gateway cannot make the
 * copy start over again and again, as small steps would. The copy is then checked with
 * `integrity_check`.
 */
const ALL_PAGES = 0x7fffffff;

export async function backupSqlite(databaseUrl: string, target: string): Promise<BackupResult> {
  if (!databaseUrl.startsWith('sqlite:')) {
    throw new Error(
      'kessai backup copies a SQLite database; DATABASE_URL is PostgreSQL: use pg_dump (see docs/operations.md, Backups)',
    );
  }
  const file = databaseUrl.slice('sqlite:'.length);
  if (file === ':memory:') throw new Error('an in-memory database cannot be backed up');
  const destination = resolve(target);
  if (existsSync(destination)) throw new Error(`${destination} already exists; choose a new file`);
  const source = new SQLite(file, { fileMustExist: true });
  let pages: number;
  try {
    source.pragma('busy_timeout = 5000');
    // better-sqlite3 first sizes the copy with an empty step; then "as many pages as there are".
    ({ totalPages: pages } = await source.backup(destination, { progress: () => ALL_PAGES }));
  } finally {
    source.close();
  }
  const copy = new SQLite(destination, { fileMustExist: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok')
      throw new Error(`the copy in ${destination} failed its integrity check: ${String(check)}`);
  } finally {
    copy.close();
  }
  return { file: destination, pages };
}
