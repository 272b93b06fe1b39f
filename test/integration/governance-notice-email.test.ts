import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOB_SEND_NOTICE_EMAIL, postNotice } from '../../src/governance/notice.repository';
import { NoticeMailer } from '../../src/governance/notice-mailer';
import { listJobs } from '../../src/jobs/job.repository';
import { JobWorker } from '../../src/jobs/job-worker';
import { OffsetClock } from '../../src/kernel/clock';
import { DEMO_MERCHANT_ID, seedDemoData } from '../../src/merchants/demo-seed';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';
import { type SmtpListener, startSmtpListener } from '../support/smtp-listener';

/**
 * The notice e-mail outbox over real SMTP (governance.md, Notices): what arrives at a loopback SMTP
 * listener, retries with back-off after a temporary refusal, and the end after a permanent one.
 */
for (const dialect of DIALECTS) {
  describe(`notice e-mail (${dialect})`, () => {
    let database: TestDatabase;
    let smtp: SmtpListener;
    let clock: OffsetClock;
    let mailer: NoticeMailer;
    let worker: JobWorker;
    const db = () => database.db;

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      clock = new OffsetClock();
      clock.freeze(new Date('2026-12-01T01:00:00Z'));
      await seedDemoData(db(), clock.now(), {});
      await db()
        .updateTable('merchants')
        .set({ notice_emails: JSON.stringify(['ops@demo.example', 'cfo@demo.example']) })
        .where('merchant_id', '=', DEMO_MERCHANT_ID)
        .execute();
      smtp = await startSmtpListener();
      mailer = new NoticeMailer({
        db: db(),
        clock,
        smtp: { url: smtp.url, from: 'Kessai <notices@kessai.example>' },
        gatewayPublicUrl: 'https://pay.kessai.example',
      });
      worker = new JobWorker({
        db: db(),
        dialect,
        clock,
        handlers: { [JOB_SEND_NOTICE_EMAIL]: (job) => mailer.send(job) },
      });
    });
    afterEach(async () => {
      mailer?.close();
      await smtp?.close();
      await database?.close();
    });

    async function post(): Promise<number> {
      const id = await postNotice(
        db(),
        {
          kind: 'fraud',
          severity: 'warning',
          merchants: [DEMO_MERCHANT_ID],
          title: { ja: '不正利用の調査', en: 'Fraud investigation' },
          body: { ja: '対象の決済をご確認ください。', en: 'Please check the payments concerned.' },
          links: [{ type: 'payment', trackingId: 'TRK-0001' }],
        },
        clock.now(),
      );
      return id ?? 0;
    }

    async function email() {
      return db().selectFrom('notice_emails').selectAll().executeTakeFirstOrThrow();
    }

    it("delivers a notice in Japanese and English to the merchant's notice addresses", async () => {
      const id = await post();
      expect(await worker.runDue()).toBe(1);
      expect(smtp.received).toHaveLength(1);
      const [mail] = smtp.received;
      expect(mail?.from).toBe('notices@kessai.example');
      expect(mail?.to).toEqual(['ops@demo.example', 'cfo@demo.example']);
      const parsed = await simpleParser(mail?.raw ?? '');
      expect(parsed.subject).toBe('[Kessai] 不正利用の調査 / Fraud investigation');
      expect(parsed.headers.get('x-kessai-notice')).toBe(String(id));
      expect(parsed.text).toContain('対象の決済をご確認ください。');
      expect(parsed.text).toContain('Please check the payments concerned.');
      expect(parsed.text).toContain('https://pay.kessai.example/admin/payments/TRK-0001');
      expect(parsed.text).toContain(`https://pay.kessai.example/admin/notices/${id}`);
      expect(await email()).toMatchObject({ status: 'SENT', attempts: 1, sent_at: clock.now().getTime() });
    });

    it('retries a temporarily refused message with back-off and sends it once', async () => {
      await post();
      smtp.refuseNext(2, 451);
      expect(await worker.runDue()).toBe(1);
      expect(smtp.received).toHaveLength(0);
      expect(await email()).toMatchObject({ status: 'PENDING', attempts: 1 });
      expect(await worker.runDue()).toBe(0);
      clock.advance(60_000);
      expect(await worker.runDue()).toBe(1);
      expect(await email()).toMatchObject({ status: 'PENDING', attempts: 2 });
      clock.advance(60_000);
      expect(await worker.runDue()).toBe(0);
      clock.advance(60_000);
      expect(await worker.runDue()).toBe(1);
      expect(smtp.received).toHaveLength(1);
      expect(await email()).toMatchObject({ status: 'SENT', attempts: 3, last_error: null });
      expect(await worker.runDue()).toBe(0);
    });

    it('ends a permanently refused message without retrying', async () => {
      await post();
      smtp.refuseNext(1, 550);
      await worker.runDue();
      const row = await email();
      expect(row.status).toBe('DEAD');
      expect(row.last_error).toMatch(/550/);
      const [job] = await listJobs(db(), { kind: JOB_SEND_NOTICE_EMAIL });
      expect(job?.status).toBe('DEAD');
      clock.advance(3_600_000);
      expect(await worker.runDue()).toBe(0);
      expect(smtp.received).toHaveLength(0);
    });

    it('records the e-mail as skipped when no SMTP server is configured', async () => {
      await post();
      const unconfigured = new NoticeMailer({
        db: db(),
        clock,
        smtp: { url: undefined, from: 'x <x@x.example>' },
        gatewayPublicUrl: 'https://pay.kessai.example',
      });
      const local = new JobWorker({
        db: db(),
        dialect,
        clock,
        handlers: { [JOB_SEND_NOTICE_EMAIL]: (job) => unconfigured.send(job) },
      });
      await local.runDue();
      expect(await email()).toMatchObject({ status: 'SKIPPED', last_error: 'KESSAI_SMTP_URL is not set' });
    });
  });
}
