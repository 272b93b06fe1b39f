import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { loadConfig } from '../../src/app/config';
import type { Logger } from '../../src/app/logger';
import { type Runtime, startRuntime } from '../../src/app/runtime';
import { encodeForm, signedPurchaseForm } from '../../src/channels/link/link-form';
import type { DialectName } from '../../src/db/connection';
import type { Database, PaymentRow } from '../../src/db/database';
import { approvedSubBrands } from '../../src/governance/sub-brand-review.repository';
import { OffsetClock } from '../../src/kernel/clock';
import { formatJstCompact } from '../../src/kernel/jst';
import { generateRsaKeyPair, type PemKeyPair } from '../../src/kernel/rsa';
import { DEMO_MERCHANT_ID } from '../../src/merchants/demo-seed';
import { SUB_BRAND_CODES } from '../../src/merchants/sub-brands';
import type { Resolver } from '../../src/notifications/merchant-endpoint';
import { reportSftpPort } from '../../src/sandbox/sandbox-app';
import { createTestDatabase, processDatabaseUrl, type TestDatabase } from './databases';
import { type MerchantStub, startMerchantStub } from './merchant-stub';
import { SPEC_HASH_KEY, SPEC_PURCHASE_FIELDS } from './spec-vectors';

/**
 * The whole system for an integration test: gateway + job worker + Alipay+ sandbox in this process
 * on free loopback ports, a fresh database of the given dialect, a merchant stub as the shop's
 * server, and clocks the test can move (the gateway's and the sandbox's, independently).
 */
export const TEST_HASH_KEY = SPEC_HASH_KEY;
export const PC_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

export interface Stack {
  runtime: Runtime;
  database: TestDatabase;
  gatewayUrl: string;
  sandboxUrl: string;
  /** The demo shop, when started with `shop: true`. */
  shopUrl: string;
  clock: OffsetClock;
  sandboxClock: OffsetClock;
  merchant: MerchantStub;
  /** The environment under which a `kessai` command works on this stack's database and sandbox. */
  cliEnv: Record<string, string>;
  /** Posts an A01-1 form (Shift_JIS by default) as the shopper's browser would. */
  postPurchase(fields?: Record<string, string>, options?: PurchaseOptions): Promise<Response>;
  purchaseFields(overrides?: Record<string, string>): Record<string, string>;
  payment(trackingIdOrOrder: { orderId: string }): Promise<PaymentRow>;
  close(): Promise<void>;
}

export interface StackOptions {
  timeoutMs?: number;
  inquiryTimeoutMs?: number;
  shop?: boolean;
  env?: Record<string, string>;
  /**
   * `production` runs the gateway as an operator would (KESSAI_MODE=production, explicit Alipay+
   * settings and keys) against the in-process sandbox, still with the demo merchant seeded.
   */
  mode?: 'demo' | 'production';
  /** Stands in for DNS when the gateway resolves merchant host names. */
  resolve?: Resolver;
  /** Where the processes log (nowhere by default). */
  logger?: Logger;
  /** How long the Alipay+ circuit breaker stays open before a test call. */
  breakerHalfOpenAfterMs?: number;
  /** Wait until the demo merchant's first registration has been approved (default true). */
  awaitReview?: boolean;
  /** Gives the demo merchant last month's payments and a bank account, as `kessai start` does. */
  seedDemoSettlement?: boolean;
}

export interface PurchaseOptions {
  charset?: 'windows-31j' | 'utf-8';
  userAgent?: string;
  hashKey?: string;
  contentType?: string;
}

/**
 * A port for a process a test starts, free when asked. Taken below Linux's ephemeral range
 * (32768–60999): a port the kernel hands out there may meanwhile become the local end of any
 * outgoing connection of the suite's parallel tests, which then makes the process's listen fail.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

let orderCounter = 0;

export async function startStack(dialect: DialectName, options: StackOptions = {}): Promise<Stack> {
  const database = await createTestDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'kessai-stack-'));
  const clock = new OffsetClock();
  const sandboxClock = new OffsetClock();
  const merchant = await startMerchantStub({ hashKey: TEST_HASH_KEY });
  // A free port can be taken by a test file running alongside before we listen on it: try again
  // with new ones.
  let started: Awaited<ReturnType<typeof startOnFreePorts>> | undefined;
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await startOnFreePorts(database, dataDir, options, clock, sandboxClock);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt >= 5) throw error;
    }
  }
  const { runtime } = started;
  const { gateway: gatewayUrl, sandbox: sandboxUrl, shop: shopUrl } = started.urls;

  const purchaseFields = (overrides: Record<string, string> = {}): Record<string, string> => ({
    ...SPEC_PURCHASE_FIELDS,
    order_id: `ORDER-${process.pid}-${Date.now()}-${++orderCounter}`,
    success_url: `${merchant.url}/success`,
    cancel_url: `${merchant.url}/cancel`,
    error_url: `${merchant.url}/error`,
    pagecon_url: `${merchant.url}/pagecon`,
    request_date: formatJstCompact(clock.now()),
    ...overrides,
  });

  return {
    runtime,
    database,
    gatewayUrl,
    sandboxUrl,
    shopUrl,
    clock,
    sandboxClock,
    merchant,
    cliEnv: started.env,
    purchaseFields,
    async postPurchase(fields = purchaseFields(), purchase: PurchaseOptions = {}) {
      const charset = purchase.charset ?? 'windows-31j';
      const body = encodeForm(signedPurchaseForm(fields, purchase.hashKey ?? TEST_HASH_KEY), charset);
      return fetch(`${gatewayUrl}/f01/FepBuyInfoReceive.do`, {
        method: 'POST',
        headers: {
          'Content-Type':
            purchase.contentType ??
            `application/x-www-form-urlencoded${charset === 'utf-8' ? '; charset=UTF-8' : ''}`,
          'User-Agent': purchase.userAgent ?? PC_UA,
        },
        body,
        redirect: 'manual',
      });
    },
    async payment({ orderId }) {
      return database.db
        .selectFrom('payments')
        .selectAll()
        .where('order_id', '=', orderId)
        .executeTakeFirstOrThrow();
    },
    async close() {
      await runtime.close();
      await merchant.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A call to the sandbox's control API (faults, wallets …) that must succeed. */
export async function sandboxControl(
  stack: Stack,
  method: string,
  path: string,
  body?: unknown,
): Promise<void> {
  const response = await fetch(`${stack.sandboxUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`sandbox control ${method} ${path}: HTTP ${response.status}`);
}

/** Asks the sandbox to act as the shopper (sandbox.md, Control API). */
export async function simulatePay(
  stack: Stack,
  body: { cashierUrl: string; wallet?: string; user?: string; action?: 'pay' | 'cancel' },
): Promise<{ status: string; resultCode: string; redirectUrl: string }> {
  const response = await fetch(`${stack.sandboxUrl}/sandbox/v1/simulate/pay`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ wallet: 'GCASH', user: 'alice', action: 'pay', ...body }),
  });
  return (await response.json()) as { status: string; resultCode: string; redirectUrl: string };
}

/** Waits until every sub-brand of the demo merchant's first-start registration is approved. */
export async function demoReviewed(db: Kysely<Database>, timeoutMs = 10_000): Promise<void> {
  await eventually(
    async () => (await approvedSubBrands(db, DEMO_MERCHANT_ID)).length === SUB_BRAND_CODES.length,
    timeoutMs,
  );
}

/** Polls until `check` holds (or throws after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A purchase paid with the sandbox and captured by the gateway. */
export async function capturedPayment(
  stack: Stack,
  overrides: Record<string, string> = {},
): Promise<PaymentRow> {
  const fields = stack.purchaseFields(overrides);
  const response = await stack.postPurchase(fields);
  if (response.status !== 303) throw new Error(`purchase refused with HTTP ${response.status}`);
  const paid = await simulatePay(stack, { cashierUrl: response.headers.get('location')! });
  if (paid.status !== 'SUCCESS') throw new Error(`sandbox did not pay: ${paid.resultCode}`);
  const orderId = fields.order_id!;
  await eventually(async () => (await stack.payment({ orderId })).status === 'CAPTURED');
  return stack.payment({ orderId });
}

/** The sandbox's own total of successful refunds of a payment (its control API's order view). */
export async function sandboxRefundTotal(stack: Stack, payment: PaymentRow): Promise<number> {
  const response = await fetch(`${stack.sandboxUrl}/sandbox/v1/orders/${payment.alipay_payment_id}`);
  if (response.status !== 200) throw new Error(`sandbox has no order ${payment.alipay_payment_id}`);
  const { refunds } = (await response.json()) as { refunds: Array<{ status: string; amount: number }> };
  return refunds.filter((r) => r.status === 'SUCCESS').reduce((sum, r) => sum + r.amount, 0);
}

/** The Alipay+ messages the gateway recorded for a payment, oldest first (optionally of one API). */
export async function alipayMessages(
  stack: Stack,
  trackingId: string,
  api?: string,
): Promise<
  Array<{ api: string; request_body: string; response_status: number | null; response_body: string | null }>
> {
  let query = stack.database.db
    .selectFrom('alipay_messages')
    .select(['api', 'request_body', 'response_status', 'response_body'])
    .where('tracking_id', '=', trackingId);
  if (api) query = query.where('api', '=', api);
  return query.orderBy('id').execute();
}

async function startOnFreePorts(
  database: TestDatabase,
  dataDir: string,
  options: StackOptions,
  clock: OffsetClock,
  sandboxClock: OffsetClock,
): Promise<{
  runtime: Runtime;
  urls: { gateway: string; sandbox: string; shop: string };
  env: Record<string, string>;
}> {
  const [gatewayPort, sandboxPort, shopPort] = [await freePort(), await freePort(), await freePort()];
  const urls = {
    gateway: `http://127.0.0.1:${gatewayPort}`,
    sandbox: `http://127.0.0.1:${sandboxPort}`,
    shop: `http://127.0.0.1:${shopPort}`,
  };
  const env = {
    KESSAI_MODE: 'demo',
    KESSAI_DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    KESSAI_GATEWAY_PORT: String(gatewayPort),
    KESSAI_SANDBOX_PORT: String(sandboxPort),
    KESSAI_SHOP_PORT: String(shopPort),
    KESSAI_SHOP_PUBLIC_URL: urls.shop,
    KESSAI_GATEWAY_PUBLIC_URL: urls.gateway,
    KESSAI_SANDBOX_PUBLIC_URL: urls.sandbox,
    KESSAI_SANDBOX_DATABASE: 'sqlite::memory:',
    KESSAI_SANDBOX_TIME_FACTOR: '0.001',
    KESSAI_SANDBOX_SFTP_PORT: '0',
    // The demo merchant goes through the sandbox's review at once (governance.md §1).
    KESSAI_SANDBOX_REVIEW_SECONDS: '0',
    KESSAI_ALIPAYPLUS_TIMEOUT_MS: String(options.timeoutMs ?? 8000),
    KESSAI_ALIPAYPLUS_INQUIRY_TIMEOUT_MS: String(options.inquiryTimeoutMs ?? 5000),
    KESSAI_DEMO_HASH_KEY: TEST_HASH_KEY,
    KESSAI_LOG_LEVEL: 'silent',
    ...(options.mode === 'production' ? productionSettings(urls.sandbox) : {}),
    ...options.env,
  };
  seedTestKeys(dataDir);
  const config = loadConfig(env, 'demo');
  const runtime = await startRuntime({
    config,
    components: { gateway: true, jobs: true, sandbox: true, shop: options.shop ?? false },
    clock,
    sandboxClock,
    searchPath: database.searchPath,
    jobPollIntervalMs: 100,
    notificationAnswerTimeoutMs: 1000,
    seedDemo: true,
    seedDemoSettlement: options.seedDemoSettlement ?? false,
    resolve: options.resolve,
    logger: options.logger,
    ...(options.breakerHalfOpenAfterMs ? { breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs } : {}),
  });
  // Purchases need the demo merchant's sub-brands, which its first-start registration brings.
  if (options.awaitReview ?? true) {
    try {
      await demoReviewed(runtime.db);
    } catch (error) {
      await runtime.close();
      throw error;
    }
  }
  // In the demo, a `kessai settlement fetch` of its own reaches the sandbox's SFTP server on the
  // port it took (production mode has no report server unless all its settings are given).
  const sftpPort =
    runtime.apps.sandbox && config.alipayplus.reports ? reportSftpPort(runtime.apps.sandbox) : undefined;
  return {
    runtime,
    urls,
    env: {
      ...env,
      DATABASE_URL: processDatabaseUrl(database),
      ...(sftpPort ? { KESSAI_ALIPAYPLUS_SFTP_PORT: String(sftpPort) } : {}),
    },
  };
}

let keyPairs: { gateway: PemKeyPair; sandbox: PemKeyPair } | undefined;

/** One pair per side per test process: RSA generation would otherwise cost every stack ~0.5 s. */
function testKeyPairs(): { gateway: PemKeyPair; sandbox: PemKeyPair } {
  keyPairs ??= { gateway: generateRsaKeyPair(), sandbox: generateRsaKeyPair() };
  return keyPairs;
}

/** Puts the pairs where demo mode keeps them (`<data dir>/keys/`), so that none is generated. */
function seedTestKeys(dataDir: string): void {
  const dir = join(dataDir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, pair] of Object.entries(testKeyPairs())) {
    writeFileSync(join(dir, `${name}-private.pem`), pair.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(dir, `${name}-public.pem`), pair.publicKeyPem);
  }
}

/** What production mode requires of the operator: the Alipay+ endpoint, our Client-Id and both keys. */
function productionSettings(sandboxUrl: string): Record<string, string> {
  // The in-process sandbox keeps its own pair in the data folder; the gateway is told its public key.
  const { gateway: gatewayPair, sandbox: sandboxPair } = testKeyPairs();
  return {
    KESSAI_MODE: 'production',
    KESSAI_ALIPAYPLUS_BASE_URL: sandboxUrl,
    KESSAI_ALIPAYPLUS_CLIENT_ID: 'PRODUCTION_TEST',
    KESSAI_ALIPAYPLUS_PRIVATE_KEY: gatewayPair.privateKeyPem,
    KESSAI_ALIPAYPLUS_PUBLIC_KEY: sandboxPair.publicKeyPem,
  };
}

/**
 * Forgets the notices posted while the stack started — the demo merchant's sub-brand review
 * results (governance.md §1) — for tests that count from an empty inbox.
 */
export async function clearStartupNotices(stack: Stack): Promise<void> {
  const { db } = stack.database;
  for (const table of ['notice_emails', 'notice_reads', 'notice_merchants', 'notices'] as const) {
    await db.deleteFrom(table).execute();
  }
}
