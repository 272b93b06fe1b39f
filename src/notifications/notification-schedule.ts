/**
 * A02-1 delivery schedule (merchant-link-type.md, A02-1): the first attempt at once, then these
 * intervals between attempts — 8 attempts over about 24 h — then undelivered.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const RETRY_INTERVALS_MS: readonly number[] = [
  2 * MINUTE,
  10 * MINUTE,
  10 * MINUTE,
  1 * HOUR,
  2 * HOUR,
  6 * HOUR,
  15 * HOUR,
];
export const MAX_ATTEMPTS = RETRY_INTERVALS_MS.length + 1;

/** When the next attempt is due after `attemptsMade` failed attempts, or null when none is left. */
export function nextAttemptAt(attemptsMade: number, lastAttempt: Date): Date | null {
  const interval = RETRY_INTERVALS_MS[attemptsMade - 1];
  return interval === undefined ? null : new Date(lastAttempt.getTime() + interval);
}

/** The merchant's answer: a body beginning `OK,` accepts, `NG,` refuses; anything else failed. */
export type MerchantAnswer = 'accepted' | 'refused' | 'failed';

export function readMerchantAnswer(status: number | null, body: string): MerchantAnswer {
  if (status === null || status < 200 || status > 299) return 'failed';
  if (body.startsWith('OK,')) return 'accepted';
  if (body.startsWith('NG,')) return 'refused';
  return 'failed';
}
