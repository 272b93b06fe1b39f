import { type ExpressionBuilder, type Selectable, sql } from 'kysely';
import type { Database, Db, NoticeTable } from '../db/database';
import { enqueueJob } from '../jobs/job.repository';
import {
  type Bilingual,
  checkNewNotice,
  type NewNotice,
  type Notice,
  NoticeError,
  type NoticeKind,
  type NoticeLink,
  type NoticeSeverity,
} from './notice';
import { parseNoticeAddresses } from './notice-addresses';

/** The job that sends one row of the notice e-mail outbox (payload `{ emailId }`). */
export const JOB_SEND_NOTICE_EMAIL = 'governance.notice-email';

/**
 * Posts a notice: the notice, the merchants it concerns and one e-mail outbox row (with its send
 * job) per merchant that has notice addresses, all written with `db` — pass the caller's open
 * transaction so the notice commits or rolls back with the change it tells about (ARCHITECTURE.md,
 * outbox). Returns the new notice's id, or null when a notice with the same `dedupeKey` exists.
 * Throws `NoticeError` (nothing written) for an invalid notice or an unknown merchant id.
 *
 * ```ts
 * await db.transaction().execute(async (tx) => {
 *   // … the state change …
 *   await postNotice(tx, {
 *     kind: 'kyc', severity: 'warning', merchants: [merchantId],
 *     title: { ja: '追加情報のお願い', en: 'Additional information requested' },
 *     body: { ja: '…', en: '…' },
 *     links: [{ type: 'console', path: `/admin/kyc/${caseId}`, label: { ja: '案件', en: 'Case' } }],
 *   }, clock.now());
 * });
 * ```
 * The e-mails go out from the job worker after commit (it polls every second).
 */
export async function postNotice(db: Db, notice: NewNotice, now: Date): Promise<number | null> {
  checkNewNotice(notice);
  const merchantIds = notice.merchants === 'all' ? null : [...new Set(notice.merchants)];
  const merchants = await db
    .selectFrom('merchants')
    .select(['merchant_id', 'notice_emails'])
    .$if(merchantIds !== null, (qb) => qb.where('merchant_id', 'in', merchantIds ?? []))
    .execute();
  if (merchantIds !== null && merchants.length !== merchantIds.length) {
    const known = new Set(merchants.map((m) => m.merchant_id));
    throw new NoticeError(`unknown merchant: ${merchantIds.filter((id) => !known.has(id)).join(', ')}`);
  }
  const inserted = await db
    .insertInto('notices')
    .values({
      kind: notice.kind,
      severity: notice.severity,
      for_all: merchantIds === null ? 1 : 0,
      title_ja: notice.title.ja,
      title_en: notice.title.en,
      body_ja: notice.body.ja,
      body_en: notice.body.en,
      links: JSON.stringify(notice.links ?? []),
      dedupe_key: notice.dedupeKey ?? null,
      created_at: now.getTime(),
    })
    .$if(notice.dedupeKey !== undefined, (qb) => qb.onConflict((oc) => oc.column('dedupe_key').doNothing()))
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined) return null;
  const noticeId = Number(inserted.id);
  if (merchantIds !== null) {
    await db
      .insertInto('notice_merchants')
      .values(merchantIds.map((merchantId) => ({ notice_id: noticeId, merchant_id: merchantId })))
      .execute();
  }
  for (const merchant of merchants) {
    const recipients = parseNoticeAddresses(merchant.notice_emails);
    if (recipients.length === 0) continue;
    const email = await db
      .insertInto('notice_emails')
      .values({
        notice_id: noticeId,
        merchant_id: merchant.merchant_id,
        status: 'PENDING',
        recipients: JSON.stringify(recipients),
        created_at: now.getTime(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const emailId = Number(email.id);
    await enqueueJob(
      db,
      { kind: JOB_SEND_NOTICE_EMAIL, payload: { emailId }, dueAt: now, dedupeKey: `notice-email:${emailId}` },
      now,
    );
  }
  return noticeId;
}

/** Whose inbox: an operator sees every notice, a merchant's user those for its merchant or all. */
export interface InboxReader {
  userId: string;
  /** Null for operators. */
  merchantId: string | null;
}

export interface InboxEntry extends Notice {
  readAt: Date | null;
}

function visibleTo(reader: InboxReader) {
  return (eb: ExpressionBuilder<Database, 'notices'>) =>
    reader.merchantId === null
      ? eb.and([])
      : eb.or([
          eb('notices.for_all', '=', 1),
          eb.exists(
            eb
              .selectFrom('notice_merchants')
              .select('notice_merchants.notice_id')
              .whereRef('notice_merchants.notice_id', '=', 'notices.id')
              .where('notice_merchants.merchant_id', '=', reader.merchantId),
          ),
        ]);
}

/** The reader's notices, newest first; `before` is the last id of the previous page. */
export async function listInbox(
  db: Db,
  reader: InboxReader,
  query: { kind?: NoticeKind; unreadOnly?: boolean; before?: number; limit: number },
): Promise<InboxEntry[]> {
  const rows = await db
    .selectFrom('notices')
    .leftJoin('notice_reads', (join) =>
      join.onRef('notice_reads.notice_id', '=', 'notices.id').on('notice_reads.user_id', '=', reader.userId),
    )
    .selectAll('notices')
    .select('notice_reads.read_at')
    .where(visibleTo(reader))
    .$if(query.kind !== undefined, (qb) => qb.where('notices.kind', '=', query.kind ?? 'general'))
    .$if(query.unreadOnly === true, (qb) => qb.where('notice_reads.read_at', 'is', null))
    .$if(query.before !== undefined, (qb) => qb.where('notices.id', '<', query.before ?? 0))
    .orderBy('notices.id', 'desc')
    .limit(query.limit)
    .execute();
  const concerned = await merchantsOf(
    db,
    rows.filter((r) => r.for_all === 0).map((r) => Number(r.id)),
  );
  return rows.map((row) => ({
    ...toNotice(row, concerned.get(Number(row.id)) ?? []),
    readAt: row.read_at === null ? null : new Date(Number(row.read_at)),
  }));
}

/** One notice, if the reader may see it. */
export async function findNotice(db: Db, reader: InboxReader, id: number): Promise<InboxEntry | undefined> {
  const [entry] = await listInbox(db, reader, { before: id + 1, limit: 1 });
  return entry?.id === id ? entry : undefined;
}

/** The reader's unread notices (the number in every console page's header). */
export async function countUnread(db: Db, reader: InboxReader): Promise<number> {
  const row = await db
    .selectFrom('notices')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where(visibleTo(reader))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('notice_reads')
            .select('notice_reads.notice_id')
            .whereRef('notice_reads.notice_id', '=', 'notices.id')
            .where('notice_reads.user_id', '=', reader.userId),
        ),
      ),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Marks notices read for this reader (only those it may see; already read ones keep their time).
 * Returns how many became read.
 */
export async function markRead(
  db: Db,
  reader: InboxReader,
  ids: readonly number[] | 'all',
  now: Date,
): Promise<number> {
  if (ids !== 'all' && ids.length === 0) return 0;
  const visible = db
    .selectFrom('notices')
    .select([
      'notices.id as notice_id',
      // Typed, because PostgreSQL cannot infer a bare parameter's type in a select list.
      sql<string>`cast(${reader.userId} as text)`.as('user_id'),
      sql<number>`cast(${now.getTime()} as bigint)`.as('read_at'),
    ])
    .where(visibleTo(reader))
    .$if(ids !== 'all', (qb) => qb.where('notices.id', 'in', ids === 'all' ? [] : ids));
  const result = await db
    .insertInto('notice_reads')
    .columns(['notice_id', 'user_id', 'read_at'])
    .expression(visible)
    .onConflict((oc) => oc.columns(['notice_id', 'user_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}

async function merchantsOf(db: Db, noticeIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (noticeIds.length === 0) return out;
  const rows = await db
    .selectFrom('notice_merchants')
    .select(['notice_id', 'merchant_id'])
    .where('notice_id', 'in', noticeIds)
    .orderBy('merchant_id')
    .execute();
  for (const row of rows) {
    const id = Number(row.notice_id);
    out.set(id, [...(out.get(id) ?? []), row.merchant_id]);
  }
  return out;
}

export function toNotice(row: Selectable<NoticeTable>, merchants: string[]): Notice {
  const bi = (ja: string, en: string): Bilingual => ({ ja, en });
  return {
    id: Number(row.id),
    kind: row.kind as NoticeKind,
    severity: row.severity as NoticeSeverity,
    merchants: Number(row.for_all) === 1 ? 'all' : merchants,
    title: bi(row.title_ja, row.title_en),
    body: bi(row.body_ja, row.body_en),
    links: JSON.parse(row.links) as NoticeLink[],
    createdAt: new Date(Number(row.created_at)),
  };
}
