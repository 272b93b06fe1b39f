import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connection';

/**
 * Several processes on one SQLite file (`kessai serve --processes`, `kessai worker`): concurrent
 * write transactions that read before they write wait for each other instead of failing with
 * SQLITE_BUSY, and none loses another's update. SQLite only: the busy handling is SQLite's.
 */
const WRITER = join(import.meta.dirname, '..', 'support', 'sqlite-writer.ts');
const PROCESSES = 3;
const TRANSACTIONS = 300;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function writer(url: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', WRITER, url, String(TRANSACTIONS)],
      { timeout: 60_000 },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

it('runs concurrent read-then-write transactions of several processes on one file without SQLITE_BUSY', async () => {
  dir = mkdtempSync(join(tmpdir(), 'kessai-processes-'));
  const url = `sqlite:${join(dir, 'shared.sqlite')}`;
  const setup = openDatabase<{ counter: { id: number; value: number } }>(url);
  await setup.db.schema
    .createTable('counter')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('value', 'integer')
    .execute();
  await setup.db.insertInto('counter').values({ id: 1, value: 0 }).execute();

  const outcomes = await Promise.all(Array.from({ length: PROCESSES }, () => writer(url)));

  expect(outcomes).toEqual(Array.from({ length: PROCESSES }, () => ({ code: 0, stderr: '' })));
  const { value } = await setup.db.selectFrom('counter').select('value').executeTakeFirstOrThrow();
  expect(value).toBe(PROCESSES * TRANSACTIONS);
  await setup.close();
});
