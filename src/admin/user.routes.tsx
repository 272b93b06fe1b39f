import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminUserRow } from '../db/database';
import { type AdminKit, formField } from './admin-kit';
import { type Actor, assignableRoles, scopeOf } from './permissions';
import { createUser, findUser, listUsers, resetPassword, setDisabled, UserInputError } from './user.service';
import { UsersPage, type UsersPageProps } from './views/users-page';

/**
 * Users (admin.md, Screens 6): operators manage everyone, a merchant's admins manage their
 * merchant's people (never operators, never another merchant's). Someone outside that reach is
 * "not found".
 */
export function registerUserRoutes(app: FastifyInstance, kit: AdminKit): void {
  const { db, clock } = kit;

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    extra: Partial<Pick<UsersPageProps, 'notices' | 'secret' | 'form'>> = {},
  ) {
    const actor = kit.actor(request);
    return kit.html(
      reply,
      status,
      <UsersPage
        page={kit.page(request, '/admin/users')}
        users={await listUsers(db, scopeOf(actor))}
        roles={assignableRoles(actor)}
        form={extra.form ?? { email: '', role: 'merchant_viewer', merchant: '' }}
        notices={extra.notices ?? []}
        secret={extra.secret ?? null}
      />,
    );
  }

  /** The user named in the URL, if the actor manages them. */
  async function managedUser(actor: Actor, userId: string): Promise<AdminUserRow | undefined> {
    const user = await findUser(db, userId);
    if (!user) return undefined;
    const { merchantId } = scopeOf(actor);
    return merchantId === null || user.merchant_id === merchantId ? user : undefined;
  }

  app.get('/admin/users', async (request, reply) => {
    if (!kit.allow(request, reply, 'users.manage')) return reply;
    return render(request, reply, 200);
  });

  app.post('/admin/users', async (request, reply) => {
    const actor = kit.allow(request, reply, 'users.manage');
    if (!actor) return reply;
    const t = kit.page(request).t.users;
    const form = {
      email: formField(request.body, 'email'),
      role: formField(request.body, 'role'),
      merchant: formField(request.body, 'merchant'),
    };
    if (!(assignableRoles(actor) as readonly string[]).includes(form.role)) {
      return render(request, reply, 422, {
        form,
        notices: [{ kind: 'error', text: t.inputErrors.ROLE_INVALID ?? '' }],
      });
    }
    // A merchant admin's new users always belong to the admin's own merchant.
    const merchantId = scopeOf(actor).merchantId ?? (form.role === 'operator' ? null : form.merchant);
    try {
      const created = await createUser(db, {
        email: form.email,
        role: form.role,
        merchantId,
        now: clock.now(),
      });
      await kit.audit(request, {
        action: 'user.create',
        target: created.user.email,
        merchantId: created.user.merchant_id,
        detail: { role: created.user.role },
      });
      return render(request, reply, 200, {
        notices: [{ kind: 'ok', text: t.created(created.user.email) }],
        secret: { label: `${t.initialPassword} — ${created.user.email}`, value: created.password },
      });
    } catch (error) {
      if (!(error instanceof UserInputError)) throw error;
      return render(request, reply, 422, {
        form,
        notices: [{ kind: 'error', text: t.inputErrors[error.code] ?? error.message }],
      });
    }
  });

  app.post<{ Params: { userId: string } }>('/admin/users/:userId/password', async (request, reply) => {
    const actor = kit.allow(request, reply, 'users.manage');
    if (!actor) return reply;
    const user = await managedUser(actor, request.params.userId);
    if (!user) return kit.notFound(request, reply);
    const password = await resetPassword(db, user.user_id, clock.now());
    await kit.audit(request, {
      action: 'user.password-reset',
      target: user.email,
      merchantId: user.merchant_id,
    });
    const t = kit.page(request).t.users;
    return render(request, reply, 200, { secret: { label: t.newPassword(user.email), value: password } });
  });

  for (const change of ['disable', 'enable'] as const) {
    app.post<{ Params: { userId: string } }>(`/admin/users/:userId/${change}`, async (request, reply) => {
      const actor = kit.allow(request, reply, 'users.manage');
      if (!actor) return reply;
      const user = await managedUser(actor, request.params.userId);
      if (!user) return kit.notFound(request, reply);
      const t = kit.page(request).t.users;
      if (user.user_id === actor.userId) {
        return render(request, reply, 409, { notices: [{ kind: 'error', text: t.cannotSelf }] });
      }
      await setDisabled(db, user.user_id, change === 'disable', clock.now());
      await kit.audit(request, {
        action: `user.${change}`,
        target: user.email,
        merchantId: user.merchant_id,
      });
      return render(request, reply, 200, {
        notices: [
          { kind: 'ok', text: change === 'disable' ? t.disabledDone(user.email) : t.enabledDone(user.email) },
        ],
      });
    });
  }
}
