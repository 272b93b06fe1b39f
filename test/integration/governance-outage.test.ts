import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addOutageCause,
  HEALTHY_FOR_MS,
  openOutage,
  reportHealthy,
  reportUnhealthy,
} from '../../src/governance/outage';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';
import { type SmtpListener, startSmtpListener } from '../support/smtp-listener';
import { clearStartupNotices, eventually, type Stack, sandboxControl, startStack } from '../support/stack';
import { ConsoleClient, seedConsole, TEST_PASSWORD, type TestUsers } from './admin-client';

/**
 * Outage incidents (governance.md, 6) on both databases: the circuit breaker on the real calls to
 * the sandbox opens an incident when 20 calls within a minute fail, the operator adds the cause,
 * and healthy calls resolve it after five minutes — with a notice (and an e-mail read back from a
 * loopback SMTP listener) at each step, the public status, and the shopper's warning.
 */
for (const dialect of DIALECTS) {
  describe(`outage incidents (${dialect})`, () => {
    let stack: Stack;
    let smtp: SmtpListener;
    let users: TestUsers;

    beforeAll(async () => {
      smtp = await startSmtpListener();
      stack = await startStack(dialect, {
        timeoutMs: 1000,
        breakerHalfOpenAfterMs: 3000,
        env: { KESSAI_SMTP_URL: smtp.url },
      });
      await clearStartupNotices(stack);
      users = await seedConsole(stack.database.db, `out-${dialect}`);
      await stack.database.db
        .updateTable('merchants')
        .set({ notice_emails: JSON.stringify(['ops@shop.example']) })
        .where('merchant_id', '=', '30000')
        .execute();
    });
    afterAll(async () => {
      await stack?.close();
      await smtp?.close();
    });

    const status = async () =>
      (await (await fetch(`${stack.gatewayUrl}/status.json`)).json()) as {
        state: string;
        incidents: Array<{ status: string; cause: { en: string } | null }>;
      };
    const titles = async () =>
      (await stack.database.db.selectFrom('notices').select('title_en').orderBy('id').execute()).map(
        (r) => r.title_en,
      );
    const subjects = async () =>
      Promise.all(smtp.received.map(async (m) => (await simpleParser(m.raw)).subject ?? ''));

    it('opens one incident when the breaker opens, takes the cause, and resolves after five healthy minutes', async () => {
      // Fewer than 20 calls in the minute (with the demo's registration at start): no incident.
      await sandboxControl(stack, 'POST', '/sandbox/v1/faults', { api: 'pay', mode: 'http500', count: 1000 });
      for (let i = 0; i < 4; i++) await stack.postPurchase();
      await stack.runtime.breaker?.settled();
      expect(await openOutage(stack.database.db)).toBeNull();
      expect(stack.runtime.breaker?.state).toBe(0);

      for (let i = 0; i < 20; i++) await stack.postPurchase();
      await stack.runtime.breaker?.settled();
      const incident = await openOutage(stack.database.db);
      expect(incident).not.toBeNull();
      expect(stack.runtime.breaker?.state).toBe(1);
      const metrics = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
      expect(metrics).toMatch(/^kessai_alipayplus_breaker_state [12]$/m);
      expect(await status()).toMatchObject({
        state: 'disturbed',
        incidents: [{ status: 'investigating', cause: null }],
      });

      // Purchases are still taken; the selection screen warns the shopper.
      const selection = await stack.postPurchase(stack.purchaseFields({ pay_method: '' }));
      expect(selection.status).toBe(303);
      const page = await fetch(`${stack.gatewayUrl}${selection.headers.get('location')}?lang=en`);
      expect(await page.text()).toContain('The Alipay+ wallet service is currently disturbed.');

      // Still failing: the same incident stays open, no second one.
      for (let i = 0; i < 3; i++) await stack.postPurchase();
      await stack.runtime.breaker?.settled();
      expect(await stack.database.db.selectFrom('outage_incidents').select('id').execute()).toHaveLength(1);

      // The operator adds the cause; a merchant admin may not.
      const merchant = new ConsoleClient(stack.gatewayUrl);
      await merchant.signIn(users.admin, TEST_PASSWORD);
      expect(
        (await merchant.post(`/admin/outages/${incident?.id}/cause`, { cause_ja: 'x', cause_en: 'x' }))
          .status,
      ).toBe(403);
      const operator = new ConsoleClient(stack.gatewayUrl);
      await operator.signIn(users.operator, TEST_PASSWORD);
      expect(
        (await operator.post(`/admin/outages/${incident?.id}/cause`, { cause_ja: '', cause_en: 'x' })).status,
      ).toBe(400);
      const added = await operator.post(`/admin/outages/${incident?.id}/cause`, {
        cause_ja: '提携ウォレットの障害',
        cause_en: 'A partner wallet is down',
      });
      expect(added.status).toBe(303);
      expect(await status()).toMatchObject({
        incidents: [{ status: 'identified', cause: { en: 'A partner wallet is down' } }],
      });
      const inbox = await merchant.page('/admin/notices?kind=outage&lang=en');
      expect(inbox.html).toContain('Cause of the Alipay+ disturbance identified');
      expect(inbox.html).toContain('Alipay+ disturbance (investigating');
      expect(inbox.html).toContain('Alipay+ is disturbed (investigating since');

      // Alipay+ recovers: the breaker closes on a healthy test call, but five minutes must pass.
      await sandboxControl(stack, 'DELETE', '/sandbox/v1/faults');
      await new Promise((r) => setTimeout(r, 3100));
      expect((await stack.postPurchase()).status).toBe(303);
      await stack.runtime.breaker?.settled();
      expect(stack.runtime.breaker?.state).toBe(0);
      expect(await openOutage(stack.database.db)).not.toBeNull();
      // The e-mails so far are sent before the clock jumps past a job's lease, or one still being
      // sent would be released and rightly sent again.
      await eventually(async () => smtp.received.length >= 2);
      stack.clock.advance(HEALTHY_FOR_MS + 20_000);
      expect((await stack.postPurchase()).status).toBe(303);
      await stack.runtime.breaker?.settled();
      expect(await openOutage(stack.database.db)).toBeNull();
      expect(await status()).toMatchObject({ state: 'operational', incidents: [] });
      expect((await titles()).map((t) => t.split(' (')[0])).toEqual([
        'Alipay+ disturbance',
        'Cause of the Alipay+ disturbance identified',
        'Alipay+ disturbance resolved',
      ]);
      await eventually(async () => smtp.received.length >= 3);
      expect((await subjects()).map((s) => s.split(' / ')[1]?.split(' (')[0])).toEqual([
        'Alipay+ disturbance',
        'Cause of the Alipay+ disturbance identified',
        'Alipay+ disturbance resolved',
      ]);
      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .select(['action', 'actor_email'])
        .where('action', '=', 'outage.cause')
        .execute();
      expect(audit).toEqual([{ action: 'outage.cause', actor_email: users.operator }]);
      stack.clock.set(0);
    });
  });

  describe(`outage incidents shared by processes (${dialect})`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase(dialect);
    });
    afterAll(async () => {
      await database?.close();
    });

    it('keeps one incident open when several processes report at once, and resolves it only five minutes after the last report', async () => {
      const t0 = new Date('2026-12-01T00:00:00Z');
      const opened = await Promise.all(
        [0, 1, 2, 3].map(() => database.db.transaction().execute((tx) => reportUnhealthy(tx, 'test', t0))),
      );
      expect(opened.filter((id) => id !== null)).toHaveLength(1);
      const at = (ms: number) => new Date(t0.getTime() + ms);
      await database.db.transaction().execute((tx) => reportUnhealthy(tx, 'test', at(60_000)));
      expect(await reportHealthy(database.db, at(HEALTHY_FOR_MS))).toBeNull();
      expect(await reportHealthy(database.db, at(60_000 + HEALTHY_FOR_MS))).toEqual(
        opened.find((id) => id !== null),
      );
      expect(
        await addOutageCause(
          database.db,
          opened.find((id) => id !== null) ?? 0,
          { ja: 'a', en: 'b' },
          'x',
          t0,
        ),
      ).toBe(false);
      const notices = await database.db.selectFrom('notices').select('kind').execute();
      expect(notices).toEqual([{ kind: 'outage' }, { kind: 'outage' }]);
    });
  });
}
