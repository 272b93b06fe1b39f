import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { http, Latencies, round } from './client';
import { BenchProcess } from './processes';
import { POSTGRES_URL } from './system';
import { loop } from './workloads';

/**
 * The machine's own ceilings, measured in the same run as the product: what a bare HTTP server,
 * a single-row commit and an RSA-2048 signature cost here.
 */
export interface HttpFloor {
  concurrency: number;
  perSecond: number;
  p50: number;
  p99: number;
  serverCpuMsPerRequest: number;
}

/** A bare Fastify hello in a process of its own, driven by the load generator's client. */
export async function fastifyFloor(levels: number[], durationMs: number): Promise<HttpFloor[]> {
  const server = BenchProcess.script('fastify', 'fastify-hello.ts', {});
  await server.start({ line: /listening \d+/ });
  const url = `http://127.0.0.1:${server.printed(/listening (\d+)/)[1]}/`;
  try {
    const results: HttpFloor[] = [];
    for (const concurrency of levels) {
      const latencies = new Latencies();
      const cpu0 = server.sample().cpuMs;
      const { operations, seconds } = await loop(concurrency, durationMs, async () => {
        const started = performance.now();
        const answer = await http(url);
        if (answer.status !== 200) throw new Error(`hello answered ${answer.status}`);
        latencies.add(performance.now() - started);
      });
      const { p50, p99 } = latencies.summary();
      results.push({
        concurrency,
        perSecond: round(operations / seconds, 0),
        p50,
        p99,
        serverCpuMsPerRequest: round((server.sample().cpuMs - cpu0) / operations, 4),
      });
    }
    return results;
  } finally {
    await server.stop();
  }
}

/** Single-row commits on SQLite with the gateway's settings (WAL, synchronous=FULL), one writer. */
export function sqliteCommitFloor(durationMs: number): { commitsPerSecond: number } {
  const dir = mkdtempSync(join(tmpdir(), 'kessai-bench-floor-'));
  const db = new SQLite(join(dir, 'floor.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const started = performance.now();
    let commits = 0;
    while (performance.now() - started < durationMs) {
      insert.run(`row ${commits}`);
      commits++;
    }
    return { commitsPerSecond: round(commits / ((performance.now() - started) / 1000), 0) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Single-row commits on PostgreSQL (autocommit INSERTs), from a pool as large as the gateway's. */
export async function postgresCommitFloor(
  concurrency: number,
  durationMs: number,
): Promise<{ concurrency: number; commitsPerSecond: number }> {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 10 });
  const table = `bench_floor_${process.pid}`;
  try {
    await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, v text NOT NULL)`);
    const { operations, seconds } = await loop(concurrency, durationMs, async () => {
      await pool.query(`INSERT INTO ${table} (v) VALUES ($1)`, ['row']);
    });
    return { concurrency, commitsPerSecond: round(operations / seconds, 0) };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  }
}

/** RSA-2048 with SHA-256 (Alipay+'s signatures), sign and verify, one at a time. */
export function rsaFloor(durationMs: number): { signsPerSecond: number; verifiesPerSecond: number } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const message = Buffer.from(
    'POST /aps/api/v1/payments/pay\nclient-id.2026-12-05T10:00:00+09:00.{"amount":100000}',
  );
  const rate = (operation: () => void) => {
    const started = performance.now();
    let n = 0;
    while (performance.now() - started < durationMs) {
      operation();
      n++;
    }
    return round(n / ((performance.now() - started) / 1000), 0);
  };
  const signature = sign('sha256', message, privateKey);
  return {
    signsPerSecond: rate(() => sign('sha256', message, privateKey)),
    verifiesPerSecond: rate(() => verify('sha256', message, publicKey, signature)),
  };
}
