import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jstLocalValue } from '../../src/admin/payment-search';
import { postEffectiveNotice } from '../../src/governance/effective-notices';
import { liftSuspension } from '../../src/governance/kyc';
import { cancelMaintenance, scheduleMaintenance } from '../../src/governance/maintenance';
import { addProhibited, declareServiceCategories, removeProhibited } from '../../src/governance/prohibited';
import { formatJstDisplay, jstDate, startOfJstDay } from '../../src/kernel/jst';
import { DIALECTS } from '../support/databases';
import { enableXmlApi, refundOverXmlApi } from '../support/merchant-api';
import { eventually, type Stack, startStack } from '../support/stack';
import { buyCaptured, ConsoleClient, seedConsole, TEST_PASSWORD, type TestUsers } from './admin-client';

/**
 * KYC cases, the refund stop, fraud investigations and prohibited categories (governance.md, 2-4)
 * through the console over real HTTP, with the A01-1 refusals (5111) they cause from their
 * effective time, on both databases.
 */
for (const dialect of DIALECTS) {
  describe(`governance cases (${dialect})`, () => {
    let stack: Stack;
    let users: TestUsers;
    let operator: ConsoleClient;
    let admin: ConsoleClient;
    let viewer: ConsoleClient;
    let other: ConsoleClient;

    const signIn = async () => {
      operator = new ConsoleClient(stack.gatewayUrl);
      admin = new ConsoleClient(stack.gatewayUrl);
      viewer = new ConsoleClient(stack.gatewayUrl);
      other = new ConsoleClient(stack.gatewayUrl);
      expect((await operator.signIn(users.operator, TEST_PASSWORD)).status).toBe(303);
      expect((await admin.signIn(users.admin, TEST_PASSWORD)).status).toBe(303);
      expect((await viewer.signIn(users.viewer, TEST_PASSWORD)).status).toBe(303);
      expect((await other.signIn(users.otherAdmin, TEST_PASSWORD)).status).toBe(303);
    };

    beforeAll(async () => {
      stack = await startStack(dialect);
      users = await seedConsole(stack.database.db, `g-${dialect}`);
      await signIn();
    });
    afterAll(async () => {
      await stack?.close();
    });

    /** Moves the gateway's and the sandbox's clocks together. */
    const advance = (ms: number) => {
      stack.clock.advance(ms);
      stack.sandboxClock.advance(ms);
    };
    const db = () => stack.database.db;
    const audit = (action: string) =>
      db().selectFrom('admin_audit').selectAll().where('action', '=', action).orderBy('id').execute();
    const kycCase = (id: string) =>
      db().selectFrom('kyc_cases').selectAll().where('case_id', '=', id).executeTakeFirstOrThrow();
    const refundsOf = (trackingId: string) =>
      db().selectFrom('refunds').select('refund_id').where('tracking_id', '=', trackingId).execute();
    /** The notices of `kind` concerning `merchantId`, oldest first. */
    const noticesOf = (merchantId: string, kind: string) =>
      db()
        .selectFrom('notices')
        .innerJoin('notice_merchants', 'notice_merchants.notice_id', 'notices.id')
        .select(['notices.title_en', 'notices.body_en', 'notices.body_ja'])
        .where('notice_merchants.merchant_id', '=', merchantId)
        .where('notices.kind', '=', kind)
        .orderBy('notices.id')
        .execute();
    /** Their English titles. */
    const notices = async (merchantId: string, kind: string) =>
      (await noticesOf(merchantId, kind)).map((n) => n.title_en);
    /** Their bodies, English then Japanese. */
    const noticeBodies = async (merchantId: string, kind: string) =>
      (await noticesOf(merchantId, kind)).map((n) => `${n.body_en}\n${n.body_ja}`);
    /** The A01-1 answer for a new purchase of the test service: 303 (taken) or the refusal code. */
    const purchase = async (): Promise<string> => {
      const response = await stack.postPurchase();
      if (response.status === 303) return '303';
      const html = await response.text();
      return /\b51\d\d\b/.exec(html)?.[0] ?? `HTTP ${response.status}`;
    };
    const today = () => jstDate(stack.clock.now());
    const caseIdOf = (response: Response) =>
      /\/admin\/(?:kyc|investigations)\/([A-Z]{3}-[0-9a-f-]{36})/.exec(
        response.headers.get('location') ?? '',
      )?.[1] ?? '';

    /** Opens a case and suspends the merchant from `from` until further notice. */
    async function suspendedCase(from: Date): Promise<string> {
      const caseId = await openCase();
      const decided = await operator.post(`/admin/kyc/${caseId}/decide`, {
        outcome: 'SUSPENDED',
        note: 'Documents not provided',
        from: jstLocalValue(from),
        until: '',
      });
      expect(decided.status).toBe(303);
      return caseId;
    }

    /** More services of a merchant, copies of its first one. */
    async function addServices(merchantId: string, serviceIds: readonly string[]): Promise<void> {
      const first = await db()
        .selectFrom('services')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('service_id', '=', '001')
        .executeTakeFirstOrThrow();
      await db()
        .insertInto('services')
        .values(serviceIds.map((serviceId) => ({ ...first, service_id: serviceId })))
        .execute();
    }

    async function openCase(): Promise<string> {
      const opened = await operator.post('/admin/kyc', {
        merchant: '30000',
        reason: 'Periodic KYC review',
        information: 'Certificate of registered matters (履歴事項全部証明書)',
        due_date: today(),
      });
      expect(opened.status).toBe(303);
      return caseIdOf(opened);
    }

    it('opens a KYC case; the merchant admin answers; viewers and other merchants are refused with nothing changed', async () => {
      await db()
        .updateTable('merchants')
        .set({ notice_emails: JSON.stringify(['kyc@shop.example.jp']) })
        .where('merchant_id', '=', '30000')
        .execute();
      const caseId = await openCase();
      // The notice's e-mail is in the outbox, committed with the case.
      const mail = await db()
        .selectFrom('notice_emails')
        .innerJoin('notices', 'notices.id', 'notice_emails.notice_id')
        .select(['notice_emails.recipients', 'notices.title_ja'])
        .where('notices.kind', '=', 'kyc')
        .executeTakeFirstOrThrow();
      expect(mail).toEqual({
        recipients: JSON.stringify(['kyc@shop.example.jp']),
        title_ja: 'KYC 審査：追加情報のご提出のお願い',
      });
      const row = await kycCase(caseId);
      expect(row).toMatchObject({ merchant_id: '30000', status: 'OPEN', opened_by: users.operator });
      expect((await audit('kyc.open')).at(-1)).toMatchObject({ target: caseId, merchant_id: '30000' });
      expect((await notices('30000', 'kyc')).at(-1)).toBe('KYC review: additional information requested');
      expect(await notices('40000', 'kyc')).toEqual([]);

      const list = await admin.page('/admin/kyc');
      expect(list.html).toContain(caseId);
      expect((await other.page('/admin/kyc')).html).not.toContain(caseId);
      expect((await other.page(`/admin/kyc/${caseId}`)).status).toBe(404);

      const byOther = await other.post(`/admin/kyc/${caseId}/answer`, { answer: 'not mine' });
      expect(byOther.status).toBe(404);
      const byViewer = await viewer.post(`/admin/kyc/${caseId}/answer`, { answer: 'viewer' });
      expect(byViewer.status).toBe(403);
      expect(await byViewer.text()).toContain('権限がない');
      expect((await viewer.page(`/admin/kyc/${caseId}`)).html).not.toContain('name="answer"');
      expect(await kycCase(caseId)).toMatchObject({ status: 'OPEN', answer: null });
      const beforeAnswer = await notices('30000', 'kyc');

      const empty = await admin.post(`/admin/kyc/${caseId}/answer`, { answer: '   ' });
      expect(empty.status).toBe(422);
      expect(await empty.text()).toContain('必須の項目が入力されていません。');
      expect((await kycCase(caseId)).answer).toBeNull();
      expect(await notices('30000', 'kyc')).toEqual(beforeAnswer);

      const answered = await admin.post(`/admin/kyc/${caseId}/answer`, { answer: 'Uploaded <b>today</b>' });
      expect(answered.status).toBe(303);
      expect(answered.headers.get('location')).toBe(`/admin/kyc/${caseId}?done=answered`);
      const { html } = await admin.page(answered.headers.get('location')!);
      expect(html).toContain('回答を送信しました。');
      expect(html).toContain('Uploaded &lt;b>today&lt;/b>');
      expect(html).not.toContain('<b>today');
      expect(await kycCase(caseId)).toMatchObject({ status: 'ANSWERED', answered_by: users.admin });
      expect((await audit('kyc.answer')).at(-1)).toMatchObject({ target: caseId, actor_email: users.admin });

      // Only operators decide.
      const decideByAdmin = await admin.post(`/admin/kyc/${caseId}/decide`, {
        outcome: 'CLEARED',
        note: 'x',
      });
      expect(decideByAdmin.status).toBe(403);
      const cleared = await operator.post(`/admin/kyc/${caseId}/decide`, {
        outcome: 'CLEARED',
        note: 'All in order',
      });
      expect(cleared.status).toBe(303);
      expect(await kycCase(caseId)).toMatchObject({ status: 'CLEARED', decided_by: users.operator });
      expect((await notices('30000', 'kyc')).slice(-2)).toEqual([
        'KYC review: your answer was received',
        'KYC review: cleared',
      ]);
      // A decided case takes no more answers.
      const late = await admin.post(`/admin/kyc/${caseId}/answer`, { answer: 'again' });
      expect(late.status).toBe(422);
      expect((await kycCase(caseId)).answer).toBe('Uploaded <b>today</b>');
      expect(await purchase()).toBe('303');
    });

    it('refuses a bad case with a clear error and writes nothing', async () => {
      const before = (await db().selectFrom('kyc_cases').select('case_id').execute()).length;
      const newCase = (client: ConsoleClient, overrides: Record<string, string>) =>
        client.post('/admin/kyc', {
          merchant: '30000',
          reason: 'r',
          information: 'i',
          due_date: today(),
          ...overrides,
        });
      const past = await newCase(operator, {
        due_date: jstDate(new Date(stack.clock.now().getTime() - 2 * 86_400_000)),
      });
      expect(past.status).toBe(422);
      expect(await past.text()).toContain('期限が過ぎた日付です。');
      const unknown = await newCase(operator, { merchant: '99999' });
      expect(unknown.status).toBe(422);
      expect(await unknown.text()).toContain('その加盟店IDは存在しません。');
      expect((await newCase(admin, {})).status).toBe(403);
      expect((await db().selectFrom('kyc_cases').select('case_id').execute()).length).toBe(before);

      const caseId = await openCase();
      const from = jstLocalValue(new Date(stack.clock.now().getTime() + 600_000));
      const reversed = await operator.post(`/admin/kyc/${caseId}/decide`, {
        outcome: 'SUSPENDED',
        note: 'n',
        from,
        until: jstLocalValue(stack.clock.now()),
      });
      expect(reversed.status).toBe(422);
      expect(await reversed.text()).toContain('停止終了は停止開始より後にしてください。');
      const badTime = await operator.post(`/admin/kyc/${caseId}/decide`, {
        outcome: 'SUSPENDED',
        note: 'n',
        from: 'soon',
      });
      expect(badTime.status).toBe(422);
      const noOutcome = await operator.post(`/admin/kyc/${caseId}/decide`, { outcome: 'MAYBE', note: 'n' });
      expect(noOutcome.status).toBe(422);
      expect(await kycCase(caseId)).toMatchObject({ status: 'OPEN', suspended_from: null });
      await operator.post(`/admin/kyc/${caseId}/decide`, { outcome: 'CLEARED', note: 'closed by the test' });
    });

    it('suspends new purchases (5111) from the given time until the given time; refunds keep working', async () => {
      const payment = await buyCaptured(stack);
      const caseId = await openCase();
      const start = stack.clock.now().getTime();
      // Minutes in the console are whole: the suspension starts at the next whole minute + 10.
      const from = new Date(Math.ceil(start / 60_000) * 60_000 + 600_000);
      const until = new Date(from.getTime() + 900_000);
      const decided = await operator.post(`/admin/kyc/${caseId}/decide`, {
        outcome: 'SUSPENDED',
        note: 'Documents not provided',
        from: jstLocalValue(from),
        until: jstLocalValue(until),
      });
      expect(decided.status).toBe(303);
      expect(await kycCase(caseId)).toMatchObject({
        status: 'SUSPENDED',
        suspended_from: from.getTime(),
        suspended_until: until.getTime(),
      });
      expect((await audit('kyc.decide')).at(-1)).toMatchObject({ target: caseId, merchant_id: '30000' });
      expect((await notices('30000', 'kyc')).at(-1)).toBe('KYC review: Alipay+ suspended');

      expect(await purchase()).toBe('303');
      advance(from.getTime() - stack.clock.now().getTime());
      expect(await purchase()).toBe('5111');
      // The other merchant is not concerned.
      expect(
        (await db().selectFrom('kyc_cases').selectAll().where('merchant_id', '=', '40000').execute()).length,
      ).toBe(0);

      // Refunds of existing payments keep working while suspended.
      const page = await admin.page(`/admin/payments/${payment.tracking_id}`);
      const nonce = /name="nonce" value="([^"]+)"/.exec(page.html)![1]!;
      const refunded = await admin.post(`/admin/payments/${payment.tracking_id}/refunds`, {
        kind: 'partial',
        amount: '100',
        nonce,
      });
      expect(refunded.status).toBe(303);

      const row = async () =>
        new RegExp(
          `/admin/kyc/${caseId}">[^<]*</a></td><td>30000</td><td><span class="([^"]+)">([^<]*)<`,
        ).exec((await admin.page('/admin/kyc')).html);
      // The badge's class is the status code, whatever the console's language.
      expect((await row())?.slice(1)).toEqual(['badge SUSPENDED', '利用停止']);

      advance(until.getTime() - stack.clock.now().getTime());
      expect(await purchase()).toBe('303');
      // Once its end has passed, the suspension reads "ended" in the list and on the case.
      expect((await row())?.slice(1)).toEqual(['badge SUSPENDED', '利用停止（終了）']);
      expect((await admin.page(`/admin/kyc/${caseId}`)).html).toContain(
        '<dd id="kyc-status">利用停止（終了）</dd>',
      );
    });

    it('tells the merchant when a scheduled suspension begins and when it ends, once each; not a cancelled one', async () => {
      const now = stack.clock.now();
      const from = new Date(Math.ceil(now.getTime() / 60_000) * 60_000 + 3_600_000);
      const until = new Date(from.getTime() + 3_600_000);
      const decide = async (caseId: string) =>
        expect(
          (
            await operator.post(`/admin/kyc/${caseId}/decide`, {
              outcome: 'SUSPENDED',
              note: 'Documents not provided',
              from: jstLocalValue(from),
              until: jstLocalValue(until),
            })
          ).status,
        ).toBe(303);
      const scheduled = await openCase();
      await decide(scheduled);
      const cancelled = await openCase();
      await decide(cancelled);
      expect((await operator.post(`/admin/kyc/${cancelled}/lift`)).status).toBe(303);
      // The audit log tells a cancelled suspension from a lifted one.
      expect((await audit('kyc.cancel')).at(-1)).toMatchObject({ target: cancelled, merchant_id: '30000' });
      expect((await audit('kyc.lift')).filter((a) => a.target === cancelled)).toEqual([]);
      /** The English titles of the notices linking to the case, oldest first. */
      const told = async (caseId: string) =>
        (
          await db()
            .selectFrom('notices')
            .select('title_en')
            .where('links', 'like', `%${caseId}%`)
            .orderBy('id')
            .execute()
        ).map((n) => n.title_en);
      const jobDone = async (key: string) =>
        (await db().selectFrom('jobs').select('status').where('dedupe_key', '=', key).executeTakeFirst())
          ?.status === 'DONE';
      const begun = 'KYC review: the Alipay+ suspension has begun';
      const ended = 'KYC review: the suspension has ended';

      expect(await purchase()).toBe('303');
      advance(from.getTime() - stack.clock.now().getTime());
      await eventually(async () => (await told(scheduled)).includes(begun));
      expect(await purchase()).toBe('5111');
      await eventually(() => jobDone(`kyc-start:${cancelled}:${from.getTime()}`));
      advance(until.getTime() - stack.clock.now().getTime());
      await eventually(async () => (await told(scheduled)).includes(ended));
      expect(await purchase()).toBe('303');
      await eventually(() => jobDone(`kyc-end:${cancelled}:${until.getTime()}`));
      expect(await told(scheduled)).toEqual([
        'KYC review: additional information requested',
        'KYC review: Alipay+ suspended',
        begun,
        ended,
      ]);
      // The cancelled one was told by its cancellation only.
      expect(await told(cancelled)).toEqual([
        'KYC review: additional information requested',
        'KYC review: Alipay+ suspended',
        'KYC review: scheduled suspension cancelled',
      ]);
      await signIn();
    });

    it('posts no "has begun" notice from a late start job when the suspension was lifted just after it began', async () => {
      const from = new Date(Math.ceil(stack.clock.now().getTime() / 60_000) * 60_000 + 3_600_000);
      const caseId = await suspendedCase(from);
      // The start job is late (the worker was down): the suspension began and was lifted before it ran.
      await liftSuspension(db(), { caseId, by: 'ops@example.com', now: new Date(from.getTime() + 1_000) });
      await postEffectiveNotice(
        db(),
        { type: 'kyc-start', caseId, at: from.getTime() },
        new Date(from.getTime() + 2_000),
      );
      const titles = await db()
        .selectFrom('notices')
        .select('title_en')
        .where('links', 'like', `%${caseId}%`)
        .orderBy('id')
        .execute();
      expect(titles.map((n) => n.title_en)).toEqual([
        'KYC review: additional information requested',
        'KYC review: Alipay+ suspended',
        'KYC review: suspension lifted',
      ]);
    });

    it('lifts a suspension in effect at once', async () => {
      const caseId = await suspendedCase(stack.clock.now());
      expect((await kycCase(caseId)).suspended_until).toBeNull();
      expect(await purchase()).toBe('5111');
      expect((await admin.post(`/admin/kyc/${caseId}/lift`)).status).toBe(403);
      const lifted = await operator.post(`/admin/kyc/${caseId}/lift`);
      expect(lifted.status).toBe(303);
      expect((await audit('kyc.lift')).at(-1)).toMatchObject({ target: caseId });
      expect((await notices('30000', 'kyc')).at(-1)).toBe('KYC review: suspension lifted');
      expect(await purchase()).toBe('303');
      expect((await operator.post(`/admin/kyc/${caseId}/lift`)).status).toBe(422);
    });

    it('offers to lift every suspension in effect or not yet begun, each case on its own page', async () => {
      const now = stack.clock.now();
      const first = await suspendedCase(now);
      const second = await suspendedCase(now);
      const future = await suspendedCase(new Date(Math.ceil(now.getTime() / 60_000) * 60_000 + 3_600_000));
      const cancelLabel = /予定の利用停止を取り消す|Cancel the scheduled suspension/;
      for (const caseId of [first, second, future]) {
        const page = await operator.page(`/admin/kyc/${caseId}`);
        expect(page.html).toContain(`action="/admin/kyc/${caseId}/lift"`);
        // A suspension not yet begun is cancelled, not "lifted now".
        if (caseId === future) {
          expect(page.html).toMatch(cancelLabel);
          expect(page.html).not.toContain('利用停止を今すぐ解除');
        } else expect(page.html).not.toMatch(cancelLabel);
      }
      // The future suspension is cancelled before it begins; the two in effect are lifted.
      for (const caseId of [future, first, second]) {
        expect((await operator.post(`/admin/kyc/${caseId}/lift`)).status).toBe(303);
        expect((await operator.page(`/admin/kyc/${caseId}`)).html).not.toContain(`/admin/kyc/${caseId}/lift`);
      }
      expect(await purchase()).toBe('303');
    });

    /** A selection page opened for a new purchase: its path and order id. */
    async function openSelection(): Promise<{ selection: string; orderId: string }> {
      const fields = stack.purchaseFields({ pay_method: '' });
      const selection = (await stack.postPurchase(fields)).headers.get('location')!;
      expect(selection).toMatch(/^\/f01\/payments\//);
      return { selection, orderId: fields.order_id! };
    }
    const pressPay = (selection: string) =>
      fetch(`${stack.gatewayUrl}${selection}/alipayplus`, { method: 'POST', redirect: 'manual' });

    /**
     * The pay is refused with `code` before any Alipay+ call, logged for the merchant as A01-1
     * refusals are, and the page offers the way back to the shop; returns the page.
     */
    async function expectPayRefused(selection: string, orderId: string, code: string): Promise<string> {
      const pay = await pressPay(selection);
      expect(pay.status).toBe(code === '5112' ? 503 : 403);
      const html = await pay.text();
      expect(html).toContain(code);
      expect(html).toContain(`action="${selection}/cancel"`);
      const payment = await stack.payment({ orderId });
      expect(payment).toMatchObject({ status: 'REQUESTED', payment_request_id: null });
      const sent = await db()
        .selectFrom('alipay_messages')
        .select('tracking_id')
        .where('tracking_id', '=', payment.tracking_id)
        .execute();
      expect(sent).toEqual([]);
      const logged = await db()
        .selectFrom('payment_errors')
        .selectAll()
        .where('order_id', '=', orderId)
        .execute();
      expect(logged.map((e) => [e.code, e.merchant_id, e.authenticated])).toEqual([[code, '30000', 1]]);
      return html;
    }

    it('refuses the pay (5111, no Alipay+ call) when a suspension began after the selection page opened', async () => {
      const { selection, orderId } = await openSelection();
      const caseId = await suspendedCase(stack.clock.now());
      await expectPayRefused(selection, orderId, '5111');
      // Once lifted, the same page pays.
      expect((await operator.post(`/admin/kyc/${caseId}/lift`)).status).toBe(303);
      const again = await pressPay(selection);
      expect(again.status).toBe(303);
      expect(again.headers.get('location')).toContain('/sandbox/cashier/');
    });

    it('refuses the pay (5112 with its end) when a maintenance window began after the selection page opened; the shopper returns to the shop', async () => {
      const { selection, orderId } = await openSelection();
      const now = stack.clock.now();
      const endsAt = new Date(Math.ceil(now.getTime() / 60_000) * 60_000 + 3_600_000);
      const scheduled = await scheduleMaintenance(
        db(),
        {
          startsAt: now,
          endsAt,
          scope: 'SERVICES',
          services: ['30000/001'],
          text: { ja: '緊急メンテナンス', en: 'Emergency maintenance' },
          emergency: true,
          emergencyReason: 'Database failover',
        },
        'ops@example.com',
        now,
      );
      if (!scheduled.ok) throw new Error(scheduled.error);
      const html = await expectPayRefused(selection, orderId, '5112');
      expect(/id="maintenance-end">([^<]*)</.exec(html)?.[1]).toBe(
        `${formatJstDisplay(endsAt).slice(0, 16)} (JST)`,
      );
      // "Return to shop" ends the payment as the selection screen's does: CN to the cancel URL.
      const back = await fetch(`${stack.gatewayUrl}${selection}/cancel`, {
        method: 'POST',
        redirect: 'manual',
      });
      expect(back.status).toBe(200);
      expect(await stack.payment({ orderId })).toMatchObject({ status: 'CANCELED' });
      expect(await cancelMaintenance(db(), scheduled.window.id, stack.clock.now())).not.toBeNull();
      expect(await purchase()).toBe('303');
    });

    it('writes each change, its notice and its audit row in one transaction: no audit row, no change', async () => {
      const count = async (table: 'kyc_cases' | 'prohibited_categories' | 'notices') =>
        Number(
          (
            await db()
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number | string>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = [await count('kyc_cases'), await count('prohibited_categories'), await count('notices')];
      // The audit row cannot be written while its table is renamed.
      await sql`alter table admin_audit rename to admin_audit_away`.execute(db());
      try {
        const opened = await operator.post('/admin/kyc', {
          merchant: '30000',
          reason: 'Periodic KYC review',
          information: 'Certificate',
          due_date: today(),
        });
        expect(opened.status).toBe(500);
        const added = await operator.post('/admin/prohibited', {
          category: 'audit-less',
          effective_from: today(),
          note: 'never listed',
        });
        expect(added.status).toBe(500);
      } finally {
        await sql`alter table admin_audit_away rename to admin_audit`.execute(db());
      }
      expect([
        await count('kyc_cases'),
        await count('prohibited_categories'),
        await count('notices'),
      ]).toEqual(before);
    });

    it('stops refunds (console and XML API) with a reason shown to the merchant, then resumes them', async () => {
      await enableXmlApi(stack);
      const payment = await buyCaptured(stack);
      const stopByAdmin = await admin.post('/admin/refund-stops', {
        op: 'stop',
        merchant: '30000',
        reason: 'x',
      });
      expect(stopByAdmin.status).toBe(403);
      const noReason = await operator.post('/admin/refund-stops', {
        op: 'stop',
        merchant: '30000',
        reason: '',
      });
      expect(noReason.status).toBe(422);
      expect(await db().selectFrom('refund_stops').selectAll().execute()).toHaveLength(0);

      const stopped = await operator.post('/admin/refund-stops', {
        op: 'stop',
        merchant: '30000',
        reason: 'Chargeback ratio under review',
      });
      expect(stopped.status).toBe(303);
      expect((await audit('refunds.stop')).at(-1)).toMatchObject({ target: '30000', merchant_id: '30000' });
      expect((await notices('30000', 'kyc')).at(-1)).toBe('Refunds stopped');
      expect((await admin.page('/admin/kyc')).html).toContain('Chargeback ratio under review');

      const billing = await admin.page(`/admin/payments/${payment.tracking_id}`);
      expect(billing.html).toContain('返金は停止されています');
      expect(billing.html).not.toContain('id="refund-full"');
      // Every role sees the stop and its reason on the billing screen, not only those who may refund.
      for (const client of [admin, viewer, operator]) {
        const shown = /<p id="refund-stop"[^>]*>([^<]*)<\/p>/.exec(
          (await client.page(`/admin/payments/${payment.tracking_id}`)).html,
        );
        expect(shown?.[1]).toContain('Chargeback ratio under review');
      }
      const refused = await admin.post(`/admin/payments/${payment.tracking_id}/refunds`, {
        kind: 'full',
        nonce: 'n'.repeat(22),
      });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('Chargeback ratio under review');
      const xml = await refundOverXmlApi(stack, payment.tracking_id, 100);
      expect(xml).toMatchObject({ res_result: 'NG', res_err_code: '510K3999' });
      expect(await refundsOf(payment.tracking_id)).toHaveLength(0);
      // The other merchant's refunds are not stopped.
      expect((await other.page('/admin/kyc')).html).not.toContain('Chargeback ratio under review');

      const resumed = await operator.post('/admin/refund-stops', { op: 'resume', merchant: '30000' });
      expect(resumed.status).toBe(303);
      expect((await audit('refunds.resume')).at(-1)).toMatchObject({ target: '30000' });
      expect((await notices('30000', 'kyc')).at(-1)).toBe('Refunds resumed');
      expect(await refundOverXmlApi(stack, payment.tracking_id, 100)).toMatchObject({ res_result: 'OK' });
      const again = await operator.post('/admin/refund-stops', { op: 'resume', merchant: '30000' });
      expect(again.status).toBe(422);
    });

    it('reserves no refund once a stop has committed, even one that passed the first check', async () => {
      await enableXmlApi(stack);
      const payment = await buyCaptured(stack);
      const stop = async () => {
        const stopped = await operator.post('/admin/refund-stops', {
          op: 'stop',
          merchant: '30000',
          reason: 'Stopped while a refund was on its way',
        });
        expect(stopped.status).toBe(303);
      };
      let answer: Record<string, string>;
      if (dialect === 'postgres') {
        // A transaction of the test holds the payment's row: the refund passes the first check, then
        // waits to reserve; the stop commits meanwhile, and only then is the row let go.
        const pending = await db()
          .transaction()
          .execute(async (tx) => {
            await sql`SELECT 1 FROM payments WHERE tracking_id = ${payment.tracking_id} FOR UPDATE`.execute(
              tx,
            );
            const { rows } = await sql<{ xid: string }>`SELECT pg_current_xact_id()::text AS xid`.execute(tx);
            const sent = refundOverXmlApi(stack, payment.tracking_id, 100);
            await eventually(async () => {
              const waiting = await sql<{ n: number }>`
                SELECT count(*)::int AS n FROM pg_locks
                WHERE NOT granted AND locktype = 'transactionid' AND transactionid::text = ${rows[0]!.xid}`.execute(
                db(),
              );
              return waiting.rows[0]!.n > 0;
            });
            await stop();
            return { sent };
          });
        answer = await pending.sent;
      } else {
        // SQLite runs one statement at a time through one connection: the stop simply comes first.
        await stop();
        answer = await refundOverXmlApi(stack, payment.tracking_id, 100);
      }
      expect(answer).toMatchObject({ res_result: 'NG', res_err_code: '510K3999' });
      expect(await refundsOf(payment.tracking_id)).toHaveLength(0);
      expect(
        (
          await db()
            .selectFrom('payments')
            .selectAll()
            .where('tracking_id', '=', payment.tracking_id)
            .executeTakeFirstOrThrow()
        ).refund_reserved_amount,
      ).toBe(0);
      expect((await operator.post('/admin/refund-stops', { op: 'resume', merchant: '30000' })).status).toBe(
        303,
      );
    });

    it('says in the suspension notice whether refunds are stopped, and in the lift notice only that it ended', async () => {
      const first = await suspendedCase(stack.clock.now());
      expect((await noticeBodies('30000', 'kyc')).at(-1)).toContain(
        'Refunds of existing payments keep working.',
      );
      await operator.post('/admin/refund-stops', { op: 'stop', merchant: '30000', reason: 'Under review' });
      const second = await suspendedCase(stack.clock.now());
      const suspended = (await noticeBodies('30000', 'kyc')).at(-1)!;
      expect(suspended).toContain('Refunds are stopped too');
      expect(suspended).toContain('返金も停止されています');
      expect(suspended).not.toContain('keep working');
      expect(suspended).not.toContain('引き続き可能');

      // Lifting one of two suspensions does not make purchases possible: the notice says only what ended.
      expect((await operator.post(`/admin/kyc/${first}/lift`)).status).toBe(303);
      expect(await purchase()).toBe('5111');
      const lifted = (await noticeBodies('30000', 'kyc')).at(-1)!;
      expect(lifted).toContain('This suspension ended at');
      expect(lifted).not.toContain('accepted again');
      expect(lifted).not.toContain('再びお受けできます');
      expect((await operator.post(`/admin/kyc/${second}/lift`)).status).toBe(303);
      expect((await operator.post('/admin/refund-stops', { op: 'resume', merchant: '30000' })).status).toBe(
        303,
      );
      expect(await purchase()).toBe('303');
    });

    it('records a fraud investigation; the payments are flagged in search and billing; answered, closed; refunds stay possible', async () => {
      const payment = await buyCaptured(stack);
      const before = await db().selectFrom('fraud_investigations').select('investigation_id').execute();
      const foreign = await operator.post('/admin/investigations', {
        merchant: '40000',
        tracking_ids: payment.tracking_id,
        allegation: 'a',
        requested: 'r',
        due_date: today(),
      });
      expect(foreign.status).toBe(422);
      expect(await foreign.text()).toContain('この加盟店に存在しないトラッキングIDがあります。');
      const byAdmin = await admin.post('/admin/investigations', {
        merchant: '30000',
        tracking_ids: payment.tracking_id,
        allegation: 'a',
        requested: 'r',
        due_date: today(),
      });
      expect(byAdmin.status).toBe(403);
      expect(await db().selectFrom('fraud_investigations').select('investigation_id').execute()).toEqual(
        before,
      );

      const opened = await operator.post('/admin/investigations', {
        merchant: '30000',
        tracking_ids: `${payment.tracking_id}\n${payment.tracking_id}`,
        allegation: 'Shopper reports an unauthorised payment',
        requested: 'Delivery records for the order',
        due_date: today(),
      });
      expect(opened.status).toBe(303);
      const id = caseIdOf(opened);
      expect((await audit('fraud.open')).at(-1)).toMatchObject({ target: id, merchant_id: '30000' });
      const notice = await db()
        .selectFrom('notices')
        .selectAll()
        .where('kind', '=', 'fraud')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      expect(notice.title_en).toBe('Fraud investigation opened');
      expect(JSON.parse(notice.links)).toContainEqual({ type: 'payment', trackingId: payment.tracking_id });
      expect(await notices('40000', 'fraud')).toEqual([]);

      const search = await admin.page(`/admin/payments?from=${today()}&tracking_id=${payment.tracking_id}`);
      expect(search.html).toContain(`href="/admin/investigations/${id}"`);
      expect(search.html).toContain('不正利用調査の対象');
      const billing = await viewer.page(`/admin/payments/${payment.tracking_id}`);
      expect(billing.html).toContain('id="fraud-flag"');
      expect(billing.html).toContain(`href="/admin/investigations/${id}"`);

      expect((await other.page(`/admin/investigations/${id}`)).status).toBe(404);
      expect((await other.post(`/admin/investigations/${id}/answer`, { answer: 'x' })).status).toBe(404);
      expect((await viewer.post(`/admin/investigations/${id}/answer`, { answer: 'x' })).status).toBe(403);
      expect((await admin.post(`/admin/investigations/${id}/close`, { outcome: 'x' })).status).toBe(403);
      const row = () =>
        db()
          .selectFrom('fraud_investigations')
          .selectAll()
          .where('investigation_id', '=', id)
          .executeTakeFirstOrThrow();
      expect(await row()).toMatchObject({ status: 'OPEN', answer: null });

      expect(
        (await admin.post(`/admin/investigations/${id}/answer`, { answer: 'Delivered on 11/20' })).status,
      ).toBe(303);
      expect(await row()).toMatchObject({ status: 'ANSWERED', answered_by: users.admin });

      // Refunds stay possible under investigation.
      const page = await admin.page(`/admin/payments/${payment.tracking_id}`);
      const nonce = /name="nonce" value="([^"]+)"/.exec(page.html)![1]!;
      expect(
        (await admin.post(`/admin/payments/${payment.tracking_id}/refunds`, { kind: 'full', nonce })).status,
      ).toBe(303);

      const closed = await operator.post(`/admin/investigations/${id}/close`, { outcome: 'No fraud found' });
      expect(closed.status).toBe(303);
      expect(await row()).toMatchObject({
        status: 'CLOSED',
        outcome: 'No fraud found',
        closed_by: users.operator,
      });
      expect((await audit('fraud.close')).at(-1)).toMatchObject({ target: id });
      expect((await notices('30000', 'fraud')).slice(-3)).toEqual([
        'Fraud investigation opened',
        'Fraud investigation: your answer was received',
        'Fraud investigation closed',
      ]);
      expect((await admin.post(`/admin/investigations/${id}/answer`, { answer: 'late' })).status).toBe(422);
    });

    it('refuses purchases (5111) of a service selling a prohibited category from its effective date', async () => {
      const declare = (client: ConsoleClient, categories: string, service = '30000/001') =>
        client.post('/admin/settings/categories', { service, categories });
      expect((await declare(viewer, 'tobacco')).status).toBe(403);
      expect((await declare(other, 'tobacco')).status).toBe(404);
      const bad = await declare(admin, 'Tobacco!');
      expect(bad.status).toBe(422);
      expect(await db().selectFrom('service_categories').selectAll().execute()).toHaveLength(0);
      expect((await declare(admin, 'tobacco, tea\ntea')).status).toBe(200);
      expect(
        (await db().selectFrom('service_categories').select('category').orderBy('category').execute()).map(
          (r) => r.category,
        ),
      ).toEqual(['tea', 'tobacco']);
      expect((await audit('settings.categories')).at(-1)).toMatchObject({ merchant_id: '30000' });

      const tomorrow = jstDate(startOfJstDay(stack.clock.now(), 1));
      expect(
        (await admin.post('/admin/prohibited', { category: 'tobacco', effective_from: tomorrow, note: 'x' }))
          .status,
      ).toBe(403);
      const added = await operator.post('/admin/prohibited', {
        category: 'tobacco',
        effective_from: tomorrow,
        note: 'Core Operator list update',
      });
      expect(added.status).toBe(303);
      expect(added.headers.get('location')).toBe('/admin/prohibited?added=1');
      expect((await audit('prohibited.add')).at(-1)).toMatchObject({ target: 'tobacco' });
      expect(await notices('30000', 'prohibited')).toEqual(['Prohibited product category: tobacco']);
      expect(await notices('40000', 'prohibited')).toEqual([]);
      const twice = await operator.post('/admin/prohibited', {
        category: 'tobacco',
        effective_from: tomorrow,
        note: 'x',
      });
      expect(twice.status).toBe(422);
      const badDate = await operator.post('/admin/prohibited', {
        category: 'weapons',
        effective_from: '2026-02-30',
        note: 'x',
      });
      expect(badDate.status).toBe(422);
      expect((await admin.page('/admin/settings?service=30000/001')).html).toContain(
        'id="prohibited-warning"',
      );
      expect((await admin.page('/admin/prohibited')).html).toContain('30000/001');
      expect((await other.page('/admin/prohibited')).html).not.toContain('30000/001');

      // Before the effective date purchases are taken; from 00:00 JST that day they are refused.
      expect(await purchase()).toBe('303');
      advance(startOfJstDay(stack.clock.now(), 1).getTime() - stack.clock.now().getTime());
      expect(await purchase()).toBe('5111');
      // The merchant is told again when the category takes effect, once.
      const inEffect = 'Prohibited category now in effect: tobacco';
      await eventually(async () => (await notices('30000', 'prohibited')).includes(inEffect));
      await signIn();

      // Removing the category from the service lifts it; declaring it again refuses again at once.
      expect((await declare(admin, 'tea')).status).toBe(200);
      expect(await purchase()).toBe('303');
      expect((await declare(admin, 'tea tobacco')).status).toBe(200);
      expect(await purchase()).toBe('5111');
      // Each change is told: the removal too, which operators see in their inbox (every notice).
      expect(await notices('30000', 'prohibited')).toEqual([
        'Prohibited product category: tobacco',
        inEffect,
        'Prohibited category removed from a service: tobacco',
        'Prohibited product category: tobacco',
      ]);
      const inbox = await operator.page('/admin/notices?kind=prohibited');
      expect(inbox.html).toMatch(
        /禁止商材の取り扱いをやめました：tobacco|Prohibited category removed from a service: tobacco/,
      );

      // Removing it from the list lifts it too.
      expect((await admin.post('/admin/prohibited/tobacco/remove')).status).toBe(403);
      const removed = await operator.post('/admin/prohibited/tobacco/remove');
      expect(removed.status).toBe(303);
      expect((await audit('prohibited.remove')).at(-1)).toMatchObject({ target: 'tobacco' });
      expect((await notices('30000', 'prohibited')).at(-1)).toBe('No longer prohibited: tobacco');
      expect(await purchase()).toBe('303');
      expect((await operator.post('/admin/prohibited/tobacco/remove')).status).toBe(422);
    });

    it('tells the merchant exactly once when a category is listed while a service declares it', async () => {
      await addServices('30000', ['R01']);
      const service = { merchantId: '30000', serviceId: 'R01' };
      for (let i = 0; i < 25; i++) {
        const category = `race-${i}`;
        const now = stack.clock.now();
        // Listing and declaring race on separate connections: whichever commits second must see the first.
        await Promise.all([
          addProhibited(db(), { category, effectiveFrom: '2099-01-01', note: 'race', by: 'test', now }),
          declareServiceCategories(db(), { ...service, categories: category, now }),
        ]);
        const told = (await notices('30000', 'prohibited')).filter(
          (title) => title === `Prohibited product category: ${category}`,
        );
        expect(told, category).toHaveLength(1);
      }
      await declareServiceCategories(db(), { ...service, categories: '', now: stack.clock.now() });
      for (let i = 0; i < 25; i++)
        await removeProhibited(db(), { category: `race-${i}`, now: stack.clock.now() });
    });

    it('notifies each merchant declaring a newly listed category with its own services only', async () => {
      await addServices('30000', ['002']);
      await db()
        .insertInto('service_categories')
        .values([
          { merchant_id: '30000', service_id: '001', category: 'weapons' },
          { merchant_id: '30000', service_id: '002', category: 'weapons' },
          { merchant_id: '40000', service_id: '001', category: 'weapons' },
        ])
        .execute();
      const tomorrow = jstDate(startOfJstDay(stack.clock.now(), 1));
      const added = await operator.post('/admin/prohibited', {
        category: 'weapons',
        effective_from: tomorrow,
        note: 'Core Operator list update',
      });
      expect(added.status).toBe(303);
      expect((await operator.post('/admin/prohibited/weapons/remove')).status).toBe(303);
      const own = (await noticeBodies('30000', 'prohibited')).slice(-2);
      const others = await noticeBodies('40000', 'prohibited');
      expect(own).toHaveLength(2);
      expect(others).toHaveLength(2);
      for (const body of own) {
        expect(body).toContain('Services: 30000/001, 30000/002');
        expect(body).not.toContain('40000');
      }
      for (const body of others) {
        expect(body).toContain('Services: 40000/001\n');
        expect(body).not.toContain('30000');
      }
      await db().deleteFrom('service_categories').where('category', '=', 'weapons').execute();
    });

    it('refuses, with nothing changed, a category whose notice would name more services than a notice holds', async () => {
      const many = Array.from({ length: 950 }, (_, i) => String(i + 3).padStart(3, '0'));
      await addServices('30000', many);
      await db()
        .insertInto('service_categories')
        .values(
          many.map((serviceId) => ({ merchant_id: '30000', service_id: serviceId, category: 'crypto' })),
        )
        .execute();
      const noticesBefore = await notices('30000', 'prohibited');
      const added = await operator.post('/admin/prohibited', {
        category: 'crypto',
        effective_from: jstDate(startOfJstDay(stack.clock.now(), 1)),
        note: 'Core Operator list update',
      });
      expect(added.status).toBe(422);
      expect(await added.text()).toContain('何も変更していません');
      expect(await db().selectFrom('prohibited_categories').selectAll().execute()).toHaveLength(0);
      expect(await notices('30000', 'prohibited')).toEqual(noticesBefore);
      expect((await audit('prohibited.add')).filter((a) => a.target === 'crypto')).toHaveLength(0);
      await db().deleteFrom('service_categories').where('category', '=', 'crypto').execute();
    });

    // Last: it leaves notices and a listed-then-removed category behind.
    it('refuses the pay (5111) when a prohibited category of the service took effect after the selection page opened', async () => {
      await declareServiceCategories(db(), {
        merchantId: '30000',
        serviceId: '001',
        categories: 'fireworks',
        now: stack.clock.now(),
      });
      await addProhibited(db(), {
        category: 'fireworks',
        effectiveFrom: jstDate(startOfJstDay(stack.clock.now(), 1)),
        note: 'Core Operator list update',
        by: 'ops@example.com',
        now: stack.clock.now(),
      });
      const { selection, orderId } = await openSelection();
      advance(startOfJstDay(stack.clock.now(), 1).getTime() - stack.clock.now().getTime());
      await expectPayRefused(selection, orderId, '5111');
      await removeProhibited(db(), { category: 'fireworks', now: stack.clock.now() });
      await declareServiceCategories(db(), {
        merchantId: '30000',
        serviceId: '001',
        categories: '',
        now: stack.clock.now(),
      });
      expect(await purchase()).toBe('303');
      await signIn();
    });
  });
}
