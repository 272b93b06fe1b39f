import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AdminKit, formField } from '../admin/admin-kit';
import { listMerchantIds } from '../admin/merchant-list';
import { type Actor, can, inScope, scopeOf } from '../admin/permissions';
import { GOVERNANCE_TEXTS } from './governance-i18n';
import { parseJstMinute } from './governance-input';
import {
  cancelMaintenance,
  concerns,
  listComingMaintenance,
  listMaintenance,
  type MaintenanceInput,
  scheduleMaintenance,
} from './maintenance';
import { isNoticeKind } from './notice';
import { findNotice, type InboxReader, listInbox, markRead } from './notice.repository';
import { parseNoticeAddresses, readNoticeAddresses } from './notice-addresses';
import { addOutageCause, listOutages } from './outage';
import { EMPTY_MAINTENANCE_FORM, type MaintenanceForm, MaintenancePage } from './views/maintenance-page';
import { NoticeAddressesPage, NoticeDetailPage, NoticesPage } from './views/notices-page';
import { OutagesPage } from './views/outages-page';

/**
 * Governance screens of the console (governance.md): the notice inbox and notice addresses,
 * maintenance windows, outage incidents. Every change is audited.
 */
const PAGE_SIZE = 50;
const HISTORY_SIZE = 100;
const CAUSE_MAX = 2000;

export function registerGovernanceRoutes(app: FastifyInstance, kit: AdminKit): void {
  const { db, clock } = kit;
  const textsOf = (request: FastifyRequest) => GOVERNANCE_TEXTS[kit.page(request).lang];
  const readerOf = (actor: Actor): InboxReader => ({ userId: actor.userId, ...scopeOf(actor) });
  const idParam = (text: string) => (/^\d{1,15}$/.test(text) ? Number(text) : null);

  // --- notices ---------------------------------------------------------------------------------

  app.get('/admin/notices', async (request, reply) => {
    const actor = kit.actor(request);
    const query = request.query as Record<string, unknown>;
    const kind = typeof query.kind === 'string' && isNoticeKind(query.kind) ? query.kind : null;
    const unreadOnly = query.unread === '1';
    const before =
      typeof query.before === 'string' && /^\d{1,15}$/.test(query.before) ? Number(query.before) : undefined;
    const entries = await listInbox(db, readerOf(actor), {
      limit: PAGE_SIZE,
      unreadOnly,
      ...(kind ? { kind } : {}),
      ...(before !== undefined ? { before } : {}),
    });
    const last = entries[entries.length - 1];
    const older =
      entries.length === PAGE_SIZE && last
        ? `/admin/notices?${new URLSearchParams({
            ...(kind ? { kind } : {}),
            ...(unreadOnly ? { unread: '1' } : {}),
            before: String(last.id),
          })}`
        : null;
    return kit.html(
      reply,
      200,
      <NoticesPage
        page={kit.page(request)}
        entries={entries}
        kind={kind}
        unreadOnly={unreadOnly}
        olderHref={older}
        canEditAddresses={can(actor, 'notices.addresses')}
      />,
    );
  });

  app.post('/admin/notices/read-all', async (request, reply) => {
    await markRead(db, readerOf(kit.actor(request)), 'all', clock.now());
    return reply.redirect('/admin/notices', 303);
  });

  /** Notice e-mail addresses: a merchant admin edits its own merchant's; an operator any. */
  async function addressesPage(
    request: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    merchantAsked: string,
    status: number,
    typed: { text: string | null; message: { kind: 'ok' | 'error'; text: string } | null },
  ) {
    const merchants = actor.role === 'operator' ? await listMerchantIds(db) : null;
    const merchantId =
      scopeOf(actor).merchantId ??
      (merchants?.includes(merchantAsked) ? merchantAsked : (merchants?.[0] ?? ''));
    const row = await db
      .selectFrom('merchants')
      .select('notice_emails')
      .where('merchant_id', '=', merchantId)
      .executeTakeFirst();
    const stored = row ? parseNoticeAddresses(row.notice_emails).join('\n') : '';
    return kit.html(
      reply,
      status,
      <NoticeAddressesPage
        page={kit.page(request, `/admin/notices/addresses?merchant=${encodeURIComponent(merchantId)}`)}
        merchants={merchants}
        merchantId={merchantId}
        addresses={typed.text ?? stored}
        message={typed.message}
      />,
    );
  }

  app.get('/admin/notices/addresses', async (request, reply) => {
    const actor = kit.allow(request, reply, 'notices.addresses');
    if (!actor) return reply;
    const query = request.query as Record<string, unknown>;
    const merchant = typeof query.merchant === 'string' ? query.merchant : '';
    const saved = query.saved === '1' ? { kind: 'ok' as const, text: textsOf(request).notices.saved } : null;
    return addressesPage(request, reply, actor, merchant, 200, { text: null, message: saved });
  });

  app.post('/admin/notices/addresses', async (request, reply) => {
    const actor = kit.allow(request, reply, 'notices.addresses');
    if (!actor) return reply;
    const merchantId = formField(request.body, 'merchant');
    if (!inScope(actor, merchantId)) return kit.forbidden(request, reply);
    const exists = await db
      .selectFrom('merchants')
      .select('merchant_id')
      .where('merchant_id', '=', merchantId)
      .executeTakeFirst();
    if (!exists) return kit.notFound(request, reply);
    const text = formField(request.body, 'addresses');
    const read = readNoticeAddresses(text);
    const n = textsOf(request).notices;
    if (!read.ok) {
      const message = read.error === 'too-many' ? n.tooMany : n.invalidAddress(read.address ?? '');
      return addressesPage(request, reply, actor, merchantId, 400, {
        text,
        message: { kind: 'error', text: message },
      });
    }
    await kit.audited(
      request,
      (tx) =>
        tx
          .updateTable('merchants')
          .set({ notice_emails: JSON.stringify(read.addresses) })
          .where('merchant_id', '=', merchantId)
          .execute(),
      () => ({
        action: 'notices.addresses',
        target: merchantId,
        merchantId,
        detail: { addresses: read.addresses.length },
      }),
    );
    return reply.redirect(`/admin/notices/addresses?merchant=${encodeURIComponent(merchantId)}&saved=1`, 303);
  });

  app.get<{ Params: { id: string } }>('/admin/notices/:id', async (request, reply) => {
    const reader = readerOf(kit.actor(request));
    const id = idParam(request.params.id);
    const entry = id === null ? undefined : await findNotice(db, reader, id);
    if (!entry || id === null) return kit.notFound(request, reply);
    // Opening a notice is reading it (read state per user).
    if (entry.readAt === null) {
      await markRead(db, reader, [id], clock.now());
      const header = kit.page(request).header;
      if (header) header.unread = Math.max(header.unread - 1, 0);
    }
    return kit.html(reply, 200, <NoticeDetailPage page={kit.page(request)} entry={entry} />);
  });

  // --- maintenance -----------------------------------------------------------------------------

  async function maintenancePage(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    form: MaintenanceForm,
    message: { kind: 'ok' | 'error'; text: string } | null,
  ) {
    const actor = kit.actor(request);
    const now = clock.now();
    const { merchantId } = scopeOf(actor);
    const coming = (await listComingMaintenance(db, now)).filter(
      (w) => merchantId === null || concerns(w, merchantId),
    );
    const all = can(actor, 'maintenance.manage') ? await listMaintenance(db, HISTORY_SIZE) : null;
    return kit.html(
      reply,
      status,
      <MaintenancePage
        page={kit.page(request, '/admin/maintenance')}
        now={now}
        coming={coming}
        all={all}
        form={form}
        message={message}
      />,
    );
  }

  app.get('/admin/maintenance', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const m = textsOf(request).maintenance;
    const message =
      query.done === 'scheduled'
        ? { kind: 'ok' as const, text: m.scheduled }
        : query.done === 'cancelled'
          ? { kind: 'ok' as const, text: m.cancelled }
          : null;
    return maintenancePage(request, reply, 200, EMPTY_MAINTENANCE_FORM, message);
  });

  app.post('/admin/maintenance', async (request, reply) => {
    const actor = kit.allow(request, reply, 'maintenance.manage');
    if (!actor) return reply;
    const body = request.body;
    const form: MaintenanceForm = {
      startsAt: formField(body, 'starts_at'),
      endsAt: formField(body, 'ends_at'),
      scope: formField(body, 'scope'),
      services: formField(body, 'services'),
      textJa: formField(body, 'text_ja'),
      textEn: formField(body, 'text_en'),
      emergency: formField(body, 'emergency') === '1',
      reason: formField(body, 'reason'),
    };
    const input: MaintenanceInput = {
      startsAt: parseJstMinute(form.startsAt),
      endsAt: parseJstMinute(form.endsAt),
      scope: form.scope,
      services: form.services
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter((s) => s !== ''),
      text: { ja: form.textJa, en: form.textEn },
      emergency: form.emergency,
      emergencyReason: form.reason,
    };
    const now = clock.now();
    // The window, its notice and its audit row commit together.
    const outcome = await db.transaction().execute(async (tx) => {
      const scheduled = await scheduleMaintenance(tx, input, actor.email, now);
      if (scheduled.ok) {
        const { window } = scheduled;
        const detail = {
          startsAt: window.startsAt.toISOString(),
          endsAt: window.endsAt.toISOString(),
          scope: window.scope,
          services: window.services.join(' '),
          emergency: window.emergency,
          ...(window.emergencyReason ? { reason: window.emergencyReason } : {}),
        };
        const entry = {
          action: 'maintenance.schedule',
          target: `maintenance:${window.id}`,
          merchantId: null,
          detail,
        };
        await kit.audit(request, entry, tx);
      }
      return scheduled;
    });
    if (!outcome.ok) {
      const m = textsOf(request).maintenance;
      await kit.audit(request, {
        action: 'maintenance.refused',
        target: 'maintenance',
        merchantId: null,
        detail: {
          error: outcome.error,
          startsAt: form.startsAt,
          endsAt: form.endsAt,
          emergency: form.emergency,
        },
      });
      const text = outcome.detail ? `${m.errors[outcome.error]}: ${outcome.detail}` : m.errors[outcome.error];
      return maintenancePage(request, reply, 400, form, { kind: 'error', text });
    }
    return reply.redirect('/admin/maintenance?done=scheduled', 303);
  });

  app.post<{ Params: { id: string } }>('/admin/maintenance/:id/cancel', async (request, reply) => {
    const actor = kit.allow(request, reply, 'maintenance.manage');
    if (!actor) return reply;
    const id = idParam(request.params.id);
    const now = clock.now();
    const cancelled =
      id === null
        ? null
        : await db.transaction().execute(async (tx) => {
            const done = await cancelMaintenance(tx, id, now);
            if (done) {
              const entry = { action: 'maintenance.cancel', target: `maintenance:${id}`, merchantId: null };
              await kit.audit(request, entry, tx);
            }
            return done;
          });
    if (!cancelled) return kit.notFound(request, reply);
    return reply.redirect('/admin/maintenance?done=cancelled', 303);
  });

  // --- outages ---------------------------------------------------------------------------------

  async function outagesPage(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    message: { kind: 'ok' | 'error'; text: string } | null,
  ) {
    return kit.html(
      reply,
      status,
      <OutagesPage
        page={kit.page(request, '/admin/outages')}
        incidents={await listOutages(db, HISTORY_SIZE)}
        message={message}
      />,
    );
  }

  app.get('/admin/outages', async (request, reply) => {
    if (!kit.allow(request, reply, 'outages.manage')) return reply;
    const saved = (request.query as Record<string, unknown>).saved === '1';
    return outagesPage(
      request,
      reply,
      200,
      saved ? { kind: 'ok', text: textsOf(request).outages.causeSaved } : null,
    );
  });

  app.post<{ Params: { id: string } }>('/admin/outages/:id/cause', async (request, reply) => {
    const actor = kit.allow(request, reply, 'outages.manage');
    if (!actor) return reply;
    const id = idParam(request.params.id);
    if (id === null) return kit.notFound(request, reply);
    const cause = {
      ja: formField(request.body, 'cause_ja').trim(),
      en: formField(request.body, 'cause_en').trim(),
    };
    const o = textsOf(request).outages;
    if (cause.ja === '' || cause.en === '' || cause.ja.length > CAUSE_MAX || cause.en.length > CAUSE_MAX) {
      return outagesPage(request, reply, 400, { kind: 'error', text: o.causeRequired });
    }
    const now = clock.now();
    const added = await db.transaction().execute(async (tx) => {
      const done = await addOutageCause(tx, id, cause, actor.email, now);
      if (done)
        await kit.audit(
          request,
          { action: 'outage.cause', target: `outage:${id}`, merchantId: null, detail: cause },
          tx,
        );
      return done;
    });
    if (!added) return outagesPage(request, reply, 409, { kind: 'error', text: o.notOpen });
    return reply.redirect('/admin/outages?saved=1', 303);
  });
}
