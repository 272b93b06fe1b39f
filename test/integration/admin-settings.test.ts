import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAdminCommands } from '../../src/admin/admin-cli';
import { verifyPassword } from '../../src/admin/password';
import { jstLocalValue } from '../../src/admin/payment-search';
import { DEMO_PASSWORDS_FILE, seedDemoUsers } from '../../src/admin/user.service';
import { openDatabase } from '../../src/db/connection';
import type { Database } from '../../src/db/database';
import { verifyApiPassword } from '../../src/merchants/api-password';
import { currentDemoApiPassword, seedDemoData } from '../../src/merchants/demo-seed';
import { createTestDatabase, DIALECTS } from '../support/databases';
import { type Stack, startStack, TEST_HASH_KEY } from '../support/stack';
import { ConsoleClient, resultsOf, seedConsole, TEST_PASSWORD, type TestUsers } from './admin-client';

/**
 * Service settings (secrets behind re-authentication), users, the CLI commands and the demo
 * users, on both databases (admin.md, Screens 5 and 6; People and permissions).
 */
for (const dialect of DIALECTS) {
  describe(`console settings, users and commands (${dialect})`, () => {
    let stack: Stack;
    let users: TestUsers;
    let admin: ConsoleClient;

    beforeAll(async () => {
      stack = await startStack(dialect);
      users = await seedConsole(stack.database.db, `s-${dialect}`);
      admin = new ConsoleClient(stack.gatewayUrl);
      expect((await admin.signIn(users.admin, TEST_PASSWORD)).status).toBe(303);
    });
    afterAll(async () => {
      await stack?.close();
    });

    const service = () =>
      stack.database.db
        .selectFrom('services')
        .selectAll()
        .where('merchant_id', '=', '30000')
        .where('service_id', '=', '001')
        .executeTakeFirstOrThrow();
    const audit = (action: string) =>
      stack.database.db.selectFrom('admin_audit').selectAll().where('action', '=', action).execute();
    const secretOf = (html: string) =>
      /<output class="secret" id="secret-value">([^<]*)<\/output>/.exec(html)?.[1];

    it('saves display name, URL hosts and encoding, and refuses a bad host without changing anything', async () => {
      const page = await admin.page('/admin/settings');
      expect(page.html).toContain('文字コードで結果通知（A02-1）と画面遷移（A03-1）を送信します');
      const bad = await admin.post('/admin/settings/general', {
        service: '30000/001',
        display_name: 'Demo',
        url_hosts: 'localhost\nhttp://evil/',
        encoding: 'UTF-8',
      });
      expect(bad.status).toBe(422);
      expect(await bad.text()).toContain('登録できないホストです：http://evil/');
      expect((await service()).encoding).toBe('Shift_JIS');

      const saved = await admin.post('/admin/settings/general', {
        service: '30000/001',
        display_name: 'Kessai Demo Shop',
        url_hosts: 'localhost\n127.0.0.1\nShop.Example.JP\n*.example.jp\nlocalhost',
        encoding: 'Shift_JIS',
      });
      expect(saved.status).toBe(303);
      expect(JSON.parse((await service()).url_hosts)).toEqual([
        'localhost',
        '127.0.0.1',
        'shop.example.jp',
        '*.example.jp',
      ]);
      const changed = (await audit('settings.update')).at(-1)!;
      expect(JSON.parse(changed.detail)).toEqual({
        urlHosts: {
          from: ['localhost', '127.0.0.1'],
          to: ['localhost', '127.0.0.1', 'shop.example.jp', '*.example.jp'],
        },
      });
      expect((await admin.page(saved.headers.get('location')!)).html).toContain('設定を保存しました。');
    });

    it('lets only an operator add a host on an internal network; existing ones stay', async () => {
      const refused = await admin.post('/admin/settings/general', {
        service: '30000/001',
        display_name: 'Kessai Demo Shop',
        url_hosts: 'localhost\n127.0.0.1\n10.0.0.5\n169.254.169.254',
        encoding: 'Shift_JIS',
      });
      expect(refused.status).toBe(422);
      const html = await refused.text();
      expect(html).toContain('内部ネットワークのホストは運用者のみが登録できます：10.0.0.5');
      expect(html).toContain('169.254.169.254');
      expect(JSON.parse((await service()).url_hosts)).not.toContain('10.0.0.5');

      const operator = new ConsoleClient(stack.gatewayUrl);
      expect((await operator.signIn(users.operator, TEST_PASSWORD)).status).toBe(303);
      const byOperator = await operator.post('/admin/settings/general', {
        service: '30000/001',
        display_name: 'Kessai Demo Shop',
        url_hosts: 'localhost\n127.0.0.1\n10.0.0.5',
        encoding: 'Shift_JIS',
      });
      expect(byOperator.status).toBe(303);
      expect(JSON.parse((await service()).url_hosts)).toContain('10.0.0.5');

      // The merchant admin can still save the list the operator made.
      const kept = await admin.post('/admin/settings/general', {
        service: '30000/001',
        display_name: 'Kessai Demo Shop',
        url_hosts: 'localhost\n127.0.0.1\n10.0.0.5',
        encoding: 'Shift_JIS',
      });
      expect(kept.status).toBe(303);
    });

    it('reveals the hash key only after re-authentication and never writes it to the audit log', async () => {
      const wrong = await admin.post('/admin/settings/hash-key', {
        service: '30000/001',
        op: 'reveal',
        password: 'not my password',
      });
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).not.toContain(TEST_HASH_KEY);
      expect((await audit('reauth.failed')).length).toBe(1);

      const page = await admin.page('/admin/settings');
      expect(page.html).not.toContain(TEST_HASH_KEY);
      const shown = await admin.post('/admin/settings/hash-key', {
        service: '30000/001',
        op: 'reveal',
        password: TEST_PASSWORD,
      });
      expect(shown.status).toBe(200);
      expect(shown.headers.get('cache-control')).toBe('no-store');
      expect(secretOf(await shown.text())).toBe(TEST_HASH_KEY);
      const rows = await stack.database.db.selectFrom('admin_audit').select('detail').execute();
      expect(rows.some((r) => r.detail.includes(TEST_HASH_KEY))).toBe(false);
      expect((await audit('hash-key.reveal')).length).toBe(1);
    });

    it('rotates the hash key: the new one signs purchase requests, the old one no longer does', async () => {
      const rotated = await admin.post('/admin/settings/hash-key', {
        service: '30000/001',
        op: 'rotate',
        password: TEST_PASSWORD,
      });
      const key = secretOf(await rotated.text())!;
      try {
        expect(key).toMatch(/^[0-9a-f]{40}$/);
        expect((await service()).hash_key).toBe(key);
        expect((await stack.postPurchase(stack.purchaseFields(), { hashKey: key })).status).toBe(303);
        expect((await stack.postPurchase(stack.purchaseFields())).status).not.toBe(303);
        expect((await audit('hash-key.rotate')).length).toBe(1);
      } finally {
        await stack.database.db
          .updateTable('services')
          .set({ hash_key: TEST_HASH_KEY })
          .where('merchant_id', '=', '30000')
          .execute();
      }
    });

    it('resets the API password and shows it once', async () => {
      const reset = await admin.post('/admin/settings/api-password', {
        service: '30000/001',
        password: TEST_PASSWORD,
      });
      expect(reset.status).toBe(200);
      const password = secretOf(await reset.text())!;
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(verifyApiPassword(await service(), password)).toBe(true);
      expect((await admin.page('/admin/settings')).html).not.toContain(password);
      expect((await audit('api-password.reset')).map((r) => r.actor_email)).toEqual([users.admin]);
      // In the demo the demo shop follows the reset: it reads the password kept in the data folder.
      expect(await currentDemoApiPassword(stack.database.db, stack.runtime.config.dataDir, undefined)).toBe(
        password,
      );
    });

    it('lets a merchant admin add, reset and disable their people, not operators or themselves', async () => {
      const email = `new-${dialect}@example.jp`;
      const created = await admin.post('/admin/users', { email, role: 'merchant_viewer', merchant: '40000' });
      expect(created.status).toBe(200);
      const initial = secretOf(await created.text())!;
      const row = await stack.database.db
        .selectFrom('admin_users')
        .selectAll()
        .where('email', '=', email)
        .executeTakeFirstOrThrow();
      // The admin's own merchant, whatever the form said.
      expect(row.merchant_id).toBe('30000');
      expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);

      const person = new ConsoleClient(stack.gatewayUrl);
      expect((await person.signIn(email, initial)).status).toBe(303);

      const reset = await admin.post(`/admin/users/${row.user_id}/password`);
      const next = secretOf(await reset.text())!;
      expect((await person.page('/admin')).status).toBe(303);
      expect((await new ConsoleClient(stack.gatewayUrl).signIn(email, initial)).status).toBe(401);
      expect((await person.signIn(email, next)).status).toBe(303);

      expect((await admin.post(`/admin/users/${row.user_id}/disable`)).status).toBe(200);
      expect((await person.page('/admin')).status).toBe(303);
      expect((await person.signIn(email, next)).status).toBe(401);
      expect((await admin.post(`/admin/users/${row.user_id}/enable`)).status).toBe(200);
      expect((await person.signIn(email, next)).status).toBe(303);

      const operator = await admin.post('/admin/users', {
        email: `op-${dialect}@example.jp`,
        role: 'operator',
      });
      expect(operator.status).toBe(422);
      const self = await stack.database.db
        .selectFrom('admin_users')
        .select('user_id')
        .where('email', '=', users.admin)
        .executeTakeFirstOrThrow();
      expect((await admin.post(`/admin/users/${self.user_id}/disable`)).status).toBe(409);
      const actions = (
        await stack.database.db
          .selectFrom('admin_audit')
          .select('action')
          .where('target', '=', email)
          .execute()
      ).map((a) => a.action);
      expect(actions).toEqual(
        expect.arrayContaining([
          'user.create',
          'user.password-reset',
          'user.disable',
          'user.enable',
          'sign-in',
        ]),
      );
    });

    it('creates the first operator and seeds payments from the command line', async () => {
      const output: string[] = [];
      const program = new Command('kessai').exitOverride();
      registerAdminCommands(program, {
        open: async () =>
          ({
            ...openDatabase<Database>(stack.database.url, { searchPath: stack.database.searchPath }),
            dialect,
          }) as const,
        out: (text) => output.push(text),
      });
      const email = `first-${dialect}@example.jp`;
      await program.parseAsync(['user', 'create', '--role', 'operator', '--email', email], { from: 'user' });
      const password = /Password \(shown once\): (\S+)/.exec(output.join(''))![1]!;
      const operator = new ConsoleClient(stack.gatewayUrl);
      expect((await operator.signIn(email, password)).status).toBe(303);
      expect((await audit('user.create')).some((r) => r.target === email && r.actor_email === 'cli')).toBe(
        true,
      );

      const before = await stack.database.db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      await program.parseAsync(['demo-data', '--payments', '300', '--seed', '7'], { from: 'user' });
      const after = await stack.database.db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n) - Number(before.n)).toBe(300);
      expect(output.join('')).toContain('Inserted 300 payments of 30000/001');

      const seeded = await stack.database.db
        .selectFrom('payments')
        .select(['status', 'amount'])
        .where('order_id', 'like', 'DEMO-%')
        .execute();
      const rollups = await stack.database.db
        .selectFrom('payment_rollups')
        .selectAll()
        .where('merchant_id', '=', '30000')
        .execute();
      const rolled = (status: string) =>
        rollups.filter((r) => r.status === status).reduce((s, r) => s + Number(r.count), 0);
      const captured = seeded.filter((p) =>
        ['CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(p.status),
      ).length;
      expect(rolled('CAPTURED')).toBeGreaterThanOrEqual(captured);
      expect(seeded.filter((p) => p.status === 'EXPIRED').length).toBeGreaterThan(0);

      const search = await operator.page(
        `/admin/payments?${new URLSearchParams({ from: jstLocalValue(new Date(Date.now() - 364 * 86_400_000)), merchant: '30000' })}`,
      );
      expect(resultsOf(search.html)).toContain('DEMO-');
    });

    it('seeds the demo users from processes starting side by side on one database', async () => {
      const database = await createTestDatabase(dialect);
      const dataDir = mkdtempSync(join(tmpdir(), 'kessai-demo-users-'));
      try {
        await seedDemoData(database.db, new Date(), {});
        // `kessai serve --no-jobs` and `kessai worker` started at once both find no demo users.
        const seeded = await Promise.allSettled([
          seedDemoUsers(database.db, new Date(), { dataDir }),
          seedDemoUsers(database.db, new Date(), { dataDir }),
        ]);
        expect(seeded.map((s) => (s.status === 'rejected' ? String(s.reason) : s.status))).toEqual([
          'fulfilled',
          'fulfilled',
        ]);
        const users = await database.db.selectFrom('admin_users').select('email').execute();
        expect(users).toHaveLength(3);
        // The next start prints passwords that work.
        const next = await seedDemoUsers(database.db, new Date(), { dataDir });
        for (const c of next) {
          const { password_hash } = await database.db
            .selectFrom('admin_users')
            .select('password_hash')
            .where('email', '=', c.email)
            .executeTakeFirstOrThrow();
          expect(await verifyPassword(c.password, password_hash), c.role).toBe(true);
        }
      } finally {
        await database.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('seeds the demo users once, keeps their passwords printable, and renews them when the file is lost', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'kessai-demo-users-'));
      try {
        const first = await seedDemoUsers(stack.database.db, new Date(), { dataDir });
        expect(first.map((c) => c.role)).toEqual(['operator', 'merchant_admin', 'merchant_viewer']);
        const file = join(dataDir, DEMO_PASSWORDS_FILE);
        expect(statSync(file).mode & 0o777).toBe(0o600);
        expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(
          Object.fromEntries(first.map((c) => [c.email, c.password])),
        );
        const again = await seedDemoUsers(stack.database.db, new Date(), { dataDir });
        expect(again).toEqual(first);
        for (const c of again) {
          expect((await new ConsoleClient(stack.gatewayUrl).signIn(c.email, c.password)).status, c.role).toBe(
            303,
          );
        }
        rmSync(file);
        const renewed = await seedDemoUsers(stack.database.db, new Date(), { dataDir });
        expect(renewed[0]!.password).not.toBe(first[0]!.password);
        expect(
          (await new ConsoleClient(stack.gatewayUrl).signIn(renewed[0]!.email, renewed[0]!.password)).status,
        ).toBe(303);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
