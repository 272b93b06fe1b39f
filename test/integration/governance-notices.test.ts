import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findUserByEmail } from '../../src/admin/user.service';
import { NoticeError } from '../../src/governance/notice';
import {
  countUnread,
  findNotice,
  JOB_SEND_NOTICE_EMAIL,
  listInbox,
  markRead,
  postNotice,
} from '../../src/governance/notice.repository';
import { readNoticeAddresses } from '../../src/governance/notice-addresses';
import { listJobs } from '../../src/jobs/job.repository';
import { DEMO_MERCHANT_ID, seedDemoData } from '../../src/merchants/demo-seed';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';
import { OTHER_MERCHANT, seedConsole } from './admin-client';

/**
 * The one notice model (governance.md, Notices) on both databases: posting (with its e-mail
 * outbox rows), who sees what, read state per user, and what is refused.
 */
const OTHER = OTHER_MERCHANT;

for (const dialect of DIALECTS) {
  describe(`notices (${dialect})`, () => {
    let database: TestDatabase;
    const now = new Date('2026-12-01T00:00:00Z');
    const db = () => database.db;
    let operator = '';
    let merchantUser = '';
    let otherUser = '';

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      await seedDemoData(db(), now, {});
      const users = await seedConsole(db(), `notices-${dialect}`);
      await db()
        .updateTable('merchants')
        .set({ notice_emails: JSON.stringify(['ops@other.example']) })
        .where('merchant_id', '=', OTHER)
        .execute();
      const idOf = async (email: string) => (await findUserByEmail(db(), email))?.user_id ?? '';
      operator = await idOf(users.operator);
      merchantUser = await idOf(users.admin);
      otherUser = await idOf(users.otherAdmin);
    });
    afterEach(async () => {
      await database?.close();
    });

    const text = (en: string) => ({ ja: `${en}（日本語）`, en });

    it('shows a merchant its own notices and those for all, and operators every notice', async () => {
      const forAll = await postNotice(
        db(),
        { kind: 'general', severity: 'info', merchants: 'all', title: text('All'), body: text('For all') },
        now,
      );
      const forOther = await postNotice(
        db(),
        {
          kind: 'fraud',
          severity: 'warning',
          merchants: [OTHER],
          title: text('Investigation'),
          body: text('Payments under investigation'),
          links: [{ type: 'payment', trackingId: 'T-1' }],
        },
        new Date(now.getTime() + 1000),
      );
      const demo = { userId: merchantUser, merchantId: DEMO_MERCHANT_ID };
      const other = { userId: otherUser, merchantId: OTHER };
      expect((await listInbox(db(), demo, { limit: 50 })).map((n) => n.id)).toEqual([forAll]);
      const otherInbox = await listInbox(db(), other, { limit: 50 });
      expect(otherInbox.map((n) => n.id)).toEqual([forOther, forAll]);
      expect(otherInbox[0]).toMatchObject({
        kind: 'fraud',
        merchants: [OTHER],
        title: { en: 'Investigation' },
        links: [{ type: 'payment', trackingId: 'T-1' }],
        readAt: null,
      });
      expect(await findNotice(db(), demo, forOther ?? 0)).toBeUndefined();
      const op = { userId: operator, merchantId: null };
      expect((await listInbox(db(), op, { limit: 50 })).length).toBe(2);
      expect((await listInbox(db(), op, { kind: 'fraud', limit: 50 })).map((n) => n.id)).toEqual([forOther]);
    });

    it('keeps read state per user and never marks a notice the reader may not see', async () => {
      const forOther = await postNotice(
        db(),
        {
          kind: 'kyc',
          severity: 'warning',
          merchants: [OTHER],
          title: text('KYC'),
          body: text('Please answer'),
        },
        now,
      );
      const demo = { userId: merchantUser, merchantId: DEMO_MERCHANT_ID };
      const other = { userId: otherUser, merchantId: OTHER };
      const op = { userId: operator, merchantId: null };
      expect(await markRead(db(), demo, [forOther ?? 0], now)).toBe(0);
      expect(await countUnread(db(), other)).toBe(1);
      expect(await countUnread(db(), op)).toBe(1);
      expect(await markRead(db(), other, [forOther ?? 0], now)).toBe(1);
      expect(await markRead(db(), other, 'all', now)).toBe(0);
      expect(await countUnread(db(), other)).toBe(0);
      expect(await countUnread(db(), op)).toBe(1);
      expect((await listInbox(db(), other, { unreadOnly: true, limit: 10 })).length).toBe(0);
      expect((await findNotice(db(), other, forOther ?? 0))?.readAt).toEqual(now);
    });

    it('writes one e-mail outbox row and job per merchant with notice addresses', async () => {
      const id = await postNotice(
        db(),
        { kind: 'general', severity: 'info', merchants: 'all', title: text('All'), body: text('Body') },
        now,
      );
      const emails = await db().selectFrom('notice_emails').selectAll().execute();
      expect(emails).toHaveLength(1);
      expect(emails[0]).toMatchObject({ merchant_id: OTHER, status: 'PENDING', notice_id: id });
      expect(JSON.parse(emails[0]?.recipients ?? '')).toEqual(['ops@other.example']);
      const jobs = await listJobs(db(), { kind: JOB_SEND_NOTICE_EMAIL });
      expect(jobs.map((j) => j.payload)).toEqual([{ emailId: Number(emails[0]?.id) }]);
    });

    it('posts a notice with a dedupe key once', async () => {
      const notice = {
        kind: 'maintenance',
        severity: 'info',
        merchants: 'all',
        title: text('Maintenance'),
        body: text('Soon'),
        dedupeKey: 'maintenance:1:scheduled',
      } as const;
      expect(await postNotice(db(), notice, now)).toEqual(expect.any(Number));
      expect(await postNotice(db(), notice, now)).toBeNull();
      expect(await db().selectFrom('notices').select('id').execute()).toHaveLength(1);
      expect(await db().selectFrom('notice_emails').select('id').execute()).toHaveLength(1);
    });

    it('refuses an invalid notice or an unknown merchant and writes nothing', async () => {
      const base = { kind: 'general', severity: 'info', title: text('T'), body: text('B') } as const;
      await expect(postNotice(db(), { ...base, merchants: ['99999'] }, now)).rejects.toThrow(
        new NoticeError('unknown merchant: 99999'),
      );
      await expect(postNotice(db(), { ...base, merchants: [] }, now)).rejects.toThrow(NoticeError);
      await expect(
        postNotice(db(), { ...base, merchants: 'all', title: { ja: ' ', en: 'T' } }, now),
      ).rejects.toThrow('title.ja is empty');
      await expect(
        postNotice(
          db(),
          {
            ...base,
            merchants: 'all',
            links: [{ type: 'console', path: 'https://evil.example/', label: text('x') }],
          },
          now,
        ),
      ).rejects.toThrow('a console link must be a path under /admin/');
      expect(await db().selectFrom('notices').select('id').execute()).toHaveLength(0);
    });
  });
}

describe('notice addresses', () => {
  it('reads one address per line or comma-separated, lower-cased and without repeats', () => {
    expect(readNoticeAddresses(' Ops@Shop.example,\nbilling@shop.example\nops@shop.example ')).toEqual({
      ok: true,
      addresses: ['ops@shop.example', 'billing@shop.example'],
    });
    expect(readNoticeAddresses('')).toEqual({ ok: true, addresses: [] });
  });
  it('names the first invalid address and refuses more than five', () => {
    expect(readNoticeAddresses('ok@shop.example, not-an-address')).toEqual({
      ok: false,
      error: 'invalid',
      address: 'not-an-address',
    });
    expect(readNoticeAddresses('a@x.jp b@x.jp c@x.jp d@x.jp e@x.jp f@x.jp')).toEqual({
      ok: false,
      error: 'too-many',
    });
  });
});
