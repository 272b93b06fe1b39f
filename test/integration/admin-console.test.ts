import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/admin/user.service';
import { DIALECTS } from '../support/databases';
import { eventually, type Stack, startStack } from '../support/stack';
import {
  ConsoleClient,
  csrfOf,
  OTHER_MERCHANT,
  paymentRow,
  resultsOf,
  seedConsole,
  TEST_PASSWORD,
  type TestUsers,
} from './admin-client';

/**
 * The console's sign-in, sessions and guards over real HTTP (admin.md, People and permissions):
 * redirects and 401 without a session, cookie flags, security headers, lockout, sign-out, idle
 * timeout, CSRF, the permissions matrix and tenancy, and the audit log.
 */
const MINUTE = 60_000;

for (const dialect of DIALECTS) {
  describe(`console sign-in, guards and tenancy (${dialect})`, () => {
    let stack: Stack;
    let users: TestUsers;
    const own = paymentRow({ order_id: `OWN-${dialect}` });
    const others = paymentRow({
      merchant_id: OTHER_MERCHANT,
      order_id: `OTHER-${dialect}`,
      cust_code: 'CUST-1',
    });

    beforeAll(async () => {
      stack = await startStack(dialect);
      users = await seedConsole(stack.database.db, dialect);
      await stack.database.db.insertInto('payments').values([own, others]).execute();
    });
    afterAll(async () => {
      await stack?.close();
    });

    const client = () => new ConsoleClient(stack.gatewayUrl);
    async function signedIn(email: string): Promise<ConsoleClient> {
      const c = client();
      const response = await c.signIn(email, TEST_PASSWORD);
      expect(response.status).toBe(303);
      return c;
    }
    const auditRows = (action: string) =>
      stack.database.db.selectFrom('admin_audit').selectAll().where('action', '=', action).execute();

    it('sends pages to the sign-in page and answers the CSV with 401 without a session', async () => {
      const c = client();
      for (const path of [
        '/admin',
        '/admin/payments',
        `/admin/payments/${own.tracking_id}`,
        '/admin/errors',
        '/admin/settings',
        '/admin/users',
        '/admin/audit',
      ]) {
        const response = await c.fetch(path);
        expect(response.status, path).toBe(303);
        expect(response.headers.get('location')).toBe(`/admin/login?${new URLSearchParams({ next: path })}`);
      }
      const csv = await c.fetch('/admin/payments.csv?from=2026-01-01');
      expect(csv.status).toBe(401);
    });

    it('signs in with an http-only SameSite cookie (not Secure over http) and serves pages with strict headers', async () => {
      const c = client();
      const form = await c.page('/admin/login');
      expect(form.status).toBe(200);
      const response = await c.fetch('/admin/login', {
        form: {
          _csrf: csrfOf(form.html),
          email: users.admin.toUpperCase(),
          password: TEST_PASSWORD,
          next: '/admin/payments',
        },
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/admin/payments');
      const cookie = response.headers.getSetCookie().find((line) => line.startsWith('kessai_admin='))!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
      expect(cookie).toMatch(/Path=\/admin/);
      expect(cookie).not.toMatch(/Secure/i);

      const dashboard = await c.page('/admin');
      expect(dashboard.status).toBe(200);
      const h = dashboard.response.headers;
      const csp = h.get('content-security-policy')!;
      expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
      expect(csp).toBe(
        `default-src 'none';style-src 'nonce-${nonce}';script-src 'nonce-${nonce}';img-src 'self' data:;form-action 'self';frame-ancestors 'none';base-uri 'none'`,
      );
      expect(dashboard.html).toContain(`<script nonce="${nonce}">`);
      expect(h.get('x-frame-options')).toBe('DENY');
      expect(h.get('strict-transport-security')).toBeNull();
      expect(h.get('x-content-type-options')).toBe('nosniff');
      expect(h.get('referrer-policy')).toBe('no-referrer');
      expect(h.get('cache-control')).toBe('no-store');
      expect(dashboard.html).toContain('<html lang="ja">');

      const signIns = await auditRows('sign-in');
      expect(signIns.some((r) => r.actor_email === users.admin && r.ip === '127.0.0.1')).toBe(true);
    });

    it('does not follow a "next" that leaves the console', async () => {
      const c = client();
      const form = await c.page('/admin/login');
      const response = await c.fetch('/admin/login', {
        form: {
          _csrf: csrfOf(form.html),
          email: users.viewer,
          password: TEST_PASSWORD,
          next: '//evil.example/admin',
        },
      });
      expect(response.headers.get('location')).toBe('/admin');
    });

    it('refuses a sign-in form without its CSRF token', async () => {
      const c = client();
      await c.page('/admin/login');
      const response = await c.fetch('/admin/login', {
        form: { email: users.admin, password: TEST_PASSWORD },
      });
      expect(response.status).toBe(403);
      expect(c.cookie('kessai_admin')).toBeUndefined();
    });

    /** A merchant viewer of the demo merchant with the test password, for the lockout tests. */
    const createViewer = (email: string) =>
      createUser(stack.database.db, {
        email,
        role: 'merchant_viewer',
        merchantId: '30000',
        password: TEST_PASSWORD,
        now: stack.clock.now(),
      });

    it('slows and then locks an account after five wrong passwords, even for the right one, for 15 minutes', async () => {
      const email = `locked-${dialect}@example.jp`;
      await createViewer(email);
      const c = client();
      const started = Date.now();
      for (let i = 1; i <= 4; i++) {
        expect((await c.signIn(email, 'wrong password!')).status).toBe(401);
      }
      // 0 + 250 + 500 + 750 ms of slowing down.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect((await c.signIn(email, 'wrong password!')).status).toBe(429);
      const refused = await c.signIn(email, TEST_PASSWORD);
      expect(refused.status).toBe(429);
      expect(await refused.text()).toContain('ロック');
      expect(c.cookie('kessai_admin')).toBeUndefined();

      const failures = (await auditRows('sign-in.failed')).filter((r) => r.target === email);
      expect(failures).toHaveLength(5);
      expect((await auditRows('sign-in.locked')).some((r) => r.target === email)).toBe(true);

      stack.clock.advance(16 * MINUTE);
      try {
        expect((await c.signIn(email, TEST_PASSWORD)).status).toBe(303);
      } finally {
        stack.clock.advance(-16 * MINUTE);
      }
    });

    it('checks at most five guesses of one account even when they arrive all at once', async () => {
      const email = `parallel-${dialect}@example.jp`;
      await createViewer(email);
      // Each guess from its own browser (its own sign-in form), all sent before any is answered.
      const forms = await Promise.all(
        Array.from({ length: 13 }, async () => {
          const c = client();
          return { c, token: csrfOf((await c.page('/admin/login')).html) };
        }),
      );
      const post = ({ c, token }: (typeof forms)[number], password: string) =>
        c.fetch('/admin/login', { form: { _csrf: token, email, password, next: '/admin' } });
      const guesses = forms.slice(0, 12).map((f) => post(f, 'wrong password!'));
      // The right password goes in once the wrong guesses have locked the account.
      await eventually(async () => {
        const row = await stack.database.db
          .selectFrom('admin_sign_in_throttle')
          .select('locked_until')
          .where('throttle_key', '=', `account:${email}`)
          .executeTakeFirst();
        return row?.locked_until != null;
      }, 20_000);
      const right = await post(forms[12]!, TEST_PASSWORD);
      const statuses = (await Promise.all(guesses)).map((r) => r.status);
      expect(right.status).toBe(429);
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(4);
      const failures = (await auditRows('sign-in.failed')).filter((r) => r.target === email);
      expect(failures.length).toBeLessThanOrEqual(5);
    });

    it('locks an address after twenty failures across accounts', async () => {
      const c = client();
      try {
        for (let i = 0; i < 20; i++) await c.signIn(`nobody-${i}-${dialect}@example.jp`, 'wrong password!');
        expect((await c.signIn(users.viewer, TEST_PASSWORD)).status).toBe(429);
      } finally {
        await stack.database.db.deleteFrom('admin_sign_in_throttle').execute();
      }
      expect((await c.signIn(users.viewer, TEST_PASSWORD)).status).toBe(303);
    });

    it('signs out: the session is gone from the database and the cookie no longer works', async () => {
      const c = await signedIn(users.viewer);
      const token = c.cookie('kessai_admin')!;
      const response = await c.post('/admin/logout');
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/admin/login?signed_out=1');
      expect(c.cookie('kessai_admin')).toBeUndefined();
      const again = await fetch(`${stack.gatewayUrl}/admin`, {
        headers: { Cookie: `kessai_admin=${token}` },
        redirect: 'manual',
      });
      expect(again.status).toBe(303);
      expect((await auditRows('sign-out')).some((r) => r.actor_email === users.viewer)).toBe(true);
    });

    it('ends a session after 30 idle minutes, but not while it is used', async () => {
      const c = await signedIn(users.viewer);
      try {
        stack.clock.advance(20 * MINUTE);
        expect((await c.page('/admin')).status).toBe(200);
        stack.clock.advance(20 * MINUTE);
        expect((await c.page('/admin')).status).toBe(200);
        stack.clock.advance(31 * MINUTE);
        const expired = await c.fetch('/admin/payments');
        expect(expired.status).toBe(303);
        expect(expired.headers.get('location')).toContain('expired=1');
        expect((await c.page('/admin')).status).toBe(303);
      } finally {
        stack.clock.advance(-71 * MINUTE);
      }
    });

    it('refuses a state-changing form without the session CSRF token and changes nothing', async () => {
      const c = await signedIn(users.admin);
      const email = `csrf-${dialect}@example.jp`;
      const forms: Array<Record<string, string>> = [
        { email, role: 'merchant_viewer' },
        { email, role: 'merchant_viewer', _csrf: 'not-the-token' },
      ];
      for (const form of forms) {
        const response = await c.fetch('/admin/users', { form });
        expect(response.status).toBe(403);
      }
      const created = await stack.database.db
        .selectFrom('admin_users')
        .select('email')
        .where('email', '=', email)
        .execute();
      expect(created).toHaveLength(0);
      const refund = await c.fetch(`/admin/payments/${own.tracking_id}/refunds`, {
        form: { kind: 'full', nonce: 'a'.repeat(22) },
      });
      expect(refund.status).toBe(403);
      const refunds = await stack.database.db
        .selectFrom('refunds')
        .select('refund_id')
        .where('tracking_id', '=', own.tracking_id)
        .execute();
      expect(refunds).toHaveLength(0);
      const signOut = await c.fetch('/admin/logout', { form: {} });
      expect(signOut.status).toBe(403);
      expect((await c.page('/admin')).status).toBe(200);
    });

    it('gives each role its screens (permissions matrix)', async () => {
      const expected: Record<string, Record<string, number>> = {
        operator: {
          '/admin': 200,
          '/admin/payments': 200,
          '/admin/errors': 200,
          '/admin/settings': 200,
          '/admin/users': 200,
          '/admin/audit': 200,
        },
        admin: {
          '/admin': 200,
          '/admin/payments': 200,
          '/admin/errors': 200,
          '/admin/settings': 200,
          '/admin/users': 200,
          '/admin/audit': 200,
        },
        viewer: {
          '/admin': 200,
          '/admin/payments': 200,
          '/admin/errors': 200,
          '/admin/settings': 200,
          '/admin/users': 403,
          '/admin/audit': 403,
        },
      };
      for (const [role, pages] of Object.entries(expected)) {
        const c = await signedIn(users[role as keyof TestUsers]);
        for (const [path, status] of Object.entries(pages)) {
          expect((await c.page(path)).status, `${role} ${path}`).toBe(status);
        }
        const csv = await c.fetch('/admin/payments.csv');
        expect(csv.status, `${role} CSV`).toBe(200);
        await csv.arrayBuffer();
      }
    });

    it('lets a viewer read but not refund, re-send, change settings or manage users', async () => {
      const c = await signedIn(users.viewer);
      const billing = await c.page(`/admin/payments/${own.tracking_id}`);
      expect(billing.status).toBe(200);
      expect(billing.html).not.toContain('id="refund-full"');
      expect(billing.html).not.toContain('id="resend"');
      const settings = await c.page('/admin/settings');
      expect(settings.html).not.toContain('action="/admin/settings/general" data-confirm-changed');
      expect(settings.html).not.toContain('id="reveal-hash-key"');
      for (const [path, form] of [
        [`/admin/payments/${own.tracking_id}/refunds`, { kind: 'full', nonce: 'b'.repeat(22) }],
        [`/admin/payments/${own.tracking_id}/notifications/resend`, {}],
        [
          '/admin/settings/general',
          { service: '30000/001', display_name: 'x', url_hosts: 'localhost', encoding: 'UTF-8' },
        ],
        ['/admin/settings/hash-key', { service: '30000/001', op: 'reveal', password: TEST_PASSWORD }],
        ['/admin/settings/api-password', { service: '30000/001', password: TEST_PASSWORD }],
        ['/admin/users', { email: `v-${dialect}@example.jp`, role: 'merchant_viewer' }],
      ] as const) {
        expect((await c.post(path, form)).status, path).toBe(403);
      }
      const service = await stack.database.db
        .selectFrom('services')
        .select('display_name')
        .where('merchant_id', '=', '30000')
        .executeTakeFirstOrThrow();
      expect(service.display_name).not.toBe('x');
    });

    it("hides another merchant's payment everywhere: URL, search, CSV, actions (404 / absent)", async () => {
      const c = await signedIn(users.admin);
      expect((await c.page(`/admin/payments/${others.tracking_id}`)).status).toBe(404);
      expect((await c.page(`/admin/payments/${others.tracking_id}?tab=details`)).status).toBe(404);
      expect(
        (
          await c.post(`/admin/payments/${others.tracking_id}/refunds`, {
            kind: 'full',
            nonce: 'c'.repeat(22),
          })
        ).status,
      ).toBe(404);
      expect((await c.post(`/admin/payments/${others.tracking_id}/notifications/resend`)).status).toBe(404);

      const wide = `from=${encodeURIComponent(new Date(Date.now() - 300 * 86_400_000).toISOString().slice(0, 16))}`;
      for (const query of [
        `tracking_id=${others.tracking_id}`,
        `order_id=${others.order_id}`,
        `merchant=${OTHER_MERCHANT}`,
        'cust_code=CUST-1',
      ]) {
        const search = await c.page(`/admin/payments?${wide}&${query}`);
        expect(search.status, query).toBe(200);
        expect(resultsOf(search.html), query).not.toContain(others.tracking_id);
        const csv = await c.fetch(`/admin/payments.csv?${wide}&${query}`);
        expect(await csv.text(), query).not.toContain(others.tracking_id);
      }
      const mine = await c.page(`/admin/payments?${wide}&cust_code=CUST-1`);
      expect(resultsOf(mine.html)).toContain(own.tracking_id);

      // The other merchant's own admin sees it; the operator sees both.
      const other = await signedIn(users.otherAdmin);
      expect((await other.page(`/admin/payments/${others.tracking_id}`)).status).toBe(200);
      expect((await other.page(`/admin/payments/${own.tracking_id}`)).status).toBe(404);
      const operator = await signedIn(users.operator);
      const all = await operator.page(`/admin/payments?${wide}&cust_code=CUST-1`);
      expect(resultsOf(all.html)).toContain(own.tracking_id);
      expect(resultsOf(all.html)).toContain(others.tracking_id);

      // Settings and users of another merchant are not found either.
      expect(
        (
          await c.post('/admin/settings/hash-key', {
            service: `${OTHER_MERCHANT}/001`,
            op: 'reveal',
            password: TEST_PASSWORD,
          })
        ).status,
      ).toBe(404);
      const otherUser = await stack.database.db
        .selectFrom('admin_users')
        .select('user_id')
        .where('email', '=', users.otherAdmin)
        .executeTakeFirstOrThrow();
      expect((await c.post(`/admin/users/${otherUser.user_id}/disable`)).status).toBe(404);
      expect((await c.post(`/admin/users/${otherUser.user_id}/password`)).status).toBe(404);
      const settings = await c.page(`/admin/settings?service=${OTHER_MERCHANT}%2F001`);
      expect(settings.html).not.toContain(`${OTHER_MERCHANT}/001`);
    });

    it('shows the audit log to operators in full and to merchant admins for their merchant only', async () => {
      const other = await signedIn(users.otherAdmin);
      const operator = await signedIn(users.operator);
      const admin = await signedIn(users.admin);
      const forAdmin = await admin.page('/admin/audit');
      expect(forAdmin.html).toContain(users.admin);
      expect(forAdmin.html).not.toContain(users.otherAdmin);
      expect(forAdmin.html).not.toContain(users.operator);
      const forOperator = await operator.page('/admin/audit');
      expect(forOperator.html).toContain(users.admin);
      expect(forOperator.html).toContain(users.otherAdmin);
      expect((await other.page('/admin/audit')).html).not.toContain(users.admin);
    });

    it('lists refused purchase requests of the own merchant only; operators choose the merchant', async () => {
      const { recordPaymentError } = await import('../../src/merchants/payment-error.repository');
      const base = {
        serviceId: '001',
        field: 'amount',
        userAgent: 'test',
        clientIp: '198.51.100.7',
        authenticated: true,
        at: new Date(),
      };
      await recordPaymentError(stack.database.db, {
        ...base,
        merchantId: '30000',
        code: '5103',
        orderId: `ERR-OWN-${dialect}`,
      });
      await recordPaymentError(stack.database.db, {
        ...base,
        merchantId: OTHER_MERCHANT,
        code: '5105',
        orderId: `ERR-OTHER-${dialect}`,
      });
      const admin = await signedIn(users.viewer);
      const page = await admin.page(`/admin/errors?merchant=${OTHER_MERCHANT}`);
      expect(page.html).toContain(`ERR-OWN-${dialect}`);
      expect(page.html).toContain('項目の形式が正しくないか');
      expect(page.html).not.toContain(`ERR-OTHER-${dialect}`);
      const operator = await signedIn(users.operator);
      const theirs = await operator.page(`/admin/errors?merchant=${OTHER_MERCHANT}`);
      expect(theirs.html).toContain(`ERR-OTHER-${dialect}`);
      expect(theirs.html).not.toContain(`ERR-OWN-${dialect}`);
    });

    it('switches to English and remembers it', async () => {
      const c = await signedIn(users.viewer);
      const en = await c.page('/admin/payments?lang=en');
      expect(en.html).toContain('<html lang="en">');
      expect(en.html).toContain('Payment search');
      expect((await c.page('/admin')).html).toContain('Dashboard');
      const ja = await c.page('/admin?lang=ja');
      expect(ja.html).toContain('ダッシュボード');
    });
  });
}

describe('console behind a trusted load balancer', () => {
  let stack: Stack;
  let users: TestUsers;
  beforeAll(async () => {
    stack = await startStack('sqlite', { env: { KESSAI_TRUST_PROXY: '127.0.0.1' } });
    users = await seedConsole(stack.database.db, 'proxy');
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('marks cookies Secure and sends HSTS when the request came over https, and audits the client address', async () => {
    const c = new ConsoleClient(stack.gatewayUrl, {
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-For': '203.0.113.9',
    });
    const form = await c.fetch('/admin/login');
    expect(form.headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect(form.headers.getSetCookie().every((line) => /; Secure/i.test(line))).toBe(true);
    await form.text();
    const signedIn = await c.signIn(users.viewer, TEST_PASSWORD);
    const session = signedIn.headers.getSetCookie().find((line) => line.startsWith('kessai_admin='))!;
    expect(session).toMatch(/; Secure/i);
    const row = await stack.database.db
      .selectFrom('admin_audit')
      .select('ip')
      .where('action', '=', 'sign-in')
      .where('actor_email', '=', users.viewer)
      .executeTakeFirstOrThrow();
    expect(row.ip).toBe('203.0.113.9');
  });
});
