import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/app/config';
import { gatewayKeys, sandboxKeyPair } from '../../src/app/keys';
import { encodeForm, signedPurchaseForm } from '../../src/channels/link/link-form';
import type { DialectName } from '../../src/db/connection';
import { formatJstCompact } from '../../src/kernel/jst';
import { createTestDatabase, processDatabaseUrl, type TestDatabase } from '../support/databases';
import { XML_API_PASSWORD } from '../support/merchant-api';
import { type MerchantStub, startMerchantStub } from '../support/merchant-stub';
import { SPEC_PURCHASE_FIELDS } from '../support/spec-vectors';
import { freePort, PC_UA, TEST_HASH_KEY } from '../support/stack';

/**
 * The crash suite's system (operations.md, Crash suite): the sandbox, `serves` gateways
 * (`kessai serve --no-jobs`) behind a TCP load balancer, and `workers` job workers
 * (`kessai worker`), each a real `kessai` process that the suite kills with SIGKILL and starts
 * again; one database, the sandbox's own SQLite file, and a merchant stub that records every A02-1.
 */
const BIN = fileURLToPath(new URL('../../bin/kessai.js', import.meta.url));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export type Role = 'sandbox' | 'gateway' | 'worker';

/** One `kessai` process that can be killed and started again; its output goes to a log file. */
export class KessaiProcess {
  private child: ChildProcess | null = null;
  private readonly log: WriteStream;
  /** Everything it wrote, over all its lives (the suite greps it). */
  output = '';
  starts = 0;

  constructor(
    readonly name: string,
    readonly role: Role,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    private readonly healthUrl: string | null,
    logDir: string,
  ) {
    this.log = createWriteStream(join(logDir, `${name}.log`));
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    this.starts++;
    const child = spawn(process.execPath, [BIN, ...this.args], {
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let banner = false;
    const take = (chunk: Buffer) => {
      banner = true;
      this.output += chunk;
      this.log.write(chunk);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.log.write(`\n=== start ${this.starts} (pid ${child.pid}) at ${new Date().toISOString()}\n`);
    await until(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${this.name} exited at start:\n${this.output.slice(-2000)}`);
        if (!this.healthUrl) return banner;
        return (await fetch(this.healthUrl).catch(() => null))?.ok === true;
      },
      // Generous: five processes compiling and migrating at once on a loaded 2-core machine.
      180_000,
      `${this.name} to start`,
    );
  }

  /** SIGKILL (a crash) or SIGTERM (a stop); resolves once it is gone. */
  async stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.log.write(`\n=== ${signal} at ${new Date().toISOString()}\n`);
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await gone;
  }

  async close(): Promise<void> {
    await this.stop('SIGKILL');
    await new Promise((resolve) => this.log.end(resolve));
  }
}

/** A TCP load balancer: each connection goes to the next gateway that accepts it. */
async function startBalancer(ports: number[]): Promise<{ port: number; server: Server }> {
  let next = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.pause();
    const tryPort = (left: number) => {
      const port = ports[next++ % ports.length]!;
      const upstream = connect(port, '127.0.0.1');
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        client.pipe(upstream).pipe(client);
        client.resume();
        client.on('error', () => upstream.destroy());
      });
      upstream.on('error', () => {
        // A gateway that is down refuses the connection: the next one gets it.
        if (!connected && left > 1) tryPort(left - 1);
        else client.destroy();
      });
      upstream.on('close', () => connected && client.destroy());
    };
    tryPort(ports.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.on('close', () => {
    for (const socket of sockets) socket.destroy();
  });
  return { port, server };
}

export interface CrashSystem {
  database: TestDatabase;
  merchant: MerchantStub;
  /** The gateways' public URL: the load balancer. */
  gatewayUrl: string;
  sandboxUrl: string;
  sandboxFile: string;
  processes: KessaiProcess[];
  /** The environment a `kessai` process (or an in-process runtime) of this system runs with. */
  env: Record<string, string>;
  logDir: string;
  /** Stops everything; the log folder stays when `keepLogs` (a failed run, to look at). */
  close(keepLogs: boolean): Promise<void>;
}

/**
 * A01-1 from a shopper's browser to the system's gateways: the spec's purchase signed with the
 * test hash key, returning to the system's merchant stub; `fields` override the spec's values.
 */
export function postPurchase(system: CrashSystem, fields: Record<string, string>): Promise<Response> {
  return fetch(`${system.gatewayUrl}/f01/FepBuyInfoReceive.do`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': PC_UA },
    body: encodeForm(
      signedPurchaseForm(
        {
          ...SPEC_PURCHASE_FIELDS,
          success_url: `${system.merchant.url}/success`,
          cancel_url: `${system.merchant.url}/cancel`,
          error_url: `${system.merchant.url}/error`,
          pagecon_url: `${system.merchant.url}/pagecon`,
          request_date: formatJstCompact(new Date()),
          ...fields,
        },
        TEST_HASH_KEY,
      ),
      'windows-31j',
    ),
    redirect: 'manual',
  });
}

/** The gateways' time-outs towards Alipay+; the sandbox's `timeout` fault holds longer than this. */
export const ALIPAYPLUS_TIMEOUT_MS = 2000;

/**
 * Makes both key pairs of a system's data folder before any process starts, so that no two
 * processes create them at once. Answers how to tell a running sandbox the gateway's public key, as
 * Alipay+ knows it before go-live.
 */
export function prepareKeys(env: Record<string, string>): (sandboxUrl: string) => Promise<void> {
  const config = loadConfig(env, 'demo');
  const gatewayPublicKey = gatewayKeys(config).publicKeyPem;
  sandboxKeyPair(config);
  return async (sandboxUrl) => {
    const registered = await fetch(`${sandboxUrl}/sandbox/v1/clients/${config.alipayplus.clientId}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ publicKey: gatewayPublicKey }),
    });
    if (registered.status !== 200) throw new Error(`sandbox refused the client: ${registered.status}`);
  };
}

export async function startCrashSystem(
  dialect: DialectName,
  topology: {
    serves: number;
    workers: number;
    /** How each gateway runs: `serve --no-jobs` unless a test runs another layout. */
    serveArgs?: string[];
    /** More environment for the gateways. */
    gatewayEnv?: Record<string, string>;
  },
): Promise<CrashSystem> {
  const database = await createTestDatabase(dialect);
  const logDir = mkdtempSync(join(tmpdir(), `kessai-crash-${dialect}-`));
  const merchant = await startMerchantStub({ hashKey: TEST_HASH_KEY });
  const sandboxPort = await freePort();
  // The sandbox's report SFTP server; each system (and each restart) on its own free port.
  const sftpPort = await freePort();
  const gatewayPorts: number[] = [];
  for (let i = 0; i < topology.serves; i++) gatewayPorts.push(await freePort());
  const balancer = await startBalancer(gatewayPorts);
  const gatewayUrl = `http://127.0.0.1:${balancer.port}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const sandboxFile = join(logDir, 'sandbox.sqlite');
  const env: Record<string, string> = {
    KESSAI_MODE: 'demo',
    KESSAI_DATA_DIR: logDir,
    DATABASE_URL: processDatabaseUrl(database),
    KESSAI_GATEWAY_PUBLIC_URL: gatewayUrl,
    KESSAI_SANDBOX_PORT: String(sandboxPort),
    KESSAI_SANDBOX_PUBLIC_URL: sandboxUrl,
    KESSAI_SANDBOX_DATABASE: `sqlite:${sandboxFile}`,
    KESSAI_SANDBOX_TIME_FACTOR: '0.001',
    // The demo merchant's first-start registration is approved at once (governance.md §1).
    KESSAI_SANDBOX_REVIEW_SECONDS: '0',
    KESSAI_SANDBOX_SFTP_PORT: String(sftpPort),
    KESSAI_ALIPAYPLUS_TIMEOUT_MS: String(ALIPAYPLUS_TIMEOUT_MS),
    KESSAI_ALIPAYPLUS_INQUIRY_TIMEOUT_MS: String(ALIPAYPLUS_TIMEOUT_MS),
    KESSAI_DEMO_HASH_KEY: TEST_HASH_KEY,
    KESSAI_DEMO_API_PASSWORD: XML_API_PASSWORD,
    KESSAI_LOG_LEVEL: 'warn',
  };
  const registerGateway = prepareKeys(env);

  const processes: KessaiProcess[] = [
    new KessaiProcess('sandbox', 'sandbox', ['sandbox'], env, `${sandboxUrl}/sandbox/v1/public-key`, logDir),
    ...gatewayPorts.map(
      (port, i) =>
        new KessaiProcess(
          `gateway-${i + 1}`,
          'gateway',
          topology.serveArgs ?? ['serve', '--no-jobs'],
          { ...env, ...topology.gatewayEnv, KESSAI_GATEWAY_PORT: String(port) },
          `http://127.0.0.1:${port}/healthz`,
          logDir,
        ),
    ),
    ...Array.from(
      { length: topology.workers },
      (_, i) => new KessaiProcess(`worker-${i + 1}`, 'worker', ['worker'], env, null, logDir),
    ),
  ];
  const close = async (keepLogs: boolean) => {
    for (const p of processes) await p.close();
    await new Promise((resolve) => balancer.server.close(resolve));
    await merchant.close();
    await database.close();
    if (!keepLogs) rmSync(logDir, { recursive: true, force: true });
  };
  try {
    // The sandbox first, knowing our key as Alipay+ does before go-live; then the gateways and
    // workers all at once, as a deployment starts them: they migrate and seed the same database
    // side by side, and the demo merchant's registration goes out.
    await processes[0]!.start();
    await registerGateway(sandboxUrl);
    await Promise.all(processes.slice(1).map((p) => p.start()));
  } catch (error) {
    await close(true);
    throw error;
  }
  return { database, merchant, gatewayUrl, sandboxUrl, sandboxFile, processes, env, logDir, close };
}
