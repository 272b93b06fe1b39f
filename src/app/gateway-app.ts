import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { adminRoutes } from '../admin/admin.routes';
import { notifyRoute } from '../alipayplus/notify.route';
import { linkRoutes } from '../channels/link/link.routes';
import { xmlApiRoutes } from '../channels/xml-api/xml-api.routes';
import type { Database } from '../db/database';
import type { Clock } from '../kernel/clock';
import type { NotificationService } from '../notifications/notification.service';
import type { PaymentService } from '../payments/payment.service';
import type { RefundService } from '../refunds/refund.service';
import type { Config } from './config';
import type { GatewayKeys } from './keys';
import type { Logger } from './logger';

/** The largest request body the gateway reads (merchant-link-type.md, check 1). */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface GatewayAppDeps {
  config: Config;
  db: Kysely<Database>;
  clock: Clock;
  payments: PaymentService;
  notifications: NotificationService;
  refunds: RefundService;
  keys: GatewayKeys;
  logger: Logger;
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
  });

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });

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

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) => {
    reply.header('Content-Type', metrics.contentType);
    return metrics.metrics();
  });

  await app.register(notifyRoute, {
    payments: deps.payments,
    clock: deps.clock,
    clientId: deps.config.alipayplus.clientId,
    privateKey: deps.keys.privateKey,
    alipayPublicKey: deps.keys.alipayPublicKey,
  });
  await app.register(linkRoutes, {
    db: deps.db,
    clock: deps.clock,
    mode: deps.config.mode,
    payments: deps.payments,
    notifications: deps.notifications,
  });
  await app.register(adminRoutes, {
    db: deps.db,
    clock: deps.clock,
    notifications: deps.notifications,
    refunds: deps.refunds,
  });

  await app.register(xmlApiRoutes, { db: deps.db, clock: deps.clock, refunds: deps.refunds });

  return app;
}
