import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registerFavicon } from '../app/favicon';
import { type Charset, charsetLabel, encodeText } from '../kernel/charset';
import { type Clock, systemClock } from '../kernel/clock';
import { hexDigestsEqual } from '../kernel/hashing';
import { formatJstCompact } from '../kernel/jst';
import { chooseOrder, purchaseForm } from './checkout';
import { OrderBook, type PaymentAtGateway } from './order-book';
import { inquirePayment, type RefundClient, requestRefund } from './refunds';
import { parseFormBody, readResultForm } from './result-form';
import {
  CheckoutRedirectPage,
  MessagePage,
  OrdersPage,
  ResultPage,
  type ResultPath,
  renderPage,
  ShopPage,
} from './shop-pages';

/**
 * The demo shop: a small merchant storefront that speaks the Link Type protocol to the gateway the
 * way a merchant would (merchant-link-type.md) — the reference integration merchants can copy.
 */
export interface ShopOptions {
  /** The shop's own absolute base, put into success/cancel/error/pagecon URLs. */
  publicUrl: string;
  /** The gateway's base; the A01-1 form posts to `${gatewayUrl}/f01/FepBuyInfoReceive.do`. */
  gatewayUrl: string;
  merchantId: string;
  serviceId: string;
  hashKey: string;
  /** The service's encoding: of the A01-1 post, and of the A02-1/A03-1 the gateway sends back. */
  encoding: 'Shift_JIS' | 'UTF-8';
  /**
   * The service's XML API password, for the refund buttons and the orders page's inquiries;
   * without it they are not offered. A function is asked each time (the demo follows a rotation).
   */
  apiPassword?: string | null | (() => Promise<string | null>);
  clock?: Clock;
  logger?: boolean;
}

/** The orders page asks the gateway about this many of the newest orders at most. */
const INQUIRED_ORDERS = 50;

/** The Link Type's own body limit (A01-1, check 1) is ample for every form the shop receives. */
const BODY_LIMIT = 64 * 1024;

function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).type('text/html; charset=UTF-8').header('cache-control', 'no-store').send(html);
}

/** Builds the shop (not listening yet; the caller listens). */
export async function buildShopApp(options: ShopOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? systemClock;
  // Windows-31J is what "Shift_JIS" means on the wire (merchant-link-type.md, Encoding).
  const charset: Charset = options.encoding === 'UTF-8' ? 'utf-8' : 'windows-31j';
  const gatewayAction = `${options.gatewayUrl.replace(/\/+$/, '')}/f01/FepBuyInfoReceive.do`;
  const orders = new OrderBook();
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: BODY_LIMIT });

  // Forms arrive in the service's encoding, not UTF-8: keep the bytes and decode them per route.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );

  app.setNotFoundHandler((_request, reply) =>
    sendHtml(reply, 404, renderPage(MessagePage({ ja: 'ページが見つかりません', en: 'Page not found' }))),
  );
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'demo shop request failed');
    const detail = status === 500 ? `Internal error (request ${request.id}).` : error.message;
    return sendHtml(reply, status, renderPage(MessagePage({ ja: 'エラー', en: 'Error', detail })));
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  registerFavicon(app, [63, 90, 54]);

  app.get('/', (_request, reply) => sendHtml(reply, 200, renderPage(ShopPage({}))));

  // Two steps so the order id, request_date and hash are made on the server, where the hash key lives.
  app.post('/checkout', (request, reply) => {
    const body = parseFormBody(rawBody(request), 'utf-8');
    const now = clock.now();
    const choice =
      body === null ? { ok: false as const, message: 'Unreadable form.' } : chooseOrder(body, now);
    if (!choice.ok) return sendHtml(reply, 400, renderPage(ShopPage({ error: choice.message })));
    orders.place(choice.order);
    const pairs = purchaseForm(choice.order, options, now);
    const label = charsetLabel(charset);
    const html = renderPage(
      CheckoutRedirectPage({ action: gatewayAction, pairs, charset: label, order: choice.order }),
    );
    const bytes = encodeText(html, charset);
    if (bytes === null) throw new Error(`the checkout page cannot be encoded in ${label}`);
    return reply
      .code(200)
      .type(`text/html; charset=${label}`)
      .header('cache-control', 'no-store')
      .send(bytes);
  });

  // A02-1: answer `OK,` once recorded; `NG,<message>` refuses (merchant-link-type.md, A02-1).
  app.post('/pagecon', (request, reply) => {
    reply.type('text/plain; charset=UTF-8');
    const result = readResultForm(rawBody(request), options.hashKey, 'A02-1', charset);
    if (!result.ok) return `NG,${result.reason}`;
    if (!result.hashValid) return 'NG,hash mismatch';
    const orderId = result.fields.order_id ?? '';
    const order = orders.get(orderId);
    if (order && result.fields.amount !== String(order.amount)) return 'NG,amount mismatch';
    // An order this process does not know was placed before a restart (orders live in memory): it is
    // recorded all the same, as the hash proves the gateway sent it.
    orders.recordNotification(orderId, { fields: result.fields, at: clock.now() });
    return 'OK,';
  });

  for (const path of ['success', 'cancel', 'error'] as const satisfies readonly ResultPath[]) {
    app.post(`/${path}`, (request, reply) => {
      const result = readResultForm(rawBody(request), options.hashKey, 'A03-1', charset);
      if (!result.ok) {
        const page = MessagePage({
          ja: '結果を読み取れません',
          en: 'Unreadable result',
          detail: result.reason,
        });
        return sendHtml(reply, 400, renderPage(page));
      }
      const view = orders.view(result.fields.order_id ?? '');
      const page = ResultPage({ path, fields: result.fields, hashValid: result.hashValid, view });
      return sendHtml(reply, result.hashValid ? 200 : 400, renderPage(page));
    });
  }

  // The orders page acts for the merchant: its forms carry a token, so another site cannot make
  // this shop refund by posting to it.
  const formToken = randomBytes(16).toString('hex');
  const configured = options.apiPassword ?? null;
  const apiPassword = typeof configured === 'function' ? configured : async () => configured;
  const refundClient = async (): Promise<RefundClient | null> => {
    const password = await apiPassword();
    return password
      ? {
          gatewayUrl: options.gatewayUrl.replace(/\/+$/, ''),
          merchantId: options.merchantId,
          serviceId: options.serviceId,
          hashKey: options.hashKey,
          apiPassword: password,
        }
      : null;
  };

  // The state of each paid order at the gateway — refunds from the console included — comes from
  // an inquiry (MG01-00101-510), as a merchant's back office would do it.
  app.get('/orders', async (_request, reply) => {
    const client = await refundClient();
    const views = orders.list();
    const atGateway = new Map<string, PaymentAtGateway>();
    if (client) {
      const now = clock.now();
      const known = views.filter((v) => v.trackingId !== undefined).slice(0, INQUIRED_ORDERS);
      await Promise.all(
        known.map(async (v) => {
          const payment = await inquirePayment(client, v.trackingId!, now);
          if (payment) atGateway.set(v.orderId, payment);
        }),
      );
    }
    return sendHtml(
      reply,
      200,
      renderPage(OrdersPage({ views, atGateway, refundsEnabled: client !== null, formToken })),
    );
  });

  // A refund of a paid order: full (no amount) or partial; `repeat` re-sends an earlier request as is.
  app.post<{ Params: { orderId: string } }>('/orders/:orderId/refund', async (request, reply) => {
    const body = parseFormBody(rawBody(request), 'utf-8') ?? {};
    const view = orders.view(request.params.orderId);
    const client = await refundClient();
    if (!client || !hexDigestsEqual(body.token ?? '', formToken)) {
      return sendHtml(reply, 403, renderPage(MessagePage({ ja: '操作できません', en: 'Not allowed' })));
    }
    if (view.state !== 'paid' || !view.trackingId) {
      return sendHtml(reply, 409, renderPage(MessagePage({ ja: '返金できません', en: 'Not refundable' })));
    }
    const repeat = body.repeat === undefined ? undefined : Number(body.repeat);
    const earlier = repeat === undefined ? undefined : view.refunds[repeat];
    const amount = earlier ? earlier.amount : (body.amount ?? '').trim();
    if (!earlier && amount !== '' && !/^[0-9]{1,7}$/.test(amount)) {
      return sendHtml(
        reply,
        400,
        renderPage(MessagePage({ ja: '金額が正しくありません', en: 'Invalid amount' })),
      );
    }
    const now = clock.now();
    const attempt = await requestRefund(
      client,
      { trackingId: view.trackingId, amount, requestDate: earlier?.requestDate ?? formatJstCompact(now) },
      now,
    );
    orders.recordRefund(view.orderId, attempt, earlier ? repeat : undefined);
    return reply.redirect('/orders', 303);
  });

  return app;
}
