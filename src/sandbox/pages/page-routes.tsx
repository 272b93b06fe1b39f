import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import QRCode from 'qrcode';
import { walletLogoSvg } from '../../merchants/sub-brand-logo';
import type { SandboxService } from '../sandbox-service';
import { ShopperError } from '../sandbox-service';
import type { Order } from '../store';
import { cashierPath, type SandboxUrls, walletAppPath, walletConfirmPath, walletLoginPath } from '../urls';
import { isTestUser, isWalletId, TEST_PASSWORD, type TestUser, WALLETS, type WalletId } from '../wallets';
import { langOf, reason, translator } from './i18n';
import { renderPage } from './layout';
import {
  AnyWalletAppPage,
  CashierPage,
  ConfirmPage,
  LoginPage,
  MessagePage,
  QrPage,
  ResultPage,
  type View,
  WalletAppPage,
} from './shopper-pages';

export interface PageRouteDeps {
  service: SandboxService;
  urls: SandboxUrls;
}

/** Smartphones open the wallet app directly (sandbox.md, Pages: "the app link"). */
const SMARTPHONE = /Android|iPhone|iPad|iPod|Mobile|Windows Phone/i;

type Params = { paymentId: string; wallet?: string };
type Form = Record<string, string | undefined>;

/**
 * The shopper's pages (sandbox.md, Pages): cashier, QR, wallet-app simulator, account-login
 * wallet sign-in and confirmation, result. State changes happen only on POST.
 */
export async function pageRoutes(app: FastifyInstance, deps: PageRouteDeps): Promise<void> {
  const { service, urls } = deps;
  await app.register(formbody);

  // Signs "this user signed in to this wallet for this order", carried in the confirmation form.
  const sessionKey = randomBytes(32);
  const sessionMac = (paymentId: string, wallet: WalletId, user: string) =>
    createHmac('sha256', sessionKey).update(`${paymentId}|${wallet}|${user}`).digest('base64url');
  const sessionToken = (paymentId: string, wallet: WalletId, user: TestUser) =>
    `${user}.${sessionMac(paymentId, wallet, user)}`;
  function sessionUser(token: string | undefined, paymentId: string, wallet: WalletId): TestUser | null {
    const [user, mac] = (token ?? '').split('.');
    if (!user || !mac || !isTestUser(user)) return null;
    const expected = Buffer.from(sessionMac(paymentId, wallet, user));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given) ? user : null;
  }

  function viewOf(request: FastifyRequest): View {
    const query = request.query as Form;
    const form = (request.body ?? {}) as Form;
    const lang = langOf(form.lang ?? query.lang);
    return {
      lang,
      t: translator(lang),
      langHref: (other) => {
        const url = new URL(request.url, 'http://sandbox.invalid');
        url.searchParams.set('lang', other);
        return `${url.pathname}${url.search}`;
      },
      link: (path) =>
        lang === 'en' ? path : `${path}${path.includes('?') ? '&' : '?'}lang=${encodeURIComponent(lang)}`,
    };
  }

  function html(reply: FastifyReply, page: VNode, status = 200): FastifyReply {
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('Cache-Control', 'no-store')
      .send(renderPage(page));
  }

  /** The order and wallet a page is about, or the page that says why there is none. */
  async function context(
    request: FastifyRequest<{ Params: Params }>,
    reply: FastifyReply,
  ): Promise<{ order: Order; wallet: WalletId | null; view: View } | null> {
    const view = viewOf(request);
    const { paymentId, wallet } = request.params;
    if (wallet !== undefined && !isWalletId(wallet)) {
      html(reply, <MessagePage message={view.t('walletUnavailable')} view={view} />, 404);
      return null;
    }
    const order = await service.order(paymentId);
    if (!order) {
      html(reply, <MessagePage message={view.t('notFound')} view={view} />, 404);
      return null;
    }
    if (wallet !== undefined && !(await service.walletsFor(order)).includes(wallet)) {
      html(
        reply,
        <MessagePage message={view.t('walletUnavailable')} view={view} redirectUrl={order.redirect_url} />,
        422,
      );
      return null;
    }
    return { order, wallet: wallet ?? null, view };
  }

  /** A final order cannot be paid again: say how it ended. */
  function finished(reply: FastifyReply, order: Order, view: View): FastifyReply {
    const message =
      order.status === 'SUCCESS'
        ? view.t('paid')
        : order.status === 'FAIL'
          ? reason(view.t, order.result_code ?? 'PROCESS_FAIL')
          : view.t('closed');
    return html(reply, <MessagePage message={message} view={view} redirectUrl={order.redirect_url} />);
  }

  async function act(
    reply: FastifyReply,
    view: View,
    order: Order,
    wallet: WalletId,
    user: TestUser,
    action: string | undefined,
  ): Promise<FastifyReply> {
    if (action === 'cancel') {
      const outcome = await service.shopperCancels(order.payment_id, wallet);
      return reply.redirect(outcome.redirectUrl, 303);
    }
    if (action !== 'pay')
      return html(reply, <MessagePage message="action must be pay or cancel" view={view} />, 400);
    const outcome = await service.shopperPays(order.payment_id, wallet, user);
    return html(
      reply,
      <ResultPage
        status={outcome.status}
        resultCode={outcome.resultCode}
        redirectUrl={outcome.redirectUrl}
        view={view}
      />,
    );
  }

  app.get<{ Params: Params }>('/sandbox/cashier/:paymentId', async (request, reply) => {
    const ctx = await context(request, reply);
    if (!ctx) return reply;
    const { order, view } = ctx;
    if (order.status !== 'PROCESSING') return finished(reply, order, view);
    if (isWalletId(order.payment_method_type)) {
      // Tile mode: the ACQP already chose the wallet, so the cashier goes straight to it.
      return reply.redirect(view.link(`${cashierPath(order.payment_id)}/${order.payment_method_type}`), 303);
    }
    return html(reply, <CashierPage order={order} wallets={await service.walletsFor(order)} view={view} />);
  });

  app.get<{ Params: Params }>('/sandbox/cashier/:paymentId/status', async (request, reply) => {
    const order = await service.order(request.params.paymentId);
    if (!order) return reply.code(404).send({ error: 'no such order' });
    return reply
      .header('Cache-Control', 'no-store')
      .send({ status: order.status, redirectUrl: order.status === 'PROCESSING' ? null : order.redirect_url });
  });

  app.get<{ Params: Params }>('/sandbox/cashier/:paymentId/:wallet', async (request, reply) => {
    const ctx = await context(request, reply);
    if (!ctx?.wallet) return reply;
    const { order, wallet, view } = ctx;
    if (order.status !== 'PROCESSING') return finished(reply, order, view);
    if (WALLETS[wallet].procedure === 'LOGIN') {
      return reply.redirect(view.link(walletLoginPath(wallet, order.payment_id)), 303);
    }
    if (SMARTPHONE.test(request.headers['user-agent'] ?? '')) {
      return reply.redirect(view.link(walletAppPath(wallet, order.payment_id)), 303);
    }
    const appUrl = urls.walletApp(wallet, order.payment_id);
    const qrDataUrl = await QRCode.toDataURL(appUrl, { margin: 1, width: 256, errorCorrectionLevel: 'M' });
    return html(
      reply,
      <QrPage
        order={order}
        wallet={wallet}
        quote={service.quoteFor(order, wallet)}
        qrDataUrl={qrDataUrl}
        appUrl={appUrl}
        appPath={walletAppPath(wallet, order.payment_id)}
        statusPath={`${cashierPath(order.payment_id)}/status`}
        view={view}
      />,
    );
  });

  app.get<{ Params: Params }>('/sandbox/wallets/app/:paymentId', async (request, reply) => {
    const ctx = await context(request, reply);
    if (!ctx) return reply;
    const { order, view } = ctx;
    if (order.status !== 'PROCESSING') return finished(reply, order, view);
    const apps = (await service.walletsFor(order)).filter((w) => WALLETS[w].procedure === 'QR');
    return html(reply, <AnyWalletAppPage order={order} wallets={apps} view={view} />);
  });

  app.get<{ Params: Params }>('/sandbox/wallets/:wallet/app/:paymentId', async (request, reply) => {
    const ctx = await context(request, reply);
    if (!ctx?.wallet) return reply;
    const { order, wallet, view } = ctx;
    if (order.status !== 'PROCESSING') return finished(reply, order, view);
    return html(
      reply,
      <WalletAppPage
        order={order}
        wallet={wallet}
        quote={service.quoteFor(order, wallet)}
        action={walletAppPath(wallet, order.payment_id)}
        view={view}
      />,
    );
  });

  app.post<{ Params: Params; Body: Form }>(
    '/sandbox/wallets/:wallet/app/:paymentId',
    async (request, reply) => {
      const ctx = await context(request, reply);
      if (!ctx?.wallet) return reply;
      const user = request.body?.user ?? 'alice';
      if (!isTestUser(user)) {
        return html(reply, <MessagePage message={ctx.view.t('wrongLogin')} view={ctx.view} />, 400);
      }
      return act(reply, ctx.view, ctx.order, ctx.wallet, user, request.body?.action);
    },
  );

  app.get<{ Params: Params }>('/sandbox/wallets/:wallet/login/:paymentId', async (request, reply) => {
    const ctx = await context(request, reply);
    if (!ctx?.wallet) return reply;
    const { order, wallet, view } = ctx;
    if (order.status !== 'PROCESSING') return finished(reply, order, view);
    const action = walletLoginPath(wallet, order.payment_id);
    return html(
      reply,
      <LoginPage order={order} wallet={wallet} action={action} failed={false} view={view} />,
    );
  });

  app.post<{ Params: Params; Body: Form }>(
    '/sandbox/wallets/:wallet/login/:paymentId',
    async (request, reply) => {
      const ctx = await context(request, reply);
      if (!ctx?.wallet) return reply;
      const { order, wallet, view } = ctx;
      const user = request.body?.user?.trim() ?? '';
      if (!isTestUser(user) || request.body?.password !== TEST_PASSWORD) {
        const action = walletLoginPath(wallet, order.payment_id);
        return html(
          reply,
          <LoginPage order={order} wallet={wallet} action={action} failed view={view} />,
          401,
        );
      }
      const session = encodeURIComponent(sessionToken(order.payment_id, wallet, user));
      return reply.redirect(
        view.link(`${walletConfirmPath(wallet, order.payment_id)}?session=${session}`),
        303,
      );
    },
  );

  app.get<{ Params: Params; Querystring: Form }>(
    '/sandbox/wallets/:wallet/confirm/:paymentId',
    async (request, reply) => {
      const ctx = await context(request, reply);
      if (!ctx?.wallet) return reply;
      const { order, wallet, view } = ctx;
      const session = request.query.session;
      const user = sessionUser(session, order.payment_id, wallet);
      if (!user || !session) return reply.redirect(view.link(walletLoginPath(wallet, order.payment_id)), 303);
      if (order.status !== 'PROCESSING') return finished(reply, order, view);
      return html(
        reply,
        <ConfirmPage
          order={order}
          wallet={wallet}
          user={user}
          session={session}
          quote={service.quoteFor(order, wallet)}
          action={walletConfirmPath(wallet, order.payment_id)}
          view={view}
        />,
      );
    },
  );

  app.post<{ Params: Params; Body: Form }>(
    '/sandbox/wallets/:wallet/confirm/:paymentId',
    async (request, reply) => {
      const ctx = await context(request, reply);
      if (!ctx?.wallet) return reply;
      const { order, wallet, view } = ctx;
      const user = sessionUser(request.body?.session, order.payment_id, wallet);
      if (!user) return reply.redirect(view.link(walletLoginPath(wallet, order.payment_id)), 303);
      return act(reply, view, order, wallet, user, request.body?.action);
    },
  );

  app.get<{ Params: { wallet: string } }>('/sandbox/wallets/:wallet/logo.svg', async (request, reply) => {
    const { wallet } = request.params;
    if (!isWalletId(wallet)) return reply.code(404).send({ error: `no wallet ${wallet}` });
    return reply
      .type('image/svg+xml')
      .header('Cache-Control', 'public, max-age=86400')
      .send(walletLogoSvg(wallet));
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    const view = viewOf(request);
    if (error instanceof ShopperError) {
      const message = error.kind === 'NOT_FOUND' ? view.t('notFound') : view.t('walletUnavailable');
      return html(
        reply,
        <MessagePage message={message} view={view} />,
        error.kind === 'NOT_FOUND' ? 404 : 422,
      );
    }
    if (error.statusCode && error.statusCode < 500) {
      return html(reply, <MessagePage message={error.message} view={view} />, error.statusCode);
    }
    request.log.error({ err: error }, 'sandbox page failed');
    return html(reply, <MessagePage message="Something went wrong in the sandbox." view={view} />, 500);
  });
}
