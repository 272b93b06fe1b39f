import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config';
import { gatewayKeys, sandboxKeyPair } from '../../src/app/keys';
import { encodeForm, signedPurchaseForm } from '../../src/channels/link/link-form';
import { formatJstCompact } from '../../src/kernel/jst';
import { buildSandboxApp } from '../../src/sandbox/sandbox-app';
import { createTestDatabase, DIALECTS, processDatabaseUrl, type TestDatabase } from '../support/databases';
import { type MerchantStub, startMerchantStub } from '../support/merchant-stub';
import { SPEC_PURCHASE_FIELDS } from '../support/spec-vectors';
import { freePort, PC_UA, TEST_HASH_KEY } from '../support/stack';

/**
 * A `kessai serve` process (gateway and jobs) stopped with SIGTERM while shoppers keep buying:
 * every request it took is answered without a 5xx, no job is left leased, and it exits promptly
 * (operations.md, Processes).
 */
const BIN = fileURLToPath(new URL('../../bin/kessai.js', import.meta.url));
const LANES = 6;
const EXIT_BOUND_MS = 20_000;

interface Load {
  statuses: number[];
  /** Connections refused or reset once the process stopped listening: not answers. */
  refused: number;
  purchases: number;
}

for (const dialect of DIALECTS) {
  describe(`SIGTERM under load (${dialect})`, () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      cleanups.length = 0;
    });

    it('answers every request it took without a 5xx, leaves no job leased, and exits in time', async () => {
      const database: TestDatabase = await createTestDatabase(dialect);
      cleanups.push(() => database.close());
      const dataDir = mkdtempSync(join(tmpdir(), 'kessai-sigterm-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const merchant: MerchantStub = await startMerchantStub({ hashKey: TEST_HASH_KEY });
      cleanups.push(() => merchant.close());

      const [gatewayPort, sandboxPort] = [await freePort(), await freePort()];
      const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
      const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
      const env: Record<string, string> = {
        KESSAI_MODE: 'demo',
        KESSAI_DATA_DIR: dataDir,
        DATABASE_URL: processDatabaseUrl(database),
        KESSAI_GATEWAY_PORT: String(gatewayPort),
        KESSAI_GATEWAY_PUBLIC_URL: gatewayUrl,
        KESSAI_SANDBOX_PUBLIC_URL: sandboxUrl,
        KESSAI_DEMO_HASH_KEY: TEST_HASH_KEY,
        KESSAI_LOG_LEVEL: 'error',
        // This sandbox serves no reports: the gateway must not fetch from another one on 8022.
        KESSAI_SANDBOX_SFTP_PORT: '0',
      };
      // The Alipay+ sandbox runs here; the gateway process finds both key pairs in its data folder.
      const config = loadConfig(env, 'demo');
      const sandboxPair = sandboxKeyPair(config);
      const sandbox: FastifyInstance = await buildSandboxApp({
        databaseUrl: 'sqlite::memory:',
        publicUrl: sandboxUrl,
        timeFactor: 0.001,
        privateKeyPem: sandboxPair.privateKeyPem,
        publicKeyPem: sandboxPair.publicKeyPem,
        clients: { [config.alipayplus.clientId]: gatewayKeys(config).publicKeyPem },
      });
      await sandbox.listen({ host: '127.0.0.1', port: sandboxPort });
      cleanups.push(() => sandbox.close());

      const gateway = spawn(process.execPath, [BIN, 'serve'], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      gateway.stdout?.on('data', (chunk) => (output += chunk));
      gateway.stderr?.on('data', (chunk) => (output += chunk));
      const exited = exitOf(gateway);
      cleanups.push(() => {
        if (gateway.exitCode === null) gateway.kill('SIGKILL');
      });
      await until(async () => (await fetch(`${gatewayUrl}/healthz`).catch(() => null))?.ok === true, 30_000);

      const load: Load = { statuses: [], refused: 0, purchases: 0 };
      let stopped = false;
      const lanes = Array.from({ length: LANES }, () =>
        shop(gatewayUrl, sandboxUrl, merchant.url, load, () => stopped),
      );
      await until(async () => load.purchases >= 2 * LANES, 60_000);

      const signalledAt = Date.now();
      gateway.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(EXIT_BOUND_MS).then(() => 'still running')]);
      const tookMs = Date.now() - signalledAt;
      stopped = true;
      await Promise.all(lanes);

      expect(code, output).toBe(0);
      expect(tookMs).toBeLessThan(EXIT_BOUND_MS);
      expect(load.statuses.filter((status) => status >= 500)).toEqual([]);
      expect(load.statuses.length).toBeGreaterThan(4 * LANES);
      const leased = await database.db
        .selectFrom('jobs')
        .select(['id', 'kind', 'status', 'locked_by'])
        .where((eb) => eb.or([eb('status', '=', 'RUNNING'), eb('locked_by', 'is not', null)]))
        .execute();
      expect(leased).toEqual([]);
    });
  });
}

/** One shopper after another: buy, pay at the sandbox, come back to the gateway. */
async function shop(
  gatewayUrl: string,
  sandboxUrl: string,
  merchantUrl: string,
  load: Load,
  stopped: () => boolean,
): Promise<void> {
  let n = 0;
  while (!stopped()) {
    try {
      const fields = {
        ...SPEC_PURCHASE_FIELDS,
        order_id: `SIGTERM-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}-${n++}`,
        success_url: `${merchantUrl}/success`,
        cancel_url: `${merchantUrl}/cancel`,
        error_url: `${merchantUrl}/error`,
        pagecon_url: `${merchantUrl}/pagecon`,
        request_date: formatJstCompact(new Date()),
      };
      const purchase = await fetch(`${gatewayUrl}/f01/FepBuyInfoReceive.do`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': PC_UA },
        body: encodeForm(signedPurchaseForm(fields, TEST_HASH_KEY), 'windows-31j'),
        redirect: 'manual',
      });
      load.statuses.push(purchase.status);
      await purchase.arrayBuffer();
      const cashierUrl = purchase.headers.get('location');
      if (purchase.status !== 303 || !cashierUrl) continue;
      const paid = await fetch(`${sandboxUrl}/sandbox/v1/simulate/pay`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ cashierUrl, wallet: 'GCASH', user: 'alice', action: 'pay' }),
      });
      const { redirectUrl } = (await paid.json()) as { redirectUrl?: string };
      if (!redirectUrl) continue;
      const back = await fetch(redirectUrl, { redirect: 'manual', headers: { 'User-Agent': PC_UA } });
      load.statuses.push(back.status);
      await back.arrayBuffer();
      load.purchases++;
    } catch {
      // The gateway stopped listening: the load balancer sends these shoppers elsewhere.
      load.refused++;
      await sleep(50);
    }
  }
}

function exitOf(child: ChildProcess): Promise<number | string> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? String(signal))));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
