import type { VNode } from 'preact';
import { Layout, Notice, type PageContext } from './layout';

export interface LoginPageProps {
  page: PageContext;
  /** The sign-in form's own CSRF token (there is no session yet). */
  formToken: string;
  email: string;
  next: string;
  notice: { kind: 'ok' | 'warn' | 'error'; text: string } | null;
}

export function LoginPage(props: LoginPageProps): VNode {
  const { t } = props.page;
  return (
    <Layout page={props.page} title={t.login.title}>
      <div class="login card">
        {props.notice && <Notice kind={props.notice.kind}>{props.notice.text}</Notice>}
        <form method="post" action="/admin/login">
          <input type="hidden" name="_csrf" value={props.formToken} />
          <input type="hidden" name="next" value={props.next} />
          <div class="field">
            <label for="email">{t.login.email}</label>
            <input
              id="email"
              name="email"
              type="email"
              autoComplete="username"
              required
              maxLength={254}
              value={props.email}
            />
          </div>
          <div class="field">
            <label for="password">{t.login.password}</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              maxLength={1024}
            />
          </div>
          <button type="submit">{t.login.submit}</button>
        </form>
      </div>
    </Layout>
  );
}
