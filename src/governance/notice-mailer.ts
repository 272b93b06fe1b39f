import type { Kysely } from 'kysely';
import { createTransport, type Transporter } from 'nodemailer';
import type { Database } from '../db/database';
import type { ClaimedJob, JobOutcome } from '../jobs/job';
import type { Clock } from '../kernel/clock';
import { formatJstDisplay } from '../kernel/jst';
import type { Notice } from './notice';
import { toNotice } from './notice.repository';

/**
 * Sends the notice e-mail outbox (governance.md, Notices: "e-mail through an outbox job over
 * SMTP"). Each outbox row is one message to one merchant's notice addresses, in Japanese and then
 * English. A failed send is retried with back-off (1, 2, 4 … 60 minutes, 10 tries); an SMTP
 * permanent refusal (5xx) ends it at once. Without `KESSAI_SMTP_URL` rows are marked SKIPPED.
 */
export const MAX_EMAIL_ATTEMPTS = 10;
const RETRY_BASE_MS = 60_000;
const RETRY_CAP_MS = 60 * 60_000;

export function emailRetryDelayMs(attempt: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(attempt - 1, 0), RETRY_CAP_MS);
}

export interface NoticeMailerDeps {
  db: Kysely<Database>;
  clock: Clock;
  smtp: { url: string | undefined; from: string };
  /** The gateway's public URL, for the links to the console in the message. */
  gatewayPublicUrl: string;
}

export class NoticeMailer {
  private readonly transport: Transporter | undefined;

  constructor(private readonly deps: NoticeMailerDeps) {
    this.transport =
      deps.smtp.url === undefined
        ? undefined
        : createTransport({
            url: deps.smtp.url,
            connectionTimeout: 10_000,
            greetingTimeout: 10_000,
            socketTimeout: 30_000,
          });
  }

  /** The job handler: sends one outbox row. */
  async send(job: ClaimedJob): Promise<JobOutcome> {
    const { emailId } = job.payload as { emailId: number };
    const { db, clock } = this.deps;
    const email = await db
      .selectFrom('notice_emails')
      .selectAll()
      .where('id', '=', emailId)
      .executeTakeFirst();
    if (email === undefined || email.status !== 'PENDING') return { type: 'done' };
    if (this.transport === undefined) {
      await this.finish(emailId, { status: 'SKIPPED', last_error: 'KESSAI_SMTP_URL is not set' });
      return { type: 'done' };
    }
    const row = await db
      .selectFrom('notices')
      .selectAll()
      .where('id', '=', email.notice_id)
      .executeTakeFirstOrThrow();
    const notice = toNotice(row, [email.merchant_id]);
    const attempts = email.attempts + 1;
    try {
      await this.transport.sendMail({
        from: this.deps.smtp.from,
        to: JSON.parse(email.recipients) as string[],
        subject: `[Kessai] ${notice.title.ja} / ${notice.title.en}`,
        text: this.render(notice),
        headers: { 'X-Kessai-Notice': String(notice.id) },
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { responseCode?: unknown }).responseCode;
      const permanent = typeof code === 'number' && code >= 500;
      if (permanent || attempts >= MAX_EMAIL_ATTEMPTS) {
        await this.finish(emailId, { status: 'DEAD', last_error: message, attempts });
        return { type: 'dead', error: `notice e-mail ${emailId}: ${message}` };
      }
      await this.finish(emailId, { status: 'PENDING', last_error: message, attempts });
      return {
        type: 'retry',
        at: new Date(clock.now().getTime() + emailRetryDelayMs(attempts)),
        note: message,
      };
    }
    await this.finish(emailId, {
      status: 'SENT',
      last_error: null,
      attempts,
      sent_at: clock.now().getTime(),
    });
    return { type: 'done' };
  }

  close(): void {
    this.transport?.close();
  }

  private async finish(
    emailId: number,
    changes: { status: string; last_error: string | null; attempts?: number; sent_at?: number },
  ): Promise<void> {
    await this.deps.db
      .updateTable('notice_emails')
      .set(changes)
      .where('id', '=', emailId)
      .where('status', '=', 'PENDING')
      .execute();
  }

  private render(notice: Notice): string {
    const base = this.deps.gatewayPublicUrl;
    const links = notice.links.map((link) =>
      link.type === 'payment'
        ? `${base}/admin/payments/${encodeURIComponent(link.trackingId)}`
        : `${base}${link.path}`,
    );
    const at = formatJstDisplay(notice.createdAt);
    return [
      notice.title.ja,
      '',
      notice.body.ja,
      '',
      `${at} (JST)`,
      '',
      '----------------------------------------',
      notice.title.en,
      '',
      notice.body.en,
      '',
      ...links,
      `${base}/admin/notices/${notice.id}`,
      '',
    ].join('\n');
  }
}
