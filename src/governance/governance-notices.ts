import type { Db } from '../db/database';

/**
 * What a governance step tells merchants (governance.md, Notices): kind, severity, the merchants
 * concerned, title and body in Japanese and English, links into the console.
 */
export interface NoticeDraft {
  kind: 'kyc' | 'fraud' | 'prohibited';
  severity: 'info' | 'warning' | 'critical';
  merchantIds: string[];
  title: { ja: string; en: string };
  body: { ja: string; en: string };
  links: Array<{ href: string; label: { ja: string; en: string } }>;
}

/** Writes the notice in the caller's transaction, so a step and its notice commit together. */
export async function publishNotice(_db: Db, _draft: NoticeDraft, _now: Date): Promise<void> {}
