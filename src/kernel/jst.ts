/**
 * Japan Standard Time helpers. Instants are stored in UTC; business dates are JST (UTC+9, no DST),
 * so the conversion is a fixed offset and needs no time-zone database.
 */
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYYMMDDHHMMSS` in JST — the protocol's date-time format. */
export function formatJstCompact(instant: Date): string {
  const j = new Date(instant.getTime() + JST_OFFSET_MS);
  return (
    pad(j.getUTCFullYear(), 4) +
    pad(j.getUTCMonth() + 1) +
    pad(j.getUTCDate()) +
    pad(j.getUTCHours()) +
    pad(j.getUTCMinutes()) +
    pad(j.getUTCSeconds())
  );
}

/** Parses `YYYYMMDDHHMMSS` (JST); a malformed or impossible date (Feb 30, 25 h) is `null`. */
export function parseJstCompact(text: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(utc);
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== s
  ) {
    return null;
  }
  return new Date(utc - JST_OFFSET_MS);
}

/** ISO-8601 with the +09:00 offset, e.g. `2026-11-27T10:30:00+09:00` (Alipay+ times). */
export function formatJstIso(instant: Date): string {
  const c = formatJstCompact(instant);
  return `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(8, 10)}:${c.slice(10, 12)}:${c.slice(12, 14)}+09:00`;
}

/** `2026-11-27 10:30:00` in JST, for pages and the console. */
export function formatJstDisplay(instant: Date): string {
  const c = formatJstCompact(instant);
  return `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)} ${c.slice(8, 10)}:${c.slice(10, 12)}:${c.slice(12, 14)}`;
}

/** The start (00:00:00 JST) of the JST calendar date `YYYY-MM-DD`, as an Alipay+ Datetime. */
export function jstDateStartIso(date: string): string {
  return `${date}T00:00:00+09:00`;
}

/** The same JST wall time one calendar year later (29 Feb → 1 Mar). */
export function oneJstYearLater(instant: Date): Date {
  const local = new Date(instant.getTime() + JST_OFFSET_MS);
  local.setUTCFullYear(local.getUTCFullYear() + 1);
  return new Date(local.getTime() - JST_OFFSET_MS);
}

/** The JST calendar date of an instant as `YYYY-MM-DD`. */
export function jstDate(instant: Date): string {
  return formatJstDisplay(instant).slice(0, 10);
}

/** The first instant (00:00:00.000 JST) of the JST date `days` after the one `instant` falls on. */
export function startOfJstDay(instant: Date, days = 0): Date {
  const local = instant.getTime() + JST_OFFSET_MS;
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
  return new Date(dayStart + days * DAY_MS - JST_OFFSET_MS);
}
