import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GovernanceInputError } from '../governance/governance-input';
import { declareServiceCategories, listProhibited, serviceCategories } from '../governance/prohibited';
import { issueApiPassword } from '../merchants/api-password';
import { findServiceWithMerchant, type ServiceWithMerchant } from '../merchants/merchant.repository';
import { type AdminKit, formField } from './admin-kit';
import { reauthenticate } from './auth.service';
import { CASE_TEXTS } from './case-i18n';
import { listServices, type ServiceKey } from './merchant-list';
import { type Actor, can, inScope, scopeOf } from './permissions';
import {
  checkGeneralSettings,
  rotateHashKey,
  type SettingsProblem,
  updateGeneralSettings,
} from './settings.service';
import {
  type SettingsForm,
  SettingsPage,
  type SettingsPageProps,
  serviceKeyText,
} from './views/settings-page';

/**
 * Service settings (admin.md, Screens 5). Secrets are shown only in the response to a
 * re-authenticated request and never written anywhere else (the audit log says "revealed").
 */
function parseServiceKey(text: unknown): ServiceKey | null {
  if (typeof text !== 'string') return null;
  const m = /^([0-9A-Za-z_-]{1,32})\/([0-9A-Za-z_-]{1,32})$/.exec(text);
  return m ? { merchantId: m[1]!, serviceId: m[2]! } : null;
}

async function categoriesOf(db: AdminKit['db'], merchantId: string, serviceId: string, typed?: string) {
  const declared = await serviceCategories(db, merchantId, serviceId);
  const listed = new Set((await listProhibited(db)).map((c) => c.category));
  return { declared, prohibited: declared.filter((c) => listed.has(c)), typed: typed ?? null };
}

export function registerSettingsRoutes(app: FastifyInstance, kit: AdminKit): void {
  const { db, clock } = kit;

  /** The service named by the request, if it exists and is within the actor's merchant. */
  async function scopedService(actor: Actor, text: unknown): Promise<ServiceWithMerchant | undefined> {
    const key = parseServiceKey(text);
    if (!key || !inScope(actor, key.merchantId)) return undefined;
    return findServiceWithMerchant(db, key.merchantId, key.serviceId);
  }

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    selected: ServiceWithMerchant | null,
    extra: Partial<Pick<SettingsPageProps, 'notices' | 'secret' | 'form'>> & {
      typedCategories?: string;
    } = {},
  ) {
    const actor = kit.actor(request);
    const key = selected
      ? serviceKeyText({ merchantId: selected.service.merchant_id, serviceId: selected.service.service_id })
      : '';
    const page = kit.page(request, `/admin/settings${key ? `?service=${encodeURIComponent(key)}` : ''}`);
    return kit.html(
      reply,
      status,
      <SettingsPage
        page={page}
        services={await listServices(db, scopeOf(actor))}
        selected={selected}
        canWrite={can(actor, 'settings.write')}
        form={extra.form ?? null}
        notices={extra.notices ?? []}
        secret={extra.secret ?? null}
        categories={
          selected
            ? await categoriesOf(
                db,
                selected.service.merchant_id,
                selected.service.service_id,
                extra.typedCategories,
              )
            : null
        }
      />,
    );
  }

  app.get('/admin/settings', async (request, reply) => {
    const actor = kit.allow(request, reply, 'settings.read');
    if (!actor) return reply;
    const query = request.query as Record<string, unknown>;
    let selected = await scopedService(actor, query.service);
    if (!selected) {
      const first = (await listServices(db, scopeOf(actor)))[0];
      selected = first ? await findServiceWithMerchant(db, first.merchantId, first.serviceId) : undefined;
    }
    const t = kit.page(request).t.settings;
    return render(request, reply, 200, selected ?? null, {
      notices: query.saved === '1' ? [{ kind: 'ok', text: t.saved }] : [],
    });
  });

  app.post('/admin/settings/general', async (request, reply) => {
    const actor = kit.allow(request, reply, 'settings.write');
    if (!actor) return reply;
    const current = await scopedService(actor, formField(request.body, 'service'));
    if (!current) return kit.notFound(request, reply);
    const t = kit.page(request).t.settings;
    const form: SettingsForm = {
      displayName: formField(request.body, 'display_name'),
      urlHosts: formField(request.body, 'url_hosts'),
      encoding: formField(request.body, 'encoding'),
    };
    const checked = checkGeneralSettings(form, {
      allowed: actor.role === 'operator',
      existing: JSON.parse(current.service.url_hosts) as string[],
    });
    if (!checked.ok) {
      const text = (p: SettingsProblem) =>
        p.kind === 'DISPLAY_NAME'
          ? t.badDisplayName
          : p.kind === 'NO_HOSTS'
            ? t.noHosts
            : p.kind === 'HOST'
              ? t.badHost(p.host)
              : p.kind === 'INTERNAL_HOST'
                ? t.internalHost(p.host)
                : t.badEncoding;
      return render(request, reply, 422, current, {
        form,
        notices: checked.problems.map((p) => ({ kind: 'error' as const, text: text(p) })),
      });
    }
    const changes = await updateGeneralSettings(db, current, checked.value);
    const key = serviceKeyText({
      merchantId: current.service.merchant_id,
      serviceId: current.service.service_id,
    });
    if (Object.keys(changes).length > 0) {
      await kit.audit(request, {
        action: 'settings.update',
        target: key,
        merchantId: current.service.merchant_id,
        detail: changes,
      });
    }
    return reply.redirect(`/admin/settings?${new URLSearchParams({ service: key, saved: '1' })}`, 303);
  });

  // The service's product categories (governance.md, 4): declaring a prohibited one notifies at once.
  app.post('/admin/settings/categories', async (request, reply) => {
    const actor = kit.allow(request, reply, 'settings.write');
    if (!actor) return reply;
    const current = await scopedService(actor, formField(request.body, 'service'));
    if (!current) return kit.notFound(request, reply);
    const { merchant_id: merchantId, service_id: serviceId } = current.service;
    const typed = formField(request.body, 'categories');
    const g = CASE_TEXTS[kit.page(request).lang];
    try {
      await db.transaction().execute(async (tx) => {
        const changed = await declareServiceCategories(tx, {
          merchantId,
          serviceId,
          categories: typed,
          now: clock.now(),
        });
        if (changed.from.join() === changed.to.join()) return;
        const entry = {
          action: 'settings.categories',
          target: serviceKeyText({ merchantId, serviceId }),
          merchantId,
          detail: { from: changed.from, to: changed.to, prohibited: changed.prohibited },
        };
        await kit.audit(request, entry, tx);
      });
      return render(request, reply, 200, current, { notices: [{ kind: 'ok', text: g.categories.saved }] });
    } catch (error) {
      if (!(error instanceof GovernanceInputError)) throw error;
      return render(request, reply, 422, current, {
        notices: [{ kind: 'error', text: g.inputErrors[error.code] }],
        typedCategories: typed,
      });
    }
  });

  /** Re-authentication first; a failure is answered on the settings page and audited. */
  async function withReauth(
    request: FastifyRequest,
    reply: FastifyReply,
    then: (actor: Actor, service: ServiceWithMerchant, key: string) => Promise<FastifyReply>,
  ) {
    const actor = kit.allow(request, reply, 'settings.write');
    if (!actor) return reply;
    const current = await scopedService(actor, formField(request.body, 'service'));
    if (!current) return kit.notFound(request, reply);
    const key = serviceKeyText({
      merchantId: current.service.merchant_id,
      serviceId: current.service.service_id,
    });
    const t = kit.page(request).t.settings;
    const verdict = await reauthenticate(db, actor, formField(request.body, 'password'), clock.now());
    if (verdict !== 'ok') {
      await kit.audit(request, {
        action: 'reauth.failed',
        target: key,
        merchantId: current.service.merchant_id,
        detail: { locked: verdict === 'locked' },
      });
      return render(request, reply, verdict === 'locked' ? 429 : 401, current, {
        notices: [{ kind: 'error', text: verdict === 'locked' ? t.reauthLocked : t.reauthFailed }],
      });
    }
    return then(actor, current, key);
  }

  app.post('/admin/settings/hash-key', async (request, reply) =>
    withReauth(request, reply, async (_actor, current, key) => {
      const t = kit.page(request).t.settings;
      const merchantId = current.service.merchant_id;
      if (formField(request.body, 'op') === 'rotate') {
        const hashKey = await rotateHashKey(db, { merchantId, serviceId: current.service.service_id });
        await kit.audit(request, { action: 'hash-key.rotate', target: key, merchantId });
        const updated =
          (await findServiceWithMerchant(db, merchantId, current.service.service_id)) ?? current;
        return render(request, reply, 200, updated, { secret: { label: t.rotatedKey, value: hashKey } });
      }
      await kit.audit(request, { action: 'hash-key.reveal', target: key, merchantId });
      return render(request, reply, 200, current, {
        secret: { label: t.revealedKey, value: current.service.hash_key },
      });
    }),
  );

  app.post('/admin/settings/api-password', async (request, reply) =>
    withReauth(request, reply, async (_actor, current, key) => {
      const t = kit.page(request).t.settings;
      const { merchant_id: merchantId, service_id: serviceId } = current.service;
      const password = await issueApiPassword(db, merchantId, serviceId);
      kit.apiPasswordIssued({ merchantId, serviceId }, password);
      await kit.audit(request, { action: 'api-password.reset', target: key, merchantId });
      const updated = (await findServiceWithMerchant(db, merchantId, serviceId)) ?? current;
      return render(request, reply, 200, updated, { secret: { label: t.newApiPassword, value: password } });
    }),
  );
}
