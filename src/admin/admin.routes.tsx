import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { VNode } from 'preact';
import { registerPageHeaders } from '../app/page-headers';
import type { Database } from '../db/database';
import { type ConsoleHeader, loadConsoleHeader } from '../governance/console-header';
import { registerGovernanceRoutes } from '../governance/governance.routes';
import { registerSubBrandRoutes } from '../governance/sub-brand.routes';
import type { SubBrandReviewService } from '../governance/sub-brand-review.service';
import type { Clock } from '../kernel/clock';
import { listPaymentErrors } from '../merchants/payment-error.repository';
import type { NotificationService } from '../notifications/notification.service';
import type { ZenginOriginator } from '../settlement/zengin';
import { type AdminKit, type ApiPasswordIssued, formField } from './admin-kit';
import { listAudit, writeAudit } from './audit.repository';
import { endSession, loadSession, newToken, type SignedIn, signIn, tokensEqual } from './auth.service';
import { registerCaseRoutes } from './case.routes';
import { loadDashboard } from './dashboard.service';
import { jstText } from './format';
import { ADMIN_TEXTS, type AdminLanguage, isAdminLanguage } from './i18n';
import { listMerchantIds } from './merchant-list';
import { registerPaymentRoutes } from './payment.routes';
import { can, scopeOf } from './permissions';
import type { RefundPort } from './refund-port';
import { registerReportRoutes } from './report.routes';
import { registerSettingsRoutes } from './settings.routes';
import { registerStatementRoutes } from './statement.routes';
import { registerUserRoutes } from './user.routes';
import { AuditPage } from './views/audit-page';
import { DashboardPage } from './views/dashboard-page';
import { ErrorsPage } from './views/errors-page';
import { renderPage } from './views/layout';
import { LoginPage } from './views/login-page';
import { MessagePage } from './views/message-page';

/**
 * The payment management tool (admin.md) as one encapsulated Fastify plugin under `/admin`: its
 * own security headers, cookies, form parser, sign-in hook and CSRF check, none of which leak to
 * the hosted pages or the APIs.
 */
export interface AdminRoutesOptions {
  db: Kysely<Database>;
  clock: Clock;
  notifications: NotificationService;
  /** The refund domain service; without it the refund buttons are not offered. */
  refunds?: RefundPort | undefined;
  /** Told of each API password issued here (the demo keeps its service's for the demo shop). */
  apiPasswordIssued?: ApiPasswordIssued | undefined;
  payoutOriginator?: ZenginOriginator | undefined;
  /** Sub-brand review; without it the sub-brand screens are not offered. */
  registrations?: SubBrandReviewService | undefined;
}

const SESSION_COOKIE = 'kessai_admin';
/** The sign-in form's CSRF token (double submit: there is no session yet). */
const LOGIN_COOKIE = 'kessai_admin_login';
const LANG_COOKIE = 'kessai_admin_lang';
const AUDIT_PAGE_SIZE = 100;
const ERRORS_PAGE_SIZE = 100;

declare module 'fastify' {
  interface FastifyRequest {
    /** The console's language for this request (query, then cookie, then Japanese). */
    consoleLang: AdminLanguage;
    /** The console session, once the sign-in hook has found it. */
    signedIn: SignedIn | null;
    /** The header strip over every signed-in page (notices, maintenance). */
    consoleHeader: ConsoleHeader | null;
  }
}

interface AdminRouteConfig {
  /** Reachable without a session (sign-in). */
  adminPublic?: boolean;
  /** Answers 401 instead of redirecting to the sign-in page (downloads). */
  adminApi?: boolean;
}

/** Where to go after signing in: only a console path on this host. */
function safeNext(value: string): string {
  return /^\/admin(?:[/?][^\\\s]*)?$/.test(value) &&
    !value.startsWith('/admin/login') &&
    !value.includes('//')
    ? value
    : '/admin';
}

export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const { db, clock } = options;
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  // Uploads (the bank's result file) arrive as fields of the body, so the CSRF check reads them too.
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: 1024 * 1024, files: 1 },
  });
  await registerPageHeaders(app, { directives: { 'form-action': ["'self'"] }, hsts: true });
  app.decorateRequest('consoleLang', 'ja');
  app.decorateRequest('signedIn', null);
  app.decorateRequest('consoleHeader', null);
  const secure = (request: FastifyRequest) => request.protocol === 'https';

  app.addHook('onRequest', async (request, reply) => {
    const asked = (request.query as Record<string, unknown> | undefined)?.lang;
    let lang: AdminLanguage = 'ja';
    if (isAdminLanguage(asked)) {
      lang = asked;
      reply.setCookie(LANG_COOKIE, asked, {
        path: '/admin',
        httpOnly: true,
        sameSite: 'lax',
        secure: secure(request),
        maxAge: 365 * 86_400,
      });
    } else if (isAdminLanguage(request.cookies[LANG_COOKIE])) {
      lang = request.cookies[LANG_COOKIE] as AdminLanguage;
    }
    request.consoleLang = lang;
  });

  const kit: AdminKit = {
    db,
    clock,
    notifications: options.notifications,
    refunds: options.refunds,
    apiPasswordIssued: options.apiPasswordIssued ?? (() => {}),
    payoutOriginator: options.payoutOriginator,
    page(request, path) {
      const lang = request.consoleLang;
      const url = new URL(path ?? (request.method === 'GET' ? request.url : '/admin'), 'http://console');
      url.searchParams.set('lang', lang === 'ja' ? 'en' : 'ja');
      return {
        lang,
        t: ADMIN_TEXTS[lang],
        nonce: request.cspNonce,
        actor: request.signedIn?.actor ?? null,
        csrf: request.signedIn?.session.csrf_token ?? '',
        switchLanguageHref: `${url.pathname}${url.search}`,
        header: request.consoleHeader,
      };
    },
    html(reply, status, page: VNode) {
      return reply.code(status).type('text/html; charset=utf-8').send(renderPage(page));
    },
    signedIn(request) {
      const signedIn = request.signedIn;
      if (!signedIn) throw new Error('console route reached without a session');
      return signedIn;
    },
    actor(request) {
      return kit.signedIn(request).actor;
    },
    allow(request, reply, action) {
      const actor = kit.actor(request);
      if (can(actor, action)) return actor;
      kit.forbidden(request, reply);
      return null;
    },
    forbidden(request, reply) {
      const page = kit.page(request, '/admin');
      return kit.html(
        reply,
        403,
        <MessagePage
          requestId={request.id}
          page={page}
          title={page.t.errors.forbiddenTitle}
          message={page.t.errors.forbidden}
        />,
      );
    },
    notFound(request, reply) {
      const page = kit.page(request, '/admin');
      return kit.html(
        reply,
        404,
        <MessagePage
          requestId={request.id}
          page={page}
          title={page.t.errors.notFoundTitle}
          message={page.t.errors.notFound}
        />,
      );
    },
    async audit(request, entry, tx) {
      const actor = kit.actor(request);
      await writeAudit(tx ?? db, {
        at: clock.now(),
        actorUserId: actor.userId,
        actorEmail: actor.email,
        ip: request.ip,
        ...entry,
      });
    },
    audited(request, change, entry) {
      return db.transaction().execute(async (tx) => {
        const result = await change(tx);
        await kit.audit(request, await entry(result, tx), tx);
        return result;
      });
    },
  };

  // Every route but sign-in needs a live session; every POST needs the session's CSRF token.
  app.addHook('preHandler', async (request, reply) => {
    const config = request.routeOptions.config as AdminRouteConfig;
    if (config.adminPublic) return;
    const found = await loadSession(db, request.cookies[SESSION_COOKIE], clock.now());
    if (found.kind !== 'active') {
      if (request.cookies[SESSION_COOKIE] !== undefined)
        reply.clearCookie(SESSION_COOKIE, { path: '/admin' });
      if (config.adminApi) return reply.code(401).type('text/plain; charset=utf-8').send('sign-in required');
      const params = new URLSearchParams({ next: request.method === 'GET' ? request.url : '/admin' });
      if (found.kind === 'expired') params.set('expired', '1');
      return reply.redirect(`/admin/login?${params}`, 303);
    }
    request.signedIn = found.signedIn;
    if (!config.adminApi) {
      request.consoleHeader = await loadConsoleHeader(db, found.signedIn.actor, clock.now());
    }
    if (
      request.method !== 'GET' &&
      request.method !== 'HEAD' &&
      !tokensEqual(formField(request.body, '_csrf'), found.signedIn.session.csrf_token)
    ) {
      request.log.warn({ url: request.url }, 'console form without a valid CSRF token refused');
      return kit.forbidden(request, reply);
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error, reqId: request.id }, 'console error');
    if (reply.sent) return;
    const page = kit.page(request, '/admin');
    const e = page.t.errors;
    return kit.html(
      reply,
      status,
      status === 500 ? (
        <MessagePage requestId={request.id} page={page} title={e.systemTitle} message={e.system} />
      ) : (
        <MessagePage requestId={request.id} page={page} title={e.badRequestTitle} message={e.badRequest} />
      ),
    );
  });

  // --- sign-in -----------------------------------------------------------------------------------

  function loginForm(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    fields: { email: string; next: string; notice: { kind: 'ok' | 'warn' | 'error'; text: string } | null },
  ) {
    const token = newToken();
    reply.setCookie(LOGIN_COOKIE, token, {
      path: '/admin/login',
      httpOnly: true,
      sameSite: 'strict',
      secure: secure(request),
    });
    return kit.html(
      reply,
      status,
      <LoginPage page={kit.page(request, '/admin/login')} formToken={token} {...fields} />,
    );
  }

  app.get('/admin/login', { config: { adminPublic: true } }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const next = safeNext(typeof query.next === 'string' ? query.next : '/admin');
    const current = await loadSession(db, request.cookies[SESSION_COOKIE], clock.now());
    if (current.kind === 'active') return reply.redirect(next, 303);
    const t = kit.page(request).t.login;
    const notice =
      query.expired === '1'
        ? { kind: 'warn' as const, text: t.expired }
        : query.signed_out === '1'
          ? { kind: 'ok' as const, text: t.signedOut }
          : null;
    return loginForm(request, reply, 200, { email: '', next, notice });
  });

  app.post('/admin/login', { config: { adminPublic: true } }, async (request, reply) => {
    const t = kit.page(request).t.login;
    const email = formField(request.body, 'email');
    const next = safeNext(formField(request.body, 'next'));
    if (!tokensEqual(formField(request.body, '_csrf'), request.cookies[LOGIN_COOKIE])) {
      return loginForm(request, reply, 403, { email, next, notice: { kind: 'error', text: t.formExpired } });
    }
    const result = await signIn(db, {
      email,
      password: formField(request.body, 'password'),
      ip: request.ip,
      now: clock.now(),
    });
    if (result.kind === 'locked') {
      return loginForm(request, reply, 429, {
        email,
        next,
        notice: { kind: 'error', text: t.locked(jstText(result.until).slice(0, 16)) },
      });
    }
    if (result.kind === 'failed') {
      return loginForm(request, reply, 401, { email, next, notice: { kind: 'error', text: t.failed } });
    }
    reply.clearCookie(LOGIN_COOKIE, { path: '/admin/login' });
    reply.setCookie(SESSION_COOKIE, result.token, {
      path: '/admin',
      httpOnly: true,
      sameSite: 'lax',
      secure: secure(request),
    });
    return reply.redirect(next, 303);
  });

  app.post('/admin/logout', async (request, reply) => {
    const { session } = kit.signedIn(request);
    await kit.audit(request, {
      action: 'sign-out',
      target: kit.actor(request).email,
      merchantId: kit.actor(request).merchantId,
    });
    await endSession(db, session.session_id);
    reply.clearCookie(SESSION_COOKIE, { path: '/admin' });
    return reply.redirect('/admin/login?signed_out=1', 303);
  });

  // --- dashboard, payment errors, audit log ------------------------------------------------------

  app.get('/admin', async (request, reply) => {
    const actor = kit.actor(request);
    const dashboard = await loadDashboard(db, scopeOf(actor), clock.now());
    return kit.html(reply, 200, <DashboardPage page={kit.page(request)} dashboard={dashboard} />);
  });

  app.get('/admin/errors', async (request, reply) => {
    const actor = kit.allow(request, reply, 'payments.read');
    if (!actor) return reply;
    const query = request.query as Record<string, unknown>;
    const scoped = scopeOf(actor).merchantId;
    const merchants = scoped === null ? await listMerchantIds(db) : null;
    const asked = typeof query.merchant === 'string' ? query.merchant : '';
    const merchantId = scoped ?? (merchants?.includes(asked) ? asked : (merchants?.[0] ?? ''));
    const before = typeof query.before === 'string' ? /^(\d{1,16})_(\d{1,16})$/.exec(query.before) : null;
    const rows = await listPaymentErrors(db, {
      merchantId,
      limit: ERRORS_PAGE_SIZE,
      ...(before ? { before: { at: new Date(Number(before[1])), id: Number(before[2]) } } : {}),
    });
    const last = rows[rows.length - 1];
    const older =
      rows.length === ERRORS_PAGE_SIZE && last
        ? `/admin/errors?${new URLSearchParams({ ...(scoped === null ? { merchant: merchantId } : {}), before: `${last.at.getTime()}_${last.id}` })}`
        : null;
    return kit.html(
      reply,
      200,
      <ErrorsPage
        page={kit.page(request)}
        merchants={merchants}
        merchantId={merchantId}
        rows={rows}
        olderHref={older}
      />,
    );
  });

  app.get('/admin/audit', async (request, reply) => {
    const actor = kit.allow(request, reply, 'audit.read');
    if (!actor) return reply;
    const query = request.query as Record<string, unknown>;
    const before =
      typeof query.before === 'string' && /^\d{1,16}$/.test(query.before) ? Number(query.before) : undefined;
    const rows = await listAudit(db, {
      merchantId: scopeOf(actor).merchantId,
      limit: AUDIT_PAGE_SIZE,
      ...(before !== undefined ? { before } : {}),
    });
    const last = rows[rows.length - 1];
    const older = rows.length === AUDIT_PAGE_SIZE && last ? `/admin/audit?before=${last.id}` : null;
    return kit.html(
      reply,
      200,
      <AuditPage page={kit.page(request)} rows={rows} olderHref={older} paged={before !== undefined} />,
    );
  });

  registerPaymentRoutes(app, kit);
  registerSettingsRoutes(app, kit);
  registerUserRoutes(app, kit);
  registerGovernanceRoutes(app, kit);
  registerCaseRoutes(app, kit);
  registerReportRoutes(app, kit);
  registerStatementRoutes(app, kit);
  if (options.registrations) registerSubBrandRoutes(app, kit, options.registrations);
}
