import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DialectName } from '../src/db/connection';
import { prepareKeys } from '../test/crash/crash-system';
import { XML_API_PASSWORD } from '../test/support/merchant-api';
import { freePort, TEST_HASH_KEY } from '../test/support/stack';
import { BenchProcess } from './processes';

/**
 * A Kessai system for the benchmark, each part a process of its own (operations.md, Processes):
 * `kessai sandbox`, `kessai serve` (jobs in-process), `kessai serve --no-jobs` or
 * `kessai serve --processes 2` (two HTTP processes and the job worker, measured together as the
 * gateway), or everything in one `kessai start`; and the merchant endpoint. PostgreSQL gets a database of its own, so that
 * pg_stat_database counts this system's transactions only.
 */
export type Layout = 'serve' | 'serve --no-jobs' | 'serve --processes 2' | 'start';

export interface System {
  dialect: DialectName;
  layout: Layout;
  gatewayUrl: string;
  sandboxUrl: string;
  merchantUrl: string;
  /** The gateway's database (a URL any process can open). */
  databaseUrl: string;
  /** The PostgreSQL database's name, for pg_stat_database. */
  pgDatabase: string | null;
  gateway: BenchProcess;
  /** Null in the `start` layout (the sandbox is inside the gateway's process). */
  sandbox: BenchProcess | null;
  merchant: BenchProcess;
  /** Resolves with the moment (performance.now()) the merchant reported the order's A02-1. */
  awaitReceipt(orderId: string): Promise<number>;
  env: Record<string, string>;
  dir: string;
  /** Starts the gateway process again with another layout (the database stays), given Node options. */
  restartGateway(layout: Exclude<Layout, 'start'>, nodeArgs?: string[]): Promise<void>;
  /** Starts the sandbox process again (its store stays), given Node options; not in `start`. */
  restartSandbox(nodeArgs: string[]): Promise<void>;
  close(): Promise<void>;
}

export const POSTGRES_URL = process.env.KESSAI_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function postgresAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function startSystem(dialect: DialectName, layout: Layout): Promise<System> {
  const dir = mkdtempSync(join(tmpdir(), `kessai-bench-${dialect}-`));
  let pgDatabase: string | null = null;
  let databaseUrl = `sqlite:${join(dir, 'kessai.sqlite')}`;
  if (dialect === 'postgres') {
    pgDatabase = `kessai_bench_${randomBytes(4).toString('hex')}`;
    await postgresAdmin(`CREATE DATABASE ${pgDatabase}`);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${pgDatabase}`;
    databaseUrl = url.toString();
  }

  const merchant = BenchProcess.script('merchant', 'merchant-endpoint.ts', {});
  const receipts = new Map<string, (at: number) => void>();
  merchant.onLine = (line) => {
    if (!line.startsWith('A02 ')) return;
    const orderId = line.slice(4);
    receipts.get(orderId)?.(performance.now());
    receipts.delete(orderId);
  };
  await merchant.start({ line: /listening \d+/ });
  const merchantUrl = `http://127.0.0.1:${merchant.printed(/listening (\d+)/)[1]}`;

  const gatewayPort = await freePort();
  const sandboxPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const env: Record<string, string> = {
    KESSAI_MODE: 'demo',
    KESSAI_DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    KESSAI_GATEWAY_PORT: String(gatewayPort),
    KESSAI_GATEWAY_PUBLIC_URL: gatewayUrl,
    KESSAI_SANDBOX_PORT: String(sandboxPort),
    KESSAI_SANDBOX_PUBLIC_URL: sandboxUrl,
    KESSAI_SANDBOX_DATABASE: `sqlite:${join(dir, 'sandbox.sqlite')}`,
    KESSAI_SANDBOX_REVIEW_SECONDS: '0',
    KESSAI_SANDBOX_SFTP_PORT: String(await freePort()),
    KESSAI_SHOP_PORT: String(await freePort()),
    KESSAI_DEMO_HASH_KEY: TEST_HASH_KEY,
    KESSAI_DEMO_API_PASSWORD: XML_API_PASSWORD,
    KESSAI_LOG_LEVEL: 'warn',
  };
  const registerGateway = prepareKeys(env);

  const startSandbox = async (nodeArgs: string[] = []) => {
    const process = BenchProcess.kessai('sandbox', ['sandbox'], env, dir, nodeArgs);
    await process.start({ url: `${sandboxUrl}/sandbox/v1/public-key` });
    return process;
  };
  let sandbox: BenchProcess | null = null;
  if (layout !== 'start') {
    sandbox = await startSandbox();
    await registerGateway(sandboxUrl);
  }
  const startGateway = async (which: Layout, nodeArgs: string[] = []) => {
    const command = which === 'start' ? ['start'] : which.split(' ');
    const process = BenchProcess.kessai('gateway', command, env, dir, nodeArgs);
    // Several HTTP processes: the primary says when every one listens.
    await process.start(
      which.includes('--processes') ? { line: /HTTP processes share/ } : { url: `${gatewayUrl}/healthz` },
    );
    return process;
  };

  const system: System = {
    dialect,
    layout,
    gatewayUrl,
    sandboxUrl,
    merchantUrl,
    databaseUrl,
    pgDatabase,
    gateway: await startGateway(layout),
    sandbox,
    merchant,
    env,
    dir,
    awaitReceipt: (orderId) => new Promise((resolve) => receipts.set(orderId, resolve)),
    async restartGateway(next, nodeArgs) {
      await system.gateway.stop();
      system.gateway = await startGateway(next, nodeArgs);
      system.layout = next;
    },
    async restartSandbox(nodeArgs) {
      if (!system.sandbox) throw new Error('in the `start` layout the sandbox is inside the gateway');
      await system.sandbox.stop();
      system.sandbox = await startSandbox(nodeArgs);
    },
    async close() {
      await system.gateway.stop();
      await system.sandbox?.stop();
      await merchant.stop();
      if (pgDatabase) await postgresAdmin(`DROP DATABASE ${pgDatabase} WITH (FORCE)`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return system;
}
