// Preloaded into a gateway or sandbox process by the benchmark (`node --import`), never by the
// product: counts the SQL statements the process runs and the commits that reach the disk. A
// commit is fsynced only when it wrote something: a COMMIT after a statement that changed rows, or
// a write outside any transaction that changed rows (an UPDATE that matched nothing writes no WAL).
// The counts are written as JSON to $BENCH_DB_COUNTERS a few times a second, and at exit.
import cluster from 'node:cluster';
import { openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../package.json', import.meta.url));
// `commits` reach the disk before the process goes on; `unsyncedCommits` do not (SQLite at
// `synchronous=NORMAL`: the sandbox, and the gateway's job bookkeeping, src/db/unsynced.ts).
const counts = { statements: 0, commits: 0, unsyncedCommits: 0 };
const WRITE = /^\s*(insert|update|delete|replace)\b/i;
const COMMIT = /^\s*(commit|end)\b/i;
const ROLLBACK = /^\s*rollback\b/i;
const BEGIN = /^\s*begin\b/i;
/** The counts file's fixed length: the JSON padded with spaces. */
const RECORD_BYTES = 128;

const UNSYNCED = /^\s*pragma synchronous = normal\b/i;
const SYNCED = /^\s*pragma synchronous = full\b/i;

/**
 * Counts one statement of a connection (`state.dirty`: the open transaction wrote rows;
 * `state.unsynced`: SQLite's connection is at `synchronous=NORMAL` until it says otherwise).
 */
function counted(state, text, inTransaction, changedRows) {
  counts.statements++;
  if (UNSYNCED.test(text)) state.unsynced = true;
  else if (SYNCED.test(text)) state.unsynced = false;
  else if (COMMIT.test(text)) {
    if (state.dirty) counts[state.unsynced ? 'unsyncedCommits' : 'commits']++;
    state.dirty = false;
  } else if (ROLLBACK.test(text)) state.dirty = false;
  else if (WRITE.test(text) && changedRows > 0) {
    if (inTransaction) state.dirty = true;
    else counts[state.unsynced ? 'unsyncedCommits' : 'commits']++;
  }
}

// better-sqlite3: the statement class is native; wrapping its prototype counts every call.
const Sqlite = require('better-sqlite3');
const probe = new Sqlite(':memory:');
const statementPrototype = Object.getPrototypeOf(probe.prepare('select 1'));
probe.close();
const sqliteStates = new WeakMap();
const changesOf = (result) => (Array.isArray(result) ? result.length : (result?.changes ?? 1));
for (const method of ['run', 'get', 'all']) {
  const original = statementPrototype[method];
  statementPrototype[method] = function (...args) {
    const db = this.database;
    if (!sqliteStates.has(db)) sqliteStates.set(db, { dirty: false });
    const result = original.apply(this, args);
    // For `get` (one row of a RETURNING at most) a write counts as changing rows.
    counted(sqliteStates.get(db), this.source, db.inTransaction, changesOf(result));
    return result;
  };
}

// pg: a client is inside a transaction from BEGIN to COMMIT/ROLLBACK.
const pg = require('pg');
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  const text = typeof config === 'string' ? config : (config?.text ?? '');
  this.benchState ??= { dirty: false, inTransaction: false };
  const state = this.benchState;
  const inTransaction = state.inTransaction;
  if (BEGIN.test(text)) state.inTransaction = true;
  else if (COMMIT.test(text) || ROLLBACK.test(text)) state.inTransaction = false;
  const result = originalQuery.call(this, config, ...rest);
  if (result && typeof result.then === 'function') {
    result.then(
      (answer) => counted(state, text, inTransaction, answer?.rowCount ?? 0),
      () => counted(state, 'rollback', inTransaction, 0),
    );
  } else counted(state, text, inTransaction, 1);
  return result;
};

// An HTTP process of `kessai serve --processes` (a cluster worker) counts into a file of its own
// next to its primary's, named with its process id; the reader adds them up.
const file =
  process.env.BENCH_DB_COUNTERS &&
  process.env.BENCH_DB_COUNTERS + (cluster.isWorker ? `.${process.pid}` : '');
if (file) {
  // Overwritten in place, always the same length: no new file and no rename each time, which on a
  // disk busy with fsyncs blocked the event loop (bench/README.md, Changes). The reader retries
  // the rare read that catches a write half done.
  const fd = openSync(file, 'w');
  const flush = () => writeSync(fd, JSON.stringify(counts).padEnd(RECORD_BYTES), 0);
  setInterval(flush, 200).unref();
  process.on('exit', flush);
}
