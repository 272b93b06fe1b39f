import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { adminRoutes } from '../admin/admin.routes';
import { writeAudit } from '../admin/audit.repository';
import { notifyRoute } from '../alipayplus/notify.route';
import { linkRoutes } from '../channels/link/link.routes';
import { isInquiryHash, rememberInquiryHash } from '../channels/xml-api/inquiry-hash.repository';
import { xmlApiRoutes } from '../channels/xml-api/xml-api.routes';
import type { Database } from '../db/database';
import { statusRoutes } from '../governance/status.routes';
import { subBrandPublicRoutes } from '../governance/sub-brand-public.routes';
import type { SubBrandReviewService } from '../governance/sub-brand-review.service';
import type { Clock } from '../kernel/clock';
import { randomText } from '../kernel/ids';
import { DEMO_MERCHANT_ID, DEMO_SERVICE_ID, keepDemoApiPassword } from '../merchants/demo-seed';
import { MerchantService } from '../merchants/merchant.service';
import type { Resolver } from '../notifications/merchant-endpoint';
import type { NotificationService } from '../notifications/notification.service';
import type { PaymentService } from '../payments/payment.service';
import type { RefundService } from '../refunds/refund.service';
import type { Config } from './config';
import { registerFavicon } from './favicon';
import type { GatewayKeys } from './keys';
import { renderLandingPage } from './landing-page';
import { type Logger, QuietRequestLogs } from './logger';
import { type GatewayMetrics, serveMetrics } from './metrics';

/** The largest request body the gateway reads (merchant-link-type.md, check 1). */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface GatewayAppDeps {
  config: Config;
  db: Kysely<Database>;
  clock: Clock;
  payments: PaymentService;
  notifications: NotificationService;
  refunds: RefundService;
  registrations: SubBrandReviewService;
  keys: GatewayKeys;
  logger: Logger;
  /** Name resolution for merchant URLs (the system resolver unless a test stands in for DNS). */
  resolve?: Resolver;
  metrics: GatewayMetrics;
}

/** The gateway's HTTP listener: hosted pages, the notify endpoint, health and metrics. */
export async function buildGatewayApp(deps: GatewayAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // A client that sends its headers and then dribbles (or never finishes) its body loses the
    // connection after this long; bodies are at most 64 KiB.
    requestTimeout: 30_000,
    trustProxy: deps.config.trustProxy.length > 0 ? deps.config.trustProxy.join(',') : false,
    // Stopping (SIGTERM) lets the requests already on their way be served, rather than answering
    // them 503: a shopper's purchase or Alipay+'s notification must not fail because of a deploy.
    // New connections are refused meanwhile, so the load balancer sends them elsewhere.
    return503OnClosing: false,
    // Unique across processes and restarts, so that the id a merchant or shopper quotes finds the
    // log lines; never taken from the client.
    genReqId: newRequestId,
    // The demo's terminal gets one readable line per request, at debug level (configuration.md).
    ...(deps.config.mode === 'demo' ? { logController: new QuietRequestLogs() } : {}),
  });

  // Set before the plugins are registered, so that they inherit it. Anything unexpected is a
  // logged 500 with a request id, never a stack trace.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error, reqId: request.id }, 'unhandled error');
    return reply
      .code(status)
      .type('text/plain; charset=utf-8')
      .send(status === 500 ? `system error (request ${request.id})` : error.message);
  });

  // Every answer names its request (logs carry it as `reqId`); error pages and XML errors show it too.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).type('text/plain; charset=utf-8').send(`not found (request ${request.id})`),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  registerFavicon(app, [10, 88, 202]);
  app.get('/', (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderLandingPage(gatewayLanding(deps.config))),
  );
  // Production serves metrics only on their own port (KESSAI_METRICS_PORT), never to the public.
  if (deps.config.mode === 'demo') serveMetrics(app, deps.metrics.registry);

  // The channels read and write merchant data through this service, never through its repositories.
  const merchants = new MerchantService(deps.db);
  await app.register(notifyRoute, {
    payments: deps.payments,
    registrations: deps.registrations,
    clock: deps.clock,
    clientId: deps.config.alipayplus.clientId,
    privateKey: deps.keys.privateKey,
    alipayPublicKey: deps.keys.alipayPublicKey,
  });
  await app.register(linkRoutes, {
    db: deps.db,
    clock: deps.clock,
    mode: deps.config.mode,
    resolve: deps.resolve,
    payments: deps.payments,
    merchants,
    notifications: deps.notifications,
  });
  await app.register(adminRoutes, {
    db: deps.db,
    clock: deps.clock,
    notifications: deps.notifications,
    refunds: deps.refunds,
    payoutOriginator: deps.config.payoutOriginator,
    registrations: deps.registrations,
    // The demo shop signs its refunds with the demo service's password kept in the data folder:
    // a reset in the console replaces it there too, so the shop keeps working.
    apiPasswordIssued:
      deps.config.mode === 'demo'
        ? (service: { merchantId: string; serviceId: string }, password: string) => {
            if (service.merchantId === DEMO_MERCHANT_ID && service.serviceId === DEMO_SERVICE_ID) {
              keepDemoApiPassword(deps.config.dataDir, password);
            }
          }
        : undefined,
  });

  await app.register(subBrandPublicRoutes, { db: deps.db, gatewayPublicUrl: deps.config.gateway.publicUrl });
  await app.register(xmlApiRoutes, {
    db: deps.db,
    clock: deps.clock,
    payments: deps.payments,
    refunds: deps.refunds,
    merchants,
    inquiryHashes: {
      remember: (entry, now) => rememberInquiryHash(deps.db, entry, now),
      isInquiryHash: (merchantId, serviceId, hashcode, now) =>
        isInquiryHash(deps.db, merchantId, serviceId, hashcode, now),
    },
    audit: (entry) => writeAudit(deps.db, { ...entry, actorUserId: null }),
  });
  await app.register(statusRoutes, { db: deps.db, clock: deps.clock });

  return app;
}

function gatewayLanding(config: Config) {
  const demo =
    config.mode === 'demo'
      ? [
          {
            href: `${config.shop.publicUrl}/`,
            label: 'Demo shop',
            note: 'buy something with Alipay+ (demo)',
          },
          {
            href: `${config.sandbox.publicUrl}/sandbox`,
            label: 'Alipay+ sandbox console',
            note: 'payments, notifications and faults of the sandbox (demo)',
          },
        ]
      : [];
  return {
    title: 'Kessai payment gateway',
    lead: "Alipay+ for Japanese merchants. Shoppers arrive here from a merchant's checkout form.",
    links: [
      {
        href: '/admin',
        label: 'Payment management tool',
        note: 'search, refunds, settings, users, audit log',
      },
      ...demo,
      {
        href: 'POST /f01/FepBuyInfoReceive.do',
        label: 'Purchase request (A01-1)',
        note: "the merchant's checkout form posts here",
        endpoint: true,
      },
      {
        href: 'POST /api/xmlapi.do',
        label: 'XML API',
        note: "refunds and payment inquiries from the merchant's server (Basic auth)",
        endpoint: true,
      },
      { href: '/status', label: 'Status', note: 'outages and scheduled maintenance (also /status.json)' },
      { href: '/healthz', label: 'Health check', note: 'answers {"status":"ok"}' },
      { href: '/metrics', label: 'Metrics', note: 'Prometheus text format' },
    ],
  };
}

function newRequestId(): string {
  return randomText(8, 'hex');
}
