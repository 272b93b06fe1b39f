import type { VNode } from 'preact';
import type { AdminUserRow } from '../../db/database';
import { jstText } from '../format';
import { isRole, type Role } from '../permissions';
import { CsrfField, Layout, Notice, type PageContext, Scroll, SecretOnce } from './layout';

export interface UsersPageProps {
  page: PageContext;
  users: AdminUserRow[];
  roles: readonly Role[];
  form: { email: string; role: string; merchant: string };
  notices: Array<{ kind: 'ok' | 'warn' | 'error'; text: string }>;
  secret: { label: string; value: string } | null;
}

export function UsersPage(props: UsersPageProps): VNode {
  const { page } = props;
  const { t } = page;
  const u = t.users;
  const operator = page.actor?.role === 'operator';
  return (
    <Layout page={page} title={u.title} current="users">
      {props.notices.map((n) => (
        <Notice kind={n.kind}>{n.text}</Notice>
      ))}
      <SecretOnce secret={props.secret} note={t.settings.shownOnce} />
      <Scroll label={u.title}>
        <table id="users">
          <thead>
            <tr>
              <th scope="col">{u.email}</th>
              <th scope="col">{u.role}</th>
              <th scope="col">{u.merchant}</th>
              <th scope="col">{u.state}</th>
              <th scope="col">{u.lastSignIn}</th>
              <th scope="col">{t.billing.actions}</th>
            </tr>
          </thead>
          <tbody>
            {props.users.map((user) => {
              const self = user.user_id === page.actor?.userId;
              const base = `/admin/users/${encodeURIComponent(user.user_id)}`;
              return (
                <tr>
                  <td>
                    {user.email}
                    {self && ` ${u.self}`}
                  </td>
                  <td>{isRole(user.role) ? t.roles[user.role] : user.role}</td>
                  <td>{user.merchant_id ?? ''}</td>
                  <td>{user.disabled ? u.disabled : u.active}</td>
                  <td>{user.last_sign_in_at === null ? u.never : jstText(Number(user.last_sign_in_at))}</td>
                  <td>
                    <div class="actions">
                      <form
                        method="post"
                        action={`${base}/password`}
                        data-confirm={u.resetConfirm(user.email)}
                      >
                        <CsrfField page={page} />
                        <button type="submit" class="secondary">
                          {u.resetPassword}
                        </button>
                      </form>
                      {!self && (
                        <form
                          method="post"
                          action={`${base}/${user.disabled ? 'enable' : 'disable'}`}
                          data-confirm={user.disabled ? undefined : u.disableConfirm(user.email)}
                        >
                          <CsrfField page={page} />
                          <button type="submit" class={user.disabled ? 'secondary' : 'danger'}>
                            {user.disabled ? u.enable : u.disable}
                          </button>
                        </form>
                      )}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Scroll>

      <section class="card" aria-labelledby="create-user">
        <h2 id="create-user">{u.create}</h2>
        <form method="post" action="/admin/users" class="filters">
          <CsrfField page={page} />
          <div>
            <label for="new-email">{u.email}</label>
            <input
              id="new-email"
              name="email"
              type="email"
              required
              maxLength={254}
              value={props.form.email}
            />
          </div>
          <div>
            <label for="new-role">{u.role}</label>
            <select id="new-role" name="role">
              {props.roles.map((r) => (
                <option value={r} selected={props.form.role === r}>
                  {t.roles[r]}
                </option>
              ))}
            </select>
          </div>
          {operator && (
            <div>
              <label for="new-merchant">{u.merchant}</label>
              <input id="new-merchant" name="merchant" maxLength={32} value={props.form.merchant} />
            </div>
          )}
          <div>
            <button type="submit">{u.createSubmit}</button>
          </div>
        </form>
      </section>
    </Layout>
  );
}
