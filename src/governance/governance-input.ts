import { parseJstCompact } from '../kernel/jst';

/**
 * Input rules shared by the governance workflows (governance.md, 2-4). A refused input throws
 * `GovernanceInputError` before anything is written; the console shows the code's text.
 */
export type GovernanceInputErrorCode =
  | 'MERCHANT_UNKNOWN'
  | 'TEXT_REQUIRED'
  | 'TEXT_TOO_LONG'
  | 'DATE_INVALID'
  | 'DUE_DATE_PAST'
  | 'TIME_INVALID'
  | 'UNTIL_BEFORE_FROM'
  | 'OUTCOME_INVALID'
  | 'CASE_NOT_OPEN'
  | 'NOT_SUSPENDED'
  | 'TRACKING_IDS_REQUIRED'
  | 'TRACKING_ID_UNKNOWN'
  | 'CATEGORY_INVALID'
  | 'CATEGORY_EXISTS'
  | 'CATEGORY_UNKNOWN'
  | 'REFUNDS_NOT_STOPPED';

export class GovernanceInputError extends Error {
  override name = 'GovernanceInputError';
  constructor(
    readonly code: GovernanceInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Three such texts and the payments concerned still fit in one notice's body (10,000 characters). */
export const MAX_TEXT = 2000;

/** Trimmed, required text of at most `MAX_TEXT` characters. */
export function requiredText(value: string, field: string): string {
  const text = value.trim();
  if (text === '') throw new GovernanceInputError('TEXT_REQUIRED', `${field} is required`);
  if (text.length > MAX_TEXT) throw new GovernanceInputError('TEXT_TOO_LONG', `${field} is too long`);
  return text;
}

/** A JST calendar date `YYYY-MM-DD` that exists; returns its first instant (00:00 JST). */
export function jstDateStart(value: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  const start = m ? parseJstCompact(`${m[1]}${m[2]}${m[3]}000000`) : null;
  if (!start) throw new GovernanceInputError('DATE_INVALID', `not a date (YYYY-MM-DD): ${value}`);
  return start;
}

/** A due date: a real date, today (JST) or later. */
export function dueDate(value: string, now: Date): string {
  const start = jstDateStart(value);
  if (start.getTime() + 86_400_000 <= now.getTime()) {
    throw new GovernanceInputError('DUE_DATE_PAST', `the due date ${value} has passed`);
  }
  return value.trim();
}

/**
 * A JST minute as typed in the console: `YYYY-MM-DDTHH:MM` (a datetime-local field) or
 * `YYYY-MM-DD HH:MM`. Null for anything else, or a date that does not exist.
 */
export function parseJstMinute(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/.exec(text.trim());
  return m ? parseJstCompact(`${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}00`) : null;
}

/** A JST minute as `parseJstMinute` reads it, required. */
export function jstLocalTime(value: string): Date {
  const at = parseJstMinute(value);
  if (!at) throw new GovernanceInputError('TIME_INVALID', `not a time (YYYY-MM-DDTHH:MM): ${value}`);
  return at;
}
