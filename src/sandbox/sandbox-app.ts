import { mkdirSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerFavicon } from '../app/favicon';
import { renderLandingPage } from '../app/landing-page';
import { type Clock, OffsetClock } from '../kernel/clock';
import { loadPrivateKey, loadPublicKey } from '../kernel/rsa';
import { apiRoutes } from './api-routes';
import { guardControlAccess } from './control-access';
import { controlRoutes } from './control-routes';
import { FaultTable } from './faults';
import { FxTable } from './fx';
import { Notifier } from './notifier';
import { consoleRoutes } from './pages/console-routes';
import { pageRoutes } from './pages/page-routes';
import { SandboxRegistrations } from './registrations';
import { ReportGenerator } from './reports/report-generator';
import { type ReportSftpServer, startReportSftpServer } from './reports/sftp-server';
import { SandboxService } from './sandbox-service';
import { SandboxSigner } from './signer';
import { SandboxStore } from './store';
import { SandboxUrls } from './urls';

export interface SandboxOptions {
  /** 'sqlite:<file>' | 'sqlite::memory:' | 'postgres://…' — the sandbox's own store. */
  databaseUrl: string;
  /** e.g. http://localhost:8081 — base of cashierUrl/normalUrl, QR contents, wallet links. */
  publicUrl: string;
  /** Scales notification retry intervals and magic delays (except 5002's 10 s). */
  timeFactor: number;
  /** Seconds until the automatic merchant review decides (governance.md §1); default 3. */
  reviewSeconds?: number;
  /** The sandbox's own RSA private key (signs responses and notifications). */
  privateKeyPem: string;
  /** Published at GET /sandbox/v1/public-key. */
  publicKeyPem: string;
  /** clientId -> ACQP public key (PEM or bare base64), registered at start. */
  clients?: Record<string, string>;
  /** Default: an OffsetClock, which POST /sandbox/v1/clock moves. */
  clock?: Clock;
  /** Fastify logger on/off (default off). */
  logger?: boolean;
  /**
   * Lets callers other than loopback use the control API and the console when they present this
   * token; without it they are refused.
   */
  controlToken?: string;
  /** Overrides of the reference rates JPY → wallet currency, e.g. { PHP: '0.3871' }. */
  fxRates?: Partial<Record<string, string>>;
  /** Writes the clearing and settlement reports and serves them over SFTP; none without it. */
  reports?: SandboxReportOptions;
}

export interface SandboxReportOptions {
  /** The participant's folder tree (created if absent). */
  root: string;
  participantId: string;
  feeBps: number;
  settlementLagDays: number;
  sftp: { host: string; port: number; username: string; password: string; hostKey: string | Buffer };
}

/** The SFTP server of each sandbox app, for the composition root to learn its port (0 = any). */
const sftpServers = new WeakMap<FastifyInstance, ReportSftpServer>();

export function reportSftpPort(app: FastifyInstance): number | undefined {
  return sftpServers.get(app)?.port;
}

const DEFAULT_REVIEW_SECONDS = 3;

const SANDBOX_LANDING = renderLandingPage({
  title: 'Alipay+ sandbox',
  lead: 'A stand-in for Alipay+: its API, the cashier and wallet pages shoppers see, and a console.',
  links: [
    {
      href: '/sandbox',
      label: 'Sandbox console',
      note: 'orders, notifications, API calls, faults, the clock',
    },
    { href: '/sandbox/v1/public-key', label: 'Public key', note: "the sandbox's RSA public key (PEM)" },
    { href: '/sandbox/v1/faults', label: 'Faults', note: 'the injected faults (control API, JSON)' },
    { href: '/sandbox/v1/clock', label: 'Clock', note: "the sandbox's clock offset (control API, JSON)" },
    {
      href: 'POST /aps/api/v1/payments/pay',
      label: 'Alipay+ API',
      note: 'pay, inquiryPayment, cancelPayment, refund — signed JSON, as the real Alipay+',
      endpoint: true,
    },
    {
      href: 'POST /aps/api/v1/merchants/registration',
      label: 'Merchant registration',
      note: 'registration, inquiryRegistrationStatus — each wallet reviews the merchant',
      endpoint: true,
    },
    { href: '/healthz', label: 'Health check', note: 'answers {"status":"ok"}' },
  ],
});

/**
 * The Alipay+ sandbox (sandbox.md): API, shopper pages, console and control API on one Fastify
 * app, over its own store. Returned not yet listening; closing it stops the notification timers
 * and closes the store.
 */
export async function buildSandboxApp(options: SandboxOptions): Promise<FastifyInstance> {
  if (!Number.isFinite(options.timeFactor) || options.timeFactor <= 0) {
    throw new Error(`sandbox timeFactor must be a positive number, got ${options.timeFactor}`);
  }
  if (!URL.canParse(options.publicUrl) || !/^https?:/.test(options.publicUrl)) {
    throw new Error(`sandbox publicUrl must be an absolute http(s) URL, got "${options.publicUrl}"`);
  }
  const urls = new SandboxUrls(options.publicUrl);
  const fx = new FxTable(options.fxRates);
  const privateKey = loadPrivateKey(options.privateKeyPem);
  loadPublicKey(options.publicKeyPem);
  const clients = Object.entries(options.clients ?? {});
  for (const [clientId, key] of clients) {
    try {
      loadPublicKey(key);
    } catch {
      throw new Error(`sandbox client ${clientId}: the public key is neither PEM nor base64 SPKI`);
    }
  }

  const store = await SandboxStore.open(options.databaseUrl);
  try {
    const clock = options.clock ?? new OffsetClock();
    for (const [clientId, key] of clients) await store.putClient(clientId, key, clock.now().getTime());

    const app = Fastify({ logger: options.logger ?? false });
    const closing = new AbortController();
    const signer = new SandboxSigner(privateKey, store, clock);
    const faults = new FaultTable();
    const notifier = new Notifier({
      store,
      signer,
      clock,
      faults,
      timeFactor: options.timeFactor,
      logError: (message, error) => app.log.error({ err: error }, message),
    });
    const service = new SandboxService({ store, clock, fx, urls, notifier, timeFactor: options.timeFactor });
    const reports = options.reports && (await startReports(options.reports, { store, clock, faults }, app));
    const registrations = new SandboxRegistrations({
      store,
      clock,
      notifier,
      reviewSeconds: options.reviewSeconds ?? DEFAULT_REVIEW_SECONDS,
      logError: (message, error) => app.log.error({ err: error }, message),
    });

    app.addHook('onClose', async () => {
      closing.abort();
      registrations.close();
      await reports?.stop();
      await notifier.close();
      await store.close();
    });

    app.get('/healthz', async () => ({ status: 'ok' }));
    registerFavicon(app, [22, 119, 255]);
    app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(SANDBOX_LANDING));
    await app.register(async (scope) =>
      apiRoutes(scope, { service, registrations, signer, faults, store, clock, closing: closing.signal }),
    );
    await app.register(async (scope) => pageRoutes(scope, { service, urls }));
    await app.register(async (scope) => {
      guardControlAccess(scope, options.controlToken);
      await scope.register(async (control) =>
        controlRoutes(control, {
          service,
          store,
          faults,
          clock,
          notifier,
          registrations,
          signer,
          publicKeyPem: options.publicKeyPem,
          reports: reports?.generator,
        }),
      );
      await scope.register(async (console) =>
        consoleRoutes(console, { service, registrations, store, faults, clock }),
      );
    });

    // Notifications still pending from an earlier run carry on where they were.
    await notifier.rearm();
    await registrations.rearm();
    return app;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** How often the report writer looks at the clock (real time, scaled like the other delays). */
const REPORT_TICK_MS = 10_000;

async function startReports(
  options: SandboxReportOptions,
  deps: { store: SandboxStore; clock: Clock; faults: FaultTable },
  app: FastifyInstance,
): Promise<{ generator: ReportGenerator; stop(): Promise<void> }> {
  mkdirSync(options.root, { recursive: true, mode: 0o700 });
  const generator = new ReportGenerator({ ...deps, ...options });
  const server = await startReportSftpServer({ root: options.root, ...options.sftp });
  sftpServers.set(app, server);
  const timer = setInterval(() => {
    generator.run().catch((error: unknown) => app.log.error({ err: error }, 'writing the reports failed'));
  }, REPORT_TICK_MS);
  timer.unref();
  return {
    generator,
    async stop() {
      clearInterval(timer);
      await generator.idle();
      await server.close();
    },
  };
}
