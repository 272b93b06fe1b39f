import { parseJstCompact } from '../kernel/jst';

/**
 * A JST minute as typed in the console: `YYYY-MM-DDTHH:MM` (a datetime-local field) or
 * `YYYY-MM-DD HH:MM`. Null for anything else, or a date that does not exist.
 */
export function parseJstMinute(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  return parseJstCompact(`${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}00`);
}
