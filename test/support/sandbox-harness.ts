import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { JSON_CONTENT_TYPE, signMessage, verifyMessage } from '../../src/alipayplus/signing';
import type { DialectName } from '../../src/db/connection';
import { formatJstIso } from '../../src/kernel/jst';
import { generateRsaKeyPair, loadPrivateKey, loadPublicKey, type PemKeyPair } from '../../src/kernel/rsa';
import { buildSandboxApp, type SandboxOptions } from '../../src/sandbox/sandbox-app';
import { WALLET_IDS } from '../../src/sandbox/wallets';
import { TEST_POSTGRES_URL } from './databases';

/**
 * Drives the sandbox as the gateway would: signed HTTP calls from an ACQP client, and a small ACQP
 * server that receives notifyPayment, verifies the sandbox's signature and answers signed.
 */
export const CLIENT_ID = 'TEST_ACQP';
export const PUBLIC_URL = 'http://sandbox.test';

let keys: { sandbox: PemKeyPair; acqp: PemKeyPair } | undefined;

/** One pair per side per test file: RSA generation is slow enough to share. */
export function testKeys(): { sandbox: PemKeyPair; acqp: PemKeyPair } {
  keys ??= { sandbox: generateRsaKeyPair(), acqp: generateRsaKeyPair() };
  return keys;
}

export interface SignedAnswer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary wire fields
  body: any;
  /** Whether the response's signature verifies with the sandbox's public key. */
  verified: boolean;
}

export interface RunningSandbox {
  app: FastifyInstance;
  url: string;
  call(api: string, body: unknown, options?: CallOptions): Promise<SignedAnswer>;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  control(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export interface CallOptions {
  clientId?: string;
  /** Sign with another key (a forged request). */
  privateKeyPem?: string;
  /** Sign and send this text instead of JSON.stringify(body). */
  raw?: string;
  /** Send this text but keep the signature made for the body (a body changed in transit). */
  tamperedText?: string;
  timeoutMs?: number;
}

export interface SandboxStore {
  databaseUrl: string;
  /** The PostgreSQL schema, if any. */
  schema?: string;
  drop(): Promise<void>;
}

/**
 * A private store for a sandbox of the given dialect: an in-memory SQLite database, or a fresh
 * PostgreSQL schema — the sandbox takes only a URL, so the schema travels in its `options`.
 */
export async function sandboxStore(dialect: DialectName): Promise<SandboxStore> {
  if (dialect === 'sqlite') return { databaseUrl: 'sqlite::memory:', drop: async () => {} };
  const schema = `sandbox_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA ${schema}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { databaseUrl: url.toString(), schema, drop: () => admin(`DROP SCHEMA ${schema} CASCADE`) };
}

export async function startSandbox(options: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  const { sandbox, acqp } = testKeys();
  const app = await buildSandboxApp({
    databaseUrl: 'sqlite::memory:',
    publicUrl: PUBLIC_URL,
    timeFactor: 0.001,
    privateKeyPem: sandbox.privateKeyPem,
    publicKeyPem: sandbox.publicKeyPem,
    clients: { [CLIENT_ID]: acqp.publicKeyPem },
    ...options,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const sandboxKey = loadPublicKey(sandbox.publicKeyPem);
  // The merchant these tests pay for may use every wallet (the control API's test shortcut;
  // registration.test.ts goes through review instead).
  await fetch(`${url}/sandbox/v1/merchants/30000/wallets`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ wallets: WALLET_IDS }),
  });

  return {
    app,
    url,
    async call(api, body, callOptions = {}) {
      const group = api === 'registration' || api === 'inquiryRegistrationStatus' ? 'merchants' : 'payments';
      const path = `/aps/api/v1/${group}/${api}`;
      const clientId = callOptions.clientId ?? CLIENT_ID;
      const bytes = Buffer.from(callOptions.raw ?? JSON.stringify(body), 'utf8');
      const time = formatJstIso(new Date());
      const signature = signMessage(
        loadPrivateKey(callOptions.privateKeyPem ?? acqp.privateKeyPem),
        path,
        clientId,
        time,
        bytes,
      );
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          'Content-Type': JSON_CONTENT_TYPE,
          'Client-Id': clientId,
          'Request-Time': time,
          Signature: signature,
        },
        body: callOptions.tamperedText === undefined ? bytes : Buffer.from(callOptions.tamperedText, 'utf8'),
        signal: AbortSignal.timeout(callOptions.timeoutMs ?? 15_000),
      });
      const answer = Buffer.from(await response.arrayBuffer());
      const verified = verifyMessage(
        sandboxKey,
        path,
        response.headers.get('client-id') ?? '',
        response.headers.get('response-time') ?? '',
        answer,
        response.headers.get('signature') ?? '',
      );
      const text = answer.toString('utf8');
      return { status: response.status, headers: response.headers, text, body: safeJson(text), verified };
    },
    async control(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: safeJson(text) };
    },
    close: () => app.close(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

let sequence = 0;

/** A well-formed Cashier Payment `pay` body (alipayplus.md, pay) for `amount` yen. */
export function payBody(
  amount: number,
  overrides: Record<string, unknown> = {},
  notifyUrl = 'http://127.0.0.1:9/notify',
) {
  sequence += 1;
  return {
    paymentRequestId: `PR${Date.now()}${sequence}${Math.random().toString(36).slice(2, 8)}`,
    paymentAmount: { currency: 'JPY', value: String(amount) },
    paymentMethod: { paymentMethodType: 'CONNECT_WALLET' },
    paymentFactor: { isInStorePayment: 'false', isCashierPayment: 'true', presentmentMode: 'UNIFIED' },
    paymentNotifyUrl: notifyUrl,
    paymentRedirectUrl: 'http://127.0.0.1:9/f01/payments/TOKEN/return',
    settlementStrategy: { settlementCurrency: 'JPY' },
    order: {
      referenceOrderId: `ORDER${sequence}`,
      orderDescription: 'Green tea set',
      orderAmount: { currency: 'JPY', value: String(amount) },
      merchant: {
        referenceMerchantId: '30000',
        merchantMCC: '5999',
        merchantName: 'Kessai Demo Shop',
        merchantDisplayName: 'Kessai デモショップ',
        merchantAddress: { region: 'JP', city: 'Tokyo' },
        merchantRegisterDate: '2026-01-01T00:00:00+09:00',
      },
      buyer: { referenceBuyerId: 'CUST1' },
      env: { terminalType: 'WEB', userAgent: 'Mozilla/5.0', clientIp: '192.0.2.1' } as Record<string, string>,
    },
    ...overrides,
  };
}

export interface ReceivedNotification {
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary wire fields
  body: any;
  headers: IncomingMessage['headers'];
  /** Whether the sandbox's signature on it verifies. */
  verified: boolean;
}

export type AcqpBehaviour = 'ok' | 'http500' | 'unsigned' | 'badSignature' | 'resultF';

/** A test ACQP notify endpoint; `behave` decides each answer (by 1-based arrival number). */
export interface TestAcqp {
  notifyUrl: string;
  received: ReceivedNotification[];
  behave: (n: number) => AcqpBehaviour;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedNotification[]>;
  close(): Promise<void>;
}

export async function startAcqp(): Promise<TestAcqp> {
  const { sandbox, acqp } = testKeys();
  const sandboxKey = loadPublicKey(sandbox.publicKeyPem);
  const acqpKey = loadPrivateKey(acqp.privateKeyPem);
  const path = '/alipayplus/notifyPayment';
  const state: TestAcqp = {
    notifyUrl: '',
    received: [],
    behave: () => 'ok',
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (state.received.length < count) {
        if (Date.now() > deadline)
          throw new Error(`expected ${count} notifications, got ${state.received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return state.received;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const verified = verifyMessage(
        sandboxKey,
        request.url ?? '',
        String(request.headers['client-id'] ?? ''),
        String(request.headers['request-time'] ?? ''),
        bytes,
        String(request.headers.signature ?? ''),
      );
      state.received.push({ body: safeJson(bytes.toString('utf8')), headers: request.headers, verified });
      const behaviour = state.behave(state.received.length);
      if (behaviour === 'http500') {
        response.writeHead(500).end('oops');
        return;
      }
      const status = behaviour === 'resultF' ? 'F' : 'S';
      const answer = Buffer.from(
        JSON.stringify({
          result: {
            resultCode: status === 'S' ? 'SUCCESS' : 'PROCESS_FAIL',
            resultStatus: status,
            resultMessage: 'x',
          },
        }),
      );
      const time = formatJstIso(new Date());
      const headers: Record<string, string> = {
        'Content-Type': JSON_CONTENT_TYPE,
        'Client-Id': CLIENT_ID,
        'Response-Time': time,
      };
      if (behaviour !== 'unsigned') {
        const signature = signMessage(acqpKey, path, CLIENT_ID, time, answer);
        headers.Signature =
          behaviour === 'badSignature' ? signature.replace('signature=', 'signature=AA') : signature;
      }
      response.writeHead(200, headers).end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.notifyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return state;
}
