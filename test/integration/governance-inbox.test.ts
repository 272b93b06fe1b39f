import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postNotice } from '../../src/governance/notice.repository';
import { DIALECTS } from '../support/databases';
import { clearStartupNotices, type Stack, startStack } from '../support/stack';
import { ConsoleClient, OTHER_MERCHANT, seedConsole, TEST_PASSWORD, type TestUsers } from './admin-client';

/**
 * The console inbox over real HTTP on both databases (governance.md, Notices): the unread count in
 * every page's header, read state per user, the filter by kind, tenancy (a merchant's people see
 * only their merchant's notices and those for all), and the notice addresses in the settings.
 */
for (const dialect of DIALECTS) {
  describe(`notice inbox (${dialect})`, () => {
    let stack: Stack;
    let users: TestUsers;
    const ids: Record<string, number> = {};

    beforeAll(async () => {
      stack = await startStack(dialect);
      await clearStartupNotices(stack);
      users = await seedConsole(stack.database.db, `inbox-${dialect}`);
      const db = stack.database.db;
      const now = stack.clock.now();
      const text = (en: string) => ({ ja: `${en}（日本語）`, en });
      ids.all = (await postNotice(
        db,
        {
          kind: 'general',
          severity: 'info',
          merchants: 'all',
          title: text('For everyone'),
          body: text('Hello'),
        },
        now,
      )) as number;
      ids.mine = (await postNotice(
        db,
        {
          kind: 'fraud',
          severity: 'warning',
          merchants: ['30000'],
          title: text('Payments under investigation'),
          body: text('Please answer'),
          links: [{ type: 'payment', trackingId: '12345678901234' }],
        },
        now,
      )) as number;
      ids.other = (await postNotice(
        db,
        {
          kind: 'kyc',
          severity: 'critical',
          merchants: [OTHER_MERCHANT],
          title: text('Other KYC'),
          body: text('Secret'),
        },
        now,
      )) as number;
    });
    afterAll(async () => {
      await stack?.close();
    });

    async function signedIn(email: string): Promise<ConsoleClient> {
      const client = new ConsoleClient(stack.gatewayUrl);
      expect((await client.signIn(email, TEST_PASSWORD)).status).toBe(303);
      await client.fetch('/admin?lang=en');
      return client;
    }
    const unread = (html: string) => Number(/id="unread-count"[^>]*>(\d+)</.exec(html)?.[1]);

    it("shows a merchant's people their notices and those for all, with the unread count on every page", async () => {
      const viewer = await signedIn(users.viewer);
      for (const path of ['/admin', '/admin/payments', '/admin/settings', '/admin/notices']) {
        expect(unread((await viewer.page(path)).html)).toBe(2);
      }
      const inbox = (await viewer.page('/admin/notices')).html;
      expect(inbox).toContain('For everyone');
      expect(inbox).toContain('Payments under investigation');
      expect(inbox).not.toContain('Other KYC');
      expect((await viewer.page(`/admin/notices/${ids.other}`)).status).toBe(404);
      const operator = await signedIn(users.operator);
      expect(unread((await operator.page('/admin')).html)).toBe(3);
    });

    it('keeps read state per user and filters by kind', async () => {
      const admin = await signedIn(users.admin);
      const detail = await admin.page(`/admin/notices/${ids.mine}`);
      expect(detail.status).toBe(200);
      expect(detail.html).toContain('Please answer');
      expect(detail.html).toContain('href="/admin/payments/12345678901234"');
      expect(unread(detail.html)).toBe(1);
      expect(unread((await admin.page('/admin')).html)).toBe(1);
      // Another user of the same merchant still has both unread.
      const viewer = await signedIn(users.viewer);
      expect(unread((await viewer.page('/admin')).html)).toBe(2);
      const fraud = (await admin.page('/admin/notices?kind=fraud')).html;
      expect(fraud).toContain('Payments under investigation');
      expect(fraud).not.toContain('For everyone');
      const unreadOnly = (await admin.page('/admin/notices?unread=1')).html;
      expect(unreadOnly).toContain('For everyone');
      expect(unreadOnly).not.toContain('Payments under investigation');
      expect((await admin.post('/admin/notices/read-all')).status).toBe(303);
      expect(unread((await admin.page('/admin')).html)).toBe(0);
      expect(unread((await viewer.page('/admin')).html)).toBe(2);
    });

    it('validates and audits notice addresses, within the merchant of the user', async () => {
      const admin = await signedIn(users.admin);
      const bad = await admin.post('/admin/notices/addresses', {
        merchant: '30000',
        addresses: 'ops@shop.example\nnot-mail',
      });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('Not an e-mail address: not-mail');
      const tooMany = await admin.post('/admin/notices/addresses', {
        merchant: '30000',
        addresses: 'a@x.jp b@x.jp c@x.jp d@x.jp e@x.jp f@x.jp',
      });
      expect(tooMany.status).toBe(400);
      const stored = async (merchantId: string) =>
        (
          await stack.database.db
            .selectFrom('merchants')
            .select('notice_emails')
            .where('merchant_id', '=', merchantId)
            .executeTakeFirstOrThrow()
        ).notice_emails;
      expect(await stored('30000')).toBe('[]');
      expect(
        (
          await admin.post('/admin/notices/addresses', {
            merchant: OTHER_MERCHANT,
            addresses: 'x@evil.example',
          })
        ).status,
      ).toBe(403);
      expect(await stored(OTHER_MERCHANT)).toBe('[]');
      const viewer = await signedIn(users.viewer);
      expect(
        (await viewer.post('/admin/notices/addresses', { merchant: '30000', addresses: 'x@evil.example' }))
          .status,
      ).toBe(403);
      const saved = await admin.post('/admin/notices/addresses', {
        merchant: '30000',
        addresses: 'Ops@Shop.example, billing@shop.example',
      });
      expect(saved.status).toBe(303);
      expect(JSON.parse(await stored('30000'))).toEqual(['ops@shop.example', 'billing@shop.example']);
      const page = await admin.page('/admin/notices/addresses?saved=1');
      expect(page.html).toContain('billing@shop.example');
      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .select(['action', 'actor_email', 'merchant_id'])
        .where('action', '=', 'notices.addresses')
        .execute();
      expect(audit).toEqual([
        { action: 'notices.addresses', actor_email: users.admin, merchant_id: '30000' },
      ]);
    });

    it('refuses console forms without the CSRF token', async () => {
      const admin = await signedIn(users.admin);
      const response = await admin.fetch('/admin/notices/read-all', { form: { _csrf: 'wrong' } });
      expect(response.status).toBe(403);
    });
  });
}
