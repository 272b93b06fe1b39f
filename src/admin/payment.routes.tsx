import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PaymentRow } from '../db/database';
import { investigationFlags } from '../governance/fraud';
import { DomainError, type DomainErrorCode } from '../kernel/errors';
import { formatJstCompact, jstDate } from '../kernel/jst';
import { type Yen, yen } from '../kernel/money';
import { remainingAmount } from '../refunds/refund-rules';
import { findRefundStop } from '../refunds/refund-stop.repository';
import { type AdminKit, formField } from './admin-kit';
import { findScopedPayment, latestNotificationId, loadBillingDetails } from './billing.repository';
import { CASE_TEXTS } from './case-i18n';
import { consoleErrorStatus } from './console-errors';
import { jstText, yenText } from './format';
import { csvLines, csvStream, PAGE_SIZE, parseCursor, parseSearch, searchPayments } from './payment-search';
import { can, scopeOf } from './permissions';
import { BillingPage, type BillingPageProps, type BillingTab } from './views/billing-page';
import { SearchPage } from './views/search-page';

/**
 * Payment search, its CSV, the billing-information screen and its actions (admin.md, Screens 2
 * and 3). Every payment is looked up within the actor's merchant: another merchant's payment is
 * "not found", by link, by edited URL or by search.
 */
type Notice = BillingPageProps['notices'][number];

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

/** A typed yen amount: digits (full-width too), separators and a yen sign allowed; 1–9,999,999. */
export function parseRefundAmount(text: string): Yen | null {
  const v = text.normalize('NFKC').replace(/[,\s¥円]/g, '');
  return /^\d{1,7}$/.test(v) && Number(v) >= 1 ? yen(Number(v)) : null;
}

export function registerPaymentRoutes(app: FastifyInstance, kit: AdminKit): void {
  const { db, clock } = kit;

  app.get('/admin/payments', async (request, reply) => {
    const actor = kit.allow(request, reply, 'payments.read');
    if (!actor) return reply;
    const page = kit.page(request);
    const query = request.query as Record<string, unknown>;
    const search = parseSearch(query, page.t, clock.now(), scopeOf(actor).merchantId);
    const cursor = parseCursor(query.cursor);
    const results = search.filters
      ? { ...(await searchPayments(db, search.filters, cursor, PAGE_SIZE)), paged: cursor !== null }
      : null;
    return kit.html(
      reply,
      search.errors.length ? 400 : 200,
      <SearchPage
        page={page}
        values={search.values}
        errors={search.errors}
        results={results}
        canCsv={can(actor, 'payments.csv')}
        flags={await investigationFlags(db, results?.rows.map((r) => r.trackingId) ?? [])}
      />,
    );
  });

  app.get('/admin/payments.csv', { config: { adminApi: true } }, async (request, reply) => {
    const actor = kit.allow(request, reply, 'payments.csv');
    if (!actor) return reply;
    const page = kit.page(request);
    const query = request.query as Record<string, unknown>;
    const search = parseSearch(query, page.t, clock.now(), scopeOf(actor).merchantId);
    if (!search.filters) {
      return reply.code(400).type('text/plain; charset=utf-8').send(search.errors.join('\n'));
    }
    const encoding = query.encoding === 'sjis' ? 'shift_jis' : 'utf-8';
    await kit.audit(request, {
      action: 'payments.csv',
      target: 'payments',
      merchantId: scopeOf(actor).merchantId,
      detail: {
        ...search.filters,
        from: jstText(search.filters.from),
        to: jstText(search.filters.to),
        encoding,
      },
    });
    // The two encodings download under different names, so one does not replace the other.
    const name = `payments-${formatJstCompact(clock.now())}-${encoding === 'utf-8' ? 'utf8' : 'sjis'}.csv`;
    return reply
      .code(200)
      .header('Content-Type', `text/csv; charset=${encoding === 'utf-8' ? 'UTF-8' : 'Shift_JIS'}`)
      .header('Content-Disposition', `attachment; filename="${name}"`)
      .send(csvStream(csvLines(db, search.filters, page.t), encoding));
  });

  async function renderBilling(
    request: FastifyRequest,
    reply: FastifyReply,
    payment: PaymentRow,
    status: number,
    extra: { notices?: Notice[]; tab?: BillingTab; partialAmount?: string } = {},
  ) {
    const actor = kit.actor(request);
    const page = kit.page(request, `/admin/payments/${encodeURIComponent(payment.tracking_id)}`);
    const query = request.query as Record<string, unknown>;
    const details = await loadBillingDetails(db, payment);
    const t = page.t.billing;
    const notices: Notice[] = [...(extra.notices ?? [])];
    if (request.method === 'GET') {
      const shown = details.refunds.find((r) => r.refund_id === query.refund);
      if (shown) {
        const amount = yenText(shown.amount);
        notices.push(
          shown.status === 'SUCCEEDED'
            ? { kind: 'ok', text: t.refundSucceeded(amount) }
            : shown.status === 'FAILED'
              ? { kind: 'error', text: t.refundFailed(amount, shown.result_code ?? '') }
              : { kind: 'warn', text: t.refundProcessing(amount) },
        );
        if (query.replayed === '1') notices.push({ kind: 'warn', text: t.refundReplayed });
      }
      if (query.resent === '1') notices.push({ kind: 'ok', text: t.resent });
    }
    const tab: BillingTab = extra.tab ?? (query.tab === 'details' ? 'details' : 'basic');
    return kit.html(
      reply,
      status,
      <BillingPage
        page={page}
        payment={payment}
        details={details}
        tab={tab}
        refundability={kit.refunds ? kit.refunds.refundability(payment, clock.now()) : null}
        canRefund={can(actor, 'refund')}
        canResend={can(actor, 'notification.resend')}
        hasNotification={details.notifications.length > 0}
        refundNonce={randomBytes(16).toString('base64url')}
        notices={notices}
        partialAmount={extra.partialAmount ?? ''}
        investigations={(await investigationFlags(db, [payment.tracking_id])).get(payment.tracking_id) ?? []}
        refundStop={(await findRefundStop(db, payment.merchant_id))?.reason ?? null}
      />,
    );
  }

  app.get<{ Params: { trackingId: string } }>('/admin/payments/:trackingId', async (request, reply) => {
    const actor = kit.allow(request, reply, 'payments.read');
    if (!actor) return reply;
    const payment = await findScopedPayment(db, scopeOf(actor), request.params.trackingId);
    if (!payment) return kit.notFound(request, reply);
    return renderBilling(request, reply, payment, 200);
  });

  app.post<{ Params: { trackingId: string } }>(
    '/admin/payments/:trackingId/refunds',
    async (request, reply) => {
      const actor = kit.allow(request, reply, 'refund');
      if (!actor) return reply;
      const payment = await findScopedPayment(db, scopeOf(actor), request.params.trackingId);
      if (!payment) return kit.notFound(request, reply);
      const t = kit.page(request).t.billing;
      const refunds = kit.refunds;
      if (!refunds) {
        return renderBilling(request, reply, payment, 503, {
          notices: [{ kind: 'error', text: t.refundsUnavailable }],
        });
      }
      const kind = formField(request.body, 'kind');
      const nonce = formField(request.body, 'nonce');
      const typed = formField(request.body, 'amount');
      if ((kind !== 'full' && kind !== 'partial') || !NONCE.test(nonce)) {
        return renderBilling(request, reply, payment, 400, {
          notices: [{ kind: 'error', text: t.refuseOther }],
        });
      }
      const refused = async (text: string, code: DomainErrorCode) => {
        const status = consoleErrorStatus(code);
        await kit.audit(request, {
          action: 'refund.refused',
          target: payment.tracking_id,
          merchantId: payment.merchant_id,
          detail: { kind, amount: typed, code },
        });
        return renderBilling(request, reply, payment, status, {
          notices: [{ kind: 'error', text }],
          partialAmount: typed,
        });
      };
      const amount = kind === 'full' ? null : parseRefundAmount(typed);
      if (kind === 'partial' && amount === null) return refused(t.refuseAmount, 'INVALID_AMOUNT');

      try {
        const outcome = await refunds.refund({
          merchantId: payment.merchant_id,
          serviceId: payment.service_id,
          trackingId: payment.tracking_id,
          amount,
          channel: 'CONSOLE',
          requestedBy: actor.email,
          replayKey: `console:${payment.tracking_id}:${nonce}`,
        });
        if (!outcome.replayed) {
          await kit.audit(request, {
            action: 'refund',
            target: payment.tracking_id,
            merchantId: payment.merchant_id,
            detail: {
              refundId: outcome.refund.refundId,
              kind,
              amount: outcome.refund.amount,
              status: outcome.refund.status,
              resultCode: outcome.refund.resultCode,
            },
          });
        }
        const params = new URLSearchParams({ refund: outcome.refund.refundId });
        if (outcome.replayed) params.set('replayed', '1');
        return reply.redirect(`/admin/payments/${encodeURIComponent(payment.tracking_id)}?${params}`, 303);
      } catch (error) {
        if (!(error instanceof DomainError)) {
          // The refund may exist (reserved, to be re-sent by its job): the attempt is audited anyway.
          await kit.audit(request, {
            action: 'refund.error',
            target: payment.tracking_id,
            merchantId: payment.merchant_id,
            detail: { kind, amount: typed },
          });
          throw error;
        }
        if (error.code === 'PAYMENT_NOT_FOUND') return kit.notFound(request, reply);
        // The payment as it is now: another refund may have changed what remains.
        const current = (await findScopedPayment(db, scopeOf(actor), payment.tracking_id)) ?? payment;
        const text = async (): Promise<string> => {
          switch (error.code) {
            case 'NOT_REFUNDABLE_STATE':
              return t.refuseState;
            case 'NOTHING_LEFT_TO_REFUND':
              return t.refuseNothingLeft;
            case 'REFUND_EXCEEDS_REMAINING':
              return t.refuseExceeds(yenText(remainingAmount(current)));
            case 'REFUND_PERIOD_ENDED':
              return t.refusePeriod(jstDate(refunds.refundability(current, clock.now()).deadline));
            case 'INVALID_AMOUNT':
              return t.refuseAmount;
            case 'REFUNDS_STOPPED': {
              const reason = (await findRefundStop(db, payment.merchant_id))?.reason ?? '';
              return CASE_TEXTS[kit.page(request).lang].refundStop.refused(reason);
            }
            default:
              return `${t.refuseOther} (${error.code})`;
          }
        };
        return refused(await text(), error.code);
      }
    },
  );

  app.post<{ Params: { trackingId: string } }>(
    '/admin/payments/:trackingId/notifications/resend',
    async (request, reply) => {
      const actor = kit.allow(request, reply, 'notification.resend');
      if (!actor) return reply;
      const payment = await findScopedPayment(db, scopeOf(actor), request.params.trackingId);
      if (!payment) return kit.notFound(request, reply);
      const notificationId = await latestNotificationId(db, payment.tracking_id);
      if (notificationId === null) {
        const t = kit.page(request).t.billing;
        return renderBilling(request, reply, payment, 409, {
          notices: [{ kind: 'error', text: t.noNotification }],
        });
      }
      await kit.notifications.resend(notificationId);
      await kit.audit(request, {
        action: 'notification.resend',
        target: payment.tracking_id,
        merchantId: payment.merchant_id,
        detail: { notificationId },
      });
      return reply.redirect(
        `/admin/payments/${encodeURIComponent(payment.tracking_id)}?tab=details&resent=1`,
        303,
      );
    },
  );
}
