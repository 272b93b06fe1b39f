import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { registerPageHeaders } from '../../app/page-headers';
import type { Database, PaymentRow } from '../../db/database';
import { maintenanceFor, purchaseBlockFor } from '../../governance/availability';
import { openOutage } from '../../governance/outage';
import { encodeText } from '../../kernel/charset';
import type { Clock } from '../../kernel/clock';
import type { MerchantService, ServiceWithMerchant } from '../../merchants/merchant.service';
import type { Resolver } from '../../notifications/merchant-endpoint';
import type { NotificationService } from '../../notifications/notification.service';
import type { Payment, PaymentService, ShopperOutcome } from '../../payments/payment.service';
import { chooseLanguage } from './i18n';
import {
  checkPurchaseRequest,
  type ExistingOrder,
  LINK_ERROR_CODES,
  type LinkErrorCode,
  type PurchaseCheckDeps,
  resumableToken,
  type ServiceForCheck,
  serviceRefusal,
} from './purchase-request';
import { RefusalLimiter } from './refusal-limiter';
import { browserResultPairs, type LinkResult, linkResultOf, resultCharset } from './result-form';
import { renderAutoPostPage } from './views/auto-post-page';
import { renderConfirmingPage } from './views/confirming-page';
import { type ErrorPageProps, renderErrorPage } from './views/error-page';
import { renderProviderUnavailablePage } from './views/provider-unavailable-page';
import { renderSelectionPage } from './views/selection-page';

export interface LinkRoutesOptions {
  db: Kysely<Database>;
  clock: Clock;
  mode: 'demo' | 'production';
  /** Name resolution for merchant URLs (the system resolver unless a test stands in for DNS). */
  resolve?: Resolver;
  payments: PaymentService;
  merchants: MerchantService;
  notifications: NotificationService;
}

/** A service as the purchase checks see it, with the read it came from, which `pay` is sent with. */
type CheckedService = ServiceForCheck & { found: ServiceWithMerchant };

/** The A02-1 first attempt is awaited this long before the browser is sent to the result URL. */
const FIRST_NOTIFICATION_WAIT_MS = 5_000;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/**
 * The Link Type hosted pages (merchant-link-type.md): A01-1, the method-selection screen, the way
 * to Alipay+ and back, and the A03-1 result post. The payment is identified by the unguessable
 * token in the URL, never by a cookie or the tracking id.
 */
export async function linkRoutes(app: FastifyInstance, options: LinkRoutesOptions): Promise<void> {
  const { db, clock, mode, resolve, payments, merchants, notifications } = options;
  const limiter = new RefusalLimiter({ clock });

  // The A01-1 body is read as bytes: its charset is decided per request (Encoding).
  // Every body, whatever its Content-Type says, is bytes here: the protocol decides how to read it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Pages: no framing, no referrer (the token must not leak to other sites), scripts only by nonce.
  await registerPageHeaders(app, { hsts: false });

  const languageOf = (request: FastifyRequest) =>
    chooseLanguage(
      request.headers['accept-language'],
      (request.query as { lang?: string } | undefined)?.lang,
    );

  function sendHtml(reply: FastifyReply, status: number, html: string) {
    return reply.code(status).type('text/html; charset=utf-8').send(html);
  }

  function refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    code: LinkErrorCode,
    field: string | null,
    status: number,
    page: Pick<ErrorPageProps, 'maintenanceEndsAt' | 'returnToken'> = {},
  ) {
    return sendHtml(
      reply,
      status,
      renderErrorPage({ code, field, nonce: request.cspNonce, requestId: request.id, ...page }),
    );
  }

  /**
   * A refused A01-1, or a refused pay of a payment it made: logged in the merchant's payment-error
   * log (unless this address is over its refusal budget) and shown.
   */
  async function refusePurchase(
    request: FastifyRequest,
    reply: FastifyReply,
    refusal: {
      code: LinkErrorCode;
      field: string | null;
      httpStatus: number;
      authenticated: boolean;
      merchantId: string;
      serviceId: string;
      orderId: string;
      maintenanceEndsAt?: Date;
      /** A refused pay: the payment the page offers to leave ("return to shop"). */
      returnToken?: string;
    },
  ) {
    if (!limiter.admit(request.ip)) return refuse(request, reply, '1102', null, 429);
    await merchants.recordPaymentError({
      merchantId: refusal.merchantId,
      serviceId: refusal.serviceId,
      code: refusal.code,
      field: refusal.field,
      orderId: refusal.orderId,
      userAgent: request.headers['user-agent'] ?? '',
      clientIp: request.ip,
      authenticated: refusal.authenticated,
      at: clock.now(),
    });
    return refuse(request, reply, refusal.code, refusal.field, refusal.httpStatus, {
      maintenanceEndsAt: refusal.maintenanceEndsAt,
      returnToken: refusal.returnToken,
    });
  }

  // Check 1: an oversized body never reaches the handler; it is refused as 5103 with HTTP 413.
  app.setErrorHandler(async (error, request, reply) => {
    if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return refusePurchase(request, reply, {
        code: '5103',
        field: null,
        httpStatus: 413,
        authenticated: false,
        merchantId: '',
        serviceId: '',
        orderId: '',
      });
    }
    const status = (error as { statusCode?: number }).statusCode;
    // Anything else the HTTP layer refuses (a malformed header, a broken body) is bad input, not ours.
    if (status !== undefined && status >= 400 && status < 500)
      return refuse(request, reply, '5103', null, status);
    request.log.error({ err: error, reqId: request.id }, 'unhandled error on a hosted page');
    return refuse(request, reply, '1101', null, 500);
  });

  const checkDeps = (): PurchaseCheckDeps<CheckedService> => ({
    now: clock.now(),
    mode,
    resolve,
    async findService(merchantId, serviceId) {
      const found = await merchants.findServiceWithMerchant(merchantId, serviceId);
      if (!found) return null;
      return {
        merchantId,
        serviceId,
        hashKey: found.service.hash_key,
        encoding: found.service.encoding === 'UTF-8' ? 'UTF-8' : 'Shift_JIS',
        urlHosts: found.urlHosts,
        active: found.service.active === 1,
        maintenance: found.service.maintenance === 1,
        merchantSuspended: found.merchant.suspended === 1,
        merchantDisplayName: found.merchant.display_name,
        found,
      };
    },
    maintenanceFor: (merchantId, serviceId) => maintenanceFor(db, { merchantId, serviceId }, clock.now()),
    isPurchaseBlocked: async (service) =>
      (await purchaseBlockFor(
        db,
        { ...service, approvedSubBrands: service.found.approvedWallets },
        clock.now(),
      )) !== null,
    findOrder,
  });

  async function findOrder(merchantId: string, serviceId: string, orderId: string) {
    const payment = await payments.findByOrderId(merchantId, serviceId, orderId);
    if (!payment) return null;
    return {
      token: payment.token,
      status: payment.status,
      fields: JSON.parse(payment.request_fields),
      details: JSON.parse(payment.details),
    } satisfies ExistingOrder;
  }

  app.post('/f01/FepBuyInfoReceive.do', async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const userAgent = request.headers['user-agent'] ?? '';
    const check = await checkPurchaseRequest(
      { body, contentType: request.headers['content-type'], userAgent, clientIp: request.ip },
      checkDeps(),
    );
    if (!check.ok) {
      if (check.resumeToken) return reply.redirect(`/f01/payments/${check.resumeToken}`, 303);
      return refusePurchase(request, reply, { ...check, ...check.partial });
    }
    const { request: purchase, service } = check;
    const { fields } = purchase;
    const created = await payments.createPayment({
      merchantId: fields.merchant_id,
      serviceId: fields.service_id,
      orderId: fields.order_id,
      amount: purchase.amount,
      custCode: fields.cust_code,
      itemId: fields.item_id,
      itemName: fields.item_name,
      requestFields: fields,
      details: purchase.details,
      freeCsv: fields.free_csv,
      charset: purchase.charset,
      terminal: purchase.device === 'SMARTPHONE' ? 'WAP' : 'WEB',
      osType: purchase.osType,
      userAgent,
      clientIp: request.ip,
      directToAlipay: purchase.directToAlipay,
    });
    if (created.kind === 'duplicate') {
      // Two requests raced past check 10: the database's unique key decided. A double submit of
      // the same form resumes the payment its twin made.
      const twin = await findOrder(fields.merchant_id, fields.service_id, fields.order_id);
      const resumeToken = resumableToken(twin, fields, purchase.details);
      if (resumeToken) return reply.redirect(`/f01/payments/${resumeToken}`, 303);
      return refusePurchase(request, reply, {
        code: '5107',
        field: 'order_id',
        httpStatus: 409,
        authenticated: true,
        merchantId: fields.merchant_id,
        serviceId: fields.service_id,
        orderId: fields.order_id,
      });
    }
    if (purchase.directToAlipay) {
      return respond(request, reply, await payments.continueToAlipay(created.payment, service.found));
    }
    return reply.redirect(`/f01/payments/${created.payment.token}`, 303);
  });

  app.get<{ Params: { token: string }; Querystring: { lang?: string } }>(
    '/f01/payments/:token',
    async (request, reply) => {
      const payment = await findByToken(request.params.token);
      if (!payment) return refuse(request, reply, '5108', null, 404);
      if (payment.status !== 'REQUESTED') {
        return respond(request, reply, await payments.settleOnReturn(payment.token));
      }
      return sendHtml(
        reply,
        200,
        renderSelectionPage({
          token: payment.token,
          lang: languageOf(request),
          merchantName: (await merchants.merchantDisplayName(payment.merchant_id)) ?? '',
          orderId: payment.order_id,
          itemName: payment.item_name || payment.item_id,
          amount: payment.amount,
          nonce: request.cspNonce,
          disturbed: (await openOutage(db)) !== null,
        }),
      );
    },
  );

  app.post<{ Params: { token: string } }>('/f01/payments/:token/alipayplus', async (request, reply) => {
    const payment = await findByToken(request.params.token);
    if (!payment) return refuse(request, reply, '5108', null, 404);
    // A payment not yet sent asks again what a new A01-1 would be told. One already IN_PROGRESS is
    // not: Alipay+ may have taken the money, and the re-send must go on to learn the outcome.
    let service: CheckedService | null = null;
    if (payment.status === 'REQUESTED') {
      const deps = checkDeps();
      service = await deps.findService(payment.merchant_id, payment.service_id);
      const refusal = await serviceRefusal(service, deps);
      if (refusal !== null) {
        return refusePurchase(request, reply, {
          ...refusal,
          field: null,
          httpStatus: LINK_ERROR_CODES[refusal.code].httpStatus,
          // The payment exists, so its A01-1 passed the hash check.
          authenticated: true,
          merchantId: payment.merchant_id,
          serviceId: payment.service_id,
          orderId: payment.order_id,
          returnToken: payment.token,
        });
      }
    }
    return respond(request, reply, await payments.startAlipay(payment.token, service?.found));
  });

  // An unknown token is answered by `respond` (notFound) as a malformed one is here: 5108, 404.
  app.post<{ Params: { token: string } }>('/f01/payments/:token/cancel', async (request, reply) => {
    if (!TOKEN_PATTERN.test(request.params.token)) return refuse(request, reply, '5108', null, 404);
    return respond(request, reply, await payments.cancelByShopper(request.params.token));
  });

  app.get<{ Params: { token: string } }>('/f01/payments/:token/return', async (request, reply) => {
    if (!TOKEN_PATTERN.test(request.params.token)) return refuse(request, reply, '5108', null, 404);
    return respond(request, reply, await payments.settleOnReturn(request.params.token));
  });

  async function findByToken(token: string): Promise<Payment | undefined> {
    return TOKEN_PATTERN.test(token) ? payments.findByToken(token) : undefined;
  }

  async function respond(request: FastifyRequest, reply: FastifyReply, outcome: ShopperOutcome) {
    const nonce = request.cspNonce;
    switch (outcome.kind) {
      case 'notFound':
        return refuse(request, reply, '5108', null, 404);
      case 'redirect':
        return reply.redirect(outcome.url, 303);
      case 'selection':
        return reply.redirect(`/f01/payments/${outcome.payment.token}`, 303);
      case 'pending':
        // The confirming page refreshes itself by GET: after a POST it must live at the return URL.
        if (request.method !== 'GET')
          return reply.redirect(`/f01/payments/${outcome.payment.token}/return`, 303);
        return sendHtml(
          reply,
          200,
          renderConfirmingPage({ token: outcome.payment.token, lang: languageOf(request), nonce }),
        );
      case 'unavailable':
        return sendHtml(
          reply,
          LINK_ERROR_CODES['4301'].httpStatus,
          renderProviderUnavailablePage({
            token: outcome.payment.token,
            lang: languageOf(request),
            nonce,
            requestId: request.id,
          }),
        );
      case 'final':
        return sendResultPage(request, reply, outcome.payment);
    }
  }

  /** A03-1: an auto-submitting form to the merchant's result URL, in the service's encoding. */
  async function sendResultPage(request: FastifyRequest, reply: FastifyReply, payment: PaymentRow) {
    const service = await merchants.findService(payment.merchant_id, payment.service_id);
    if (!service) throw new Error(`service of payment ${payment.tracking_id} not found`);
    await waitForFirstNotification(payment.tracking_id);
    const echoed = JSON.parse(payment.request_fields) as Record<string, string>;
    const { result, errCode, url } = resultOf(payment, echoed);
    const charset = resultCharset(service.encoding, payment.charset);
    const pairs = browserResultPairs(
      payment,
      { result, errCode, resDate: clock.now() },
      service.hash_key,
      charset,
    );
    const label = charset === 'utf-8' ? 'UTF-8' : 'Shift_JIS';
    const { html } = renderAutoPostPage({
      action: url,
      pairs,
      acceptCharset: label,
      nonce: request.cspNonce,
    });
    const bytes = encodeText(html, charset);
    if (!bytes) throw new Error('result page cannot be encoded in the service encoding');
    return reply.code(200).type(`text/html; charset=${label}`).send(bytes);
  }

  /** The merchant should know the result when the shopper lands (A02-1: first attempt first). */
  async function waitForFirstNotification(trackingId: string): Promise<void> {
    const until = Date.now() + FIRST_NOTIFICATION_WAIT_MS;
    while (!(await notifications.firstAttemptsMade(trackingId)) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

function resultOf(
  payment: PaymentRow,
  echoed: Record<string, string>,
): { result: LinkResult; errCode: string; url: string } {
  const { result, errCode } = linkResultOf(payment.status);
  if (result === 'OK') return { result, errCode, url: echoed.success_url ?? '' };
  if (payment.status === 'CANCELED') return { result, errCode, url: echoed.cancel_url ?? '' };
  return { result, errCode, url: echoed.error_url ?? '' };
}
