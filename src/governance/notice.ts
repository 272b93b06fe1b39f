/**
 * The one notice model (governance.md, Notices): every governance event — maintenance, outages,
 * sub-brand registration, KYC, fraud investigations, prohibited categories — is told to merchants
 * as a notice, delivered to the console inbox, by e-mail (outbox) and, for maintenance and outages,
 * on the public status page.
 */
export const NOTICE_KINDS = [
  'maintenance',
  'outage',
  'registration',
  'kyc',
  'fraud',
  'prohibited',
  'general',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export const NOTICE_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type NoticeSeverity = (typeof NOTICE_SEVERITIES)[number];

/** Text in the console's two languages. */
export interface Bilingual {
  ja: string;
  en: string;
}

/**
 * What a notice points to: a payment (shown as a link to its detail page, within the reader's
 * tenancy like any payment), or a console page such as a case (`path` under `/admin/`).
 */
export type NoticeLink =
  | { type: 'payment'; trackingId: string }
  | { type: 'console'; path: string; label: Bilingual };

export interface NewNotice {
  kind: NoticeKind;
  severity: NoticeSeverity;
  /** Every merchant, or the merchant ids concerned (at least one). Operators see every notice. */
  merchants: 'all' | readonly string[];
  title: Bilingual;
  body: Bilingual;
  links?: readonly NoticeLink[];
  /**
   * Posting a second notice with the same key does nothing (and `postNotice` returns null): for
   * jobs that may run twice, e.g. `maintenance:12:start`.
   */
  dedupeKey?: string;
}

export interface Notice {
  id: number;
  kind: NoticeKind;
  severity: NoticeSeverity;
  /** 'all', or the merchants concerned. */
  merchants: 'all' | string[];
  title: Bilingual;
  body: Bilingual;
  links: NoticeLink[];
  createdAt: Date;
}

export const TITLE_MAX = 200;
export const BODY_MAX = 10_000;

export function isNoticeKind(value: string): value is NoticeKind {
  return (NOTICE_KINDS as readonly string[]).includes(value);
}

export function isNoticeSeverity(value: string): value is NoticeSeverity {
  return (NOTICE_SEVERITIES as readonly string[]).includes(value);
}

/** Thrown for a notice that cannot be posted; nothing is written then. */
export class NoticeError extends Error {
  override name = 'NoticeError';
}

/** Checks a notice before anything is written; throws `NoticeError` naming the problem. */
export function checkNewNotice(notice: NewNotice): void {
  if (!isNoticeKind(notice.kind)) throw new NoticeError(`unknown notice kind: ${String(notice.kind)}`);
  if (!isNoticeSeverity(notice.severity)) {
    throw new NoticeError(`unknown notice severity: ${String(notice.severity)}`);
  }
  if (notice.merchants !== 'all' && notice.merchants.length === 0) {
    throw new NoticeError('a notice concerns every merchant or at least one');
  }
  for (const lang of ['ja', 'en'] as const) {
    checkText(`title.${lang}`, notice.title[lang], TITLE_MAX);
    checkText(`body.${lang}`, notice.body[lang], BODY_MAX);
  }
  for (const link of notice.links ?? []) {
    if (link.type === 'payment') {
      if (!/^[0-9A-Za-z-]{1,64}$/.test(link.trackingId)) {
        throw new NoticeError(`not a tracking id: ${link.trackingId}`);
      }
    } else if (!/^\/admin\/[\x21-\x7e]*$/.test(link.path)) {
      throw new NoticeError(`a console link must be a path under /admin/: ${link.path}`);
    } else {
      checkText('link label.ja', link.label.ja, TITLE_MAX);
      checkText('link label.en', link.label.en, TITLE_MAX);
    }
  }
  if (notice.dedupeKey !== undefined && (notice.dedupeKey.length === 0 || notice.dedupeKey.length > 200)) {
    throw new NoticeError('a dedupe key has 1 to 200 characters');
  }
}

function checkText(name: string, value: string, max: number): void {
  if (typeof value !== 'string' || value.trim().length === 0) throw new NoticeError(`${name} is empty`);
  if (value.length > max) throw new NoticeError(`${name} is longer than ${max} characters`);
}
