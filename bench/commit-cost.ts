/**
 * What a commit costs on this machine as it grows: transactions of 1 to 24 single-row inserts,
 * each into a table of its own with two secondary indexes (three B-trees, so three pages or more
 * per insert, as the gateway's tables have), at each `synchronous` setting of SQLite in WAL mode.
 * In WAL mode SQLite writes every page a transaction changed to the WAL as one frame at commit;
 * `FULL` then fsyncs the WAL. Prints µs per transaction and, of them, the COMMIT alone. The floor
 * of `npm run bench` is the single-row case at `FULL`; the gateway's transactions are larger.
 *
 *   npx tsx bench/commit-cost.ts [--transactions 2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';

const { values } = parseArgs({ options: { transactions: { type: 'string', default: '2000' } } });
const transactions = Number(values.transactions);

function measure(synchronous: string, inserts: number): { txUs: number; commitUs: number } {
  const dir = mkdtempSync(join(tmpdir(), 'kessai-bench-commit-'));
  const db = new SQLite(join(dir, 'commit.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    const statements = Array.from({ length: inserts }, (_, t) => {
      db.exec(`CREATE TABLE t${t} (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT)`);
      db.exec(`CREATE INDEX t${t}_a ON t${t} (a)`);
      db.exec(`CREATE INDEX t${t}_b ON t${t} (b)`);
      return db.prepare(`INSERT INTO t${t} (a, b, c) VALUES (?, ?, ?)`);
    });
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const row = 'x'.repeat(300);
    let commitNs = 0n;
    const started = process.hrtime.bigint();
    for (let i = 0; i < transactions; i++) {
      begin.run();
      for (const insert of statements) insert.run(`key ${i} ${Math.random()}`, i, row);
      const before = process.hrtime.bigint();
      commit.run();
      commitNs += process.hrtime.bigint() - before;
    }
    const totalNs = process.hrtime.bigint() - started;
    return {
      txUs: Number(totalNs) / transactions / 1000,
      commitUs: Number(commitNs) / transactions / 1000,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${transactions} transactions each; µs per transaction (of which the COMMIT)`);
console.log('| inserts per transaction | FULL | NORMAL | OFF |');
console.log('| ---: | ---: | ---: | ---: |');
for (const inserts of [1, 4, 8, 16, 24]) {
  const cells = ['FULL', 'NORMAL', 'OFF'].map((synchronous) => {
    const { txUs, commitUs } = measure(synchronous, inserts);
    return `${txUs.toFixed(0)} (${commitUs.toFixed(0)})`;
  });
  console.log(`| ${inserts} | ${cells.join(' | ')} |`);
}
