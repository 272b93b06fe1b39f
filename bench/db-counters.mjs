// Preloaded into a gateway or sandbox process by the benchmark (`node --import`), never by the
// product: counts the SQL statements the process runs and the commits that reach the disk — each
// COMMIT, and each write outside a transaction (SQLite and PostgreSQL commit those on their own).
// The counts are written as JSON to $BENCH_DB_COUNTERS a few times a second, and at exit.
import { renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../package.json', import.meta.url));
const counts = { statements: 0, commits: 0 };
const WRITE = /^\s*(insert|update|delete|replace)\b/i;
const COMMIT = /^\s*(commit|end)\b/i;

// better-sqlite3: the statement class is native; wrapping its prototype counts every call.
const Sqlite = require('better-sqlite3');
const probe = new Sqlite(':memory:');
const statementPrototype = Object.getPrototypeOf(probe.prepare('select 1'));
probe.close();
for (const method of ['run', 'get', 'all', 'iterate']) {
  const original = statementPrototype[method];
  statementPrototype[method] = function (...args) {
    counts.statements++;
    if (COMMIT.test(this.source) || (WRITE.test(this.source) && !this.database.inTransaction))
      counts.commits++;
    return original.apply(this, args);
  };
}

// pg: a client is inside a transaction from BEGIN to COMMIT/ROLLBACK.
const pg = require('pg');
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  const text = typeof config === 'string' ? config : (config?.text ?? '');
  counts.statements++;
  if (/^\s*begin\b/i.test(text)) this.benchInTransaction = true;
  else if (COMMIT.test(text) || /^\s*rollback\b/i.test(text)) {
    if (COMMIT.test(text)) counts.commits++;
    this.benchInTransaction = false;
  } else if (WRITE.test(text) && !this.benchInTransaction) counts.commits++;
  return originalQuery.call(this, config, ...rest);
};

const file = process.env.BENCH_DB_COUNTERS;
if (file) {
  // Written aside and renamed, so that the benchmark never reads half a file.
  const flush = () => {
    writeFileSync(`${file}.tmp`, JSON.stringify(counts));
    renameSync(`${file}.tmp`, file);
  };
  setInterval(flush, 200).unref();
  process.on('exit', flush);
}
