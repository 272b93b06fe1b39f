import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJstDisplay } from '../../src/kernel/jst';
import { DIALECTS } from '../support/databases';
import { enableXmlApi, refundOverXmlApi } from '../support/merchant-api';
import { type SmtpListener, startSmtpListener } from '../support/smtp-listener';
import { capturedPayment, clearStartupNotices, eventually, type Stack, startStack } from '../support/stack';
import { ConsoleClient, OTHER_MERCHANT, seedConsole, TEST_PASSWORD, type TestUsers } from './admin-client';

/**
 * Maintenance windows end to end (governance.md, 5) on both databases: scheduling in the console
 * (and what it refuses), the notices when scheduled / 24 h before / at start / at end — in the
 * inbox and as e-mails read back from a loopback SMTP listener —, the console banner, A01-1's 5112
 * page with the end in JST, and the XML API's 51091999.
 */
const DAY = 24 * 60 * 60_000;
const local = (d: Date) => formatJstDisplay(d).slice(0, 16).replace(' ', 'T');

for (const dialect of DIALECTS) {
  describe(`maintenance windows (${dialect})`, () => {
    let stack: Stack;
    let smtp: SmtpListener;
    let users: TestUsers;

    beforeAll(async () => {
      smtp = await startSmtpListener();
      stack = await startStack(dialect, { env: { KESSAI_SMTP_URL: smtp.url } });
      await clearStartupNotices(stack);
      users = await seedConsole(stack.database.db, `mnt-${dialect}`);
      await stack.database.db
        .updateTable('merchants')
        .set({ notice_emails: JSON.stringify(['ops@shop.example']) })
        .where('merchant_id', '=', '30000')
        .execute();
      await enableXmlApi(stack);
    });
    afterAll(async () => {
      await stack?.close();
      await smtp?.close();
    });

    async function signedIn(email: string): Promise<ConsoleClient> {
      const client = new ConsoleClient(stack.gatewayUrl);
      const response = await client.signIn(email, TEST_PASSWORD);
      expect(response.status).toBe(303);
      return client;
    }

    const form = (start: Date, end: Date, extra: Record<string, string> = {}) => ({
      starts_at: local(start),
      ends_at: local(end),
      scope: 'GATEWAY',
      text_ja: 'システム更新のため',
      text_en: 'System upgrade',
      ...extra,
    });

    async function windows() {
      return stack.database.db.selectFrom('maintenance_windows').selectAll().orderBy('id').execute();
    }

    it('refuses a window in the past, ending before its start, announced late or an emergency without reason', async () => {
      const operator = await signedIn(users.operator);
      const now = stack.clock.now();
      const cases: Array<[Record<string, string>, string]> = [
        [form(new Date(now.getTime() - DAY), new Date(now.getTime() + DAY)), 'The start is in the past.'],
        [
          form(new Date(now.getTime() + 9 * DAY), new Date(now.getTime() + 8 * DAY)),
          'The end must be after the start.',
        ],
        [
          form(new Date(now.getTime() + 2 * DAY), new Date(now.getTime() + 3 * DAY)),
          'at least 7 days after the announcement',
        ],
        [
          form(new Date(now.getTime() + DAY), new Date(now.getTime() + 2 * DAY), {
            emergency: '1',
            reason: ' ',
          }),
          'An emergency needs a reason.',
        ],
        [
          form(new Date(now.getTime() + 8 * DAY), new Date(now.getTime() + 9 * DAY), {
            starts_at: 'tomorrow',
          }),
          'Enter the start as',
        ],
        [
          form(new Date(now.getTime() + 8 * DAY), new Date(now.getTime() + 9 * DAY), {
            scope: 'SERVICES',
            services: '30000/999',
          }),
          'No such service: 30000/999',
        ],
      ];
      await operator.fetch('/admin?lang=en');
      for (const [fields, message] of cases) {
        const response = await operator.post('/admin/maintenance', fields);
        expect(response.status).toBe(400);
        expect(await response.text()).toContain(message);
      }
      expect(await windows()).toHaveLength(0);
      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .select('action')
        .where('action', '=', 'maintenance.refused')
        .execute();
      expect(audit).toHaveLength(cases.length);
    });

    it('lets only operators schedule maintenance', async () => {
      const admin = await signedIn(users.admin);
      const now = stack.clock.now();
      const response = await admin.post(
        '/admin/maintenance',
        form(new Date(now.getTime() + 8 * DAY), new Date(now.getTime() + 9 * DAY)),
      );
      expect(response.status).toBe(403);
      expect(await windows()).toHaveLength(0);
    });

    it('announces a window, refuses purchases (5112) and XML API calls (51091999) during it, and tells merchants at each step', async () => {
      const paid = await capturedPayment(stack);
      const operator = await signedIn(users.operator);
      const announced = stack.clock.now();
      const start = new Date(Math.ceil((announced.getTime() + 8 * DAY) / 60_000) * 60_000);
      const end = new Date(start.getTime() + 2 * 60 * 60_000);
      const scheduled = await operator.post('/admin/maintenance', form(start, end));
      expect(scheduled.status).toBe(303);
      const [window] = await windows();
      expect(window).toMatchObject({
        scope: 'GATEWAY',
        emergency: 0,
        starts_at: start.getTime(),
        ends_at: end.getTime(),
      });
      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .selectAll()
        .where('action', '=', 'maintenance.schedule')
        .executeTakeFirstOrThrow();
      expect(audit.actor_email).toBe(users.operator);

      // The merchant reads the "scheduled" notice; the banner shows on every page.
      const merchant = await signedIn(users.admin);
      let inbox = await merchant.page('/admin/notices?lang=en');
      expect(inbox.html).toContain('Maintenance scheduled');
      expect(inbox.html).toMatch(/id="unread-count"[^>]*>1</);
      expect(inbox.html).toContain(`Maintenance scheduled: ${formatJstDisplay(start).slice(0, 16)}`);
      await eventually(async () => smtp.received.length >= 1);
      const mail = await simpleParser(smtp.received[0]?.raw ?? '');
      expect(mail.subject).toContain('メンテナンスのお知らせ');
      expect(mail.text).toContain('System upgrade');
      expect(smtp.received[0]?.to).toEqual(['ops@shop.example']);

      const status = async () =>
        (await (await fetch(`${stack.gatewayUrl}/status.json`)).json()) as {
          state: string;
          maintenance: Array<{ scope: string; inProgress: boolean; text: { en: string } }>;
        };
      expect(await status()).toMatchObject({
        state: 'operational',
        maintenance: [{ scope: 'GATEWAY', inProgress: false, text: { en: 'System upgrade' } }],
      });
      const statusPage = await fetch(`${stack.gatewayUrl}/status`);
      expect(statusPage.headers.get('content-type')).toContain('text/html');
      expect(await statusPage.text()).toContain(
        `${formatJstDisplay(start).slice(0, 16)} – ${formatJstDisplay(end).slice(0, 16)} JST`,
      );

      // Still taking purchases before the window.
      expect((await stack.postPurchase()).status).toBe(303);

      // 24 hours before: a notice.
      stack.clock.setNow(new Date(start.getTime() - DAY + 1000));
      stack.runtime.worker?.wake();
      await eventually(async () =>
        (await noticeTitles()).some((t) => t.startsWith('Maintenance starts in 24 hours')),
      );
      // Each stage's e-mail is sent before the clock moves on: a jump of hours would otherwise run
      // out the lease of a mail still being sent, and the worker would rightly send it again.
      await eventually(async () => smtp.received.length >= 2);

      // During the window.
      stack.clock.setNow(new Date(start.getTime() + 1000));
      stack.runtime.worker?.wake();
      await eventually(async () =>
        (await noticeTitles()).some((t) => t.startsWith('Maintenance has started')),
      );
      await eventually(async () => smtp.received.length >= 3);
      const refused = await stack.postPurchase();
      expect(refused.status).toBe(503);
      const page = await refused.text();
      expect(page).toContain('5112');
      expect(page).toContain(`${formatJstDisplay(end).slice(0, 16)} (JST)`);
      expect(await status()).toMatchObject({ state: 'maintenance', maintenance: [{ inProgress: true }] });
      const answer = await refundOverXmlApi(stack, paid.tracking_id, 100);
      expect(answer).toMatchObject({ res_result: 'NG', res_err_code: '51091999' });
      const merchantAgain = await signedIn(users.admin);
      inbox = await merchantAgain.page('/admin/notices?lang=en');
      expect(inbox.html).toContain(
        `Maintenance in progress (expected end ${formatJstDisplay(end).slice(0, 16)} JST)`,
      );

      // After the window.
      stack.clock.setNow(new Date(end.getTime() + 1000));
      stack.runtime.worker?.wake();
      await eventually(async () => (await noticeTitles()).some((t) => t.startsWith('Maintenance has ended')));
      expect((await stack.postPurchase()).status).toBe(303);
      expect((await refundOverXmlApi(stack, paid.tracking_id, 100)).res_result).toBe('OK');
      expect(await status()).toMatchObject({ state: 'operational', maintenance: [] });
      await eventually(async () => smtp.received.length >= 4);
      const subjects = await Promise.all(
        smtp.received.map(async (m) => (await simpleParser(m.raw)).subject ?? ''),
      );
      expect(subjects.map((s) => s.split(' / ')[1]?.split(' (')[0])).toEqual([
        'Maintenance scheduled',
        'Maintenance starts in 24 hours',
        'Maintenance has started',
        'Maintenance has ended',
      ]);
      stack.clock.set(0);
    });

    it('applies a window of named services to those services only, and takes an emergency with its reason', async () => {
      const operator = await signedIn(users.operator);
      const now = stack.clock.now();
      const start = new Date(Math.ceil((now.getTime() + 120_000) / 60_000) * 60_000);
      const response = await operator.post(
        '/admin/maintenance',
        form(start, new Date(start.getTime() + 3_600_000), {
          scope: 'SERVICES',
          services: `${OTHER_MERCHANT}/001`,
          emergency: '1',
          reason: 'Security fix',
        }),
      );
      expect(response.status).toBe(303);
      // An emergency starting within 24 hours has no "24 hours before" notice.
      const emergency = (await windows()).at(-1);
      const stages = await stack.database.db
        .selectFrom('jobs')
        .select('dedupe_key')
        .where('dedupe_key', 'like', `maintenance:${emergency?.id}:%`)
        .orderBy('dedupe_key')
        .execute();
      expect(stages.map((j) => j.dedupe_key)).toEqual([
        `maintenance:${emergency?.id}:end`,
        `maintenance:${emergency?.id}:start`,
      ]);
      stack.clock.setNow(new Date(start.getTime() + 1000));
      expect((await stack.postPurchase()).status).toBe(303);
      const other = await signedIn(users.otherAdmin);
      const inbox = await other.page('/admin/notices?lang=en');
      expect(inbox.html).toContain('Maintenance scheduled');
      const publicStatus = (await (await fetch(`${stack.gatewayUrl}/status.json`)).json()) as {
        maintenance: Array<{ scope: string }>;
      };
      // Only the earlier test's gateway-wide window: a window of named services is not public.
      expect(publicStatus.maintenance.map((w) => w.scope)).toEqual(['GATEWAY']);
      const mine = await signedIn(users.viewer);
      const mineInbox = await mine.page('/admin/maintenance?lang=en');
      expect(mineInbox.html).not.toContain('Security fix');
      stack.clock.set(0);
    });

    it('refuses purchases of a named service and during an Alipay+-only window, until the operator cancels it', async () => {
      const operator = await signedIn(users.operator);
      const now = stack.clock.now();
      const start = new Date(Math.ceil((now.getTime() + 120_000) / 60_000) * 60_000);
      const end = new Date(start.getTime() + 3_600_000);
      const emergency = { emergency: '1', reason: 'Partner certificate renewal' };
      const before = (await windows()).length;
      const scopes: Array<Record<string, string>> = [
        { scope: 'SERVICES', services: '30000/001' },
        { scope: 'ALIPAYPLUS' },
      ];
      for (const scope of scopes) {
        expect(
          (await operator.post('/admin/maintenance', form(start, end, { ...scope, ...emergency }))).status,
        ).toBe(303);
      }
      const rows = (await windows()).slice(before);
      expect(rows.map((r) => r.scope)).toEqual(['SERVICES', 'ALIPAYPLUS']);
      stack.clock.setNow(new Date(start.getTime() + 1000));
      expect((await stack.postPurchase()).status).toBe(503);
      for (const row of rows) {
        expect((await operator.post(`/admin/maintenance/${row.id}/cancel`)).status).toBe(303);
      }
      expect((await operator.post(`/admin/maintenance/${rows[0]?.id}/cancel`)).status).toBe(404);
      expect((await stack.postPurchase()).status).toBe(303);
      expect((await noticeTitles()).filter((t) => t.startsWith('Maintenance cancelled'))).toHaveLength(2);
      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .select('target')
        .where('action', '=', 'maintenance.cancel')
        .execute();
      expect(audit.map((a) => a.target).sort()).toEqual(rows.map((r) => `maintenance:${r.id}`).sort());
      stack.clock.set(0);
    });

    async function noticeTitles(): Promise<string[]> {
      const rows = await stack.database.db.selectFrom('notices').select('title_en').orderBy('id').execute();
      return rows.map((r) => r.title_en);
    }
  });
}
