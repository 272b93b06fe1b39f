import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import type { Db } from '../db/database';
import { formatJstCompact, oneJstYearLater, parseJstCompact } from '../kernel/jst';
import { SUB_BRAND_CODES } from '../merchants/sub-brands';
import { isPaymentStatus, type PaymentStatus } from '../payments/payment-states';
import { jstText } from './format';
import type { AdminTexts } from './i18n';

/**
 * Payment search (admin.md, Screens 2): always inside an order-date range of at most one year,
 * newest first in a stable order (received_at desc, tracking_id desc), paged by keyset so every
 * page costs the same however deep, with the other filters applied inside the range. The CSV walks
 * the same pages and streams them, so no result set is ever held in memory.
 */
export const PAGE_SIZE = 50;
const CSV_PAGE_SIZE = 1000;

export const SEARCH_FIELDS = [
  'from',
  'to',
  'merchant',
  'service',
  'order_id',
  'tracking_id',
  'status',
  'sub_brand',
  'amount_min',
  'amount_max',
  'cust_code',
] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];
export type SearchValues = Record<SearchField, string>;

export interface PaymentFilters {
  /** Inclusive bounds, epoch milliseconds. */
  from: number;
  to: number;
  merchantId?: string;
  serviceId?: string;
  orderId?: string;
  trackingId?: string;
  status?: PaymentStatus;
  subBrand?: string;
  amountMin?: number;
  amountMax?: number;
  custCode?: string;
}

export interface Cursor {
  receivedAt: number;
  trackingId: string;
}

export interface ParsedSearch {
  values: SearchValues;
  filters: PaymentFilters | null;
  errors: string[];
}

/** `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or `…:SS` (datetime-local, or typed with a space), as JST. */
function parseJstLocal(text: string): { start: number; span: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s] = m;
  const start = parseJstCompact(`${y}${mo}${d}${h}${mi}${s ?? '00'}`);
  if (!start) return null;
  const span = s !== undefined ? 1000 : m[4] !== undefined ? 60_000 : 86_400_000;
  return { start: start.getTime(), span };
}

/** `YYYY-MM-DDTHH:MM` in JST, the value a datetime-local input shows. */
export function jstLocalValue(instant: Date): string {
  const c = formatJstCompact(instant);
  return `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(8, 10)}:${c.slice(10, 12)}`;
}

const IDENTIFIER = /^[\x21-\x7e]{1,64}$/;

/**
 * Reads the search form. Without any criteria at all (the menu link) the last 30 days are shown;
 * once the form is submitted "from" is required. `merchantScope` (a merchant's people) overrides
 * any merchant in the query: tenancy is never a filter the user controls.
 */
export function parseSearch(
  query: Partial<Record<string, unknown>>,
  t: AdminTexts,
  now: Date,
  merchantScope: string | null,
): ParsedSearch {
  const values = Object.fromEntries(
    SEARCH_FIELDS.map((f) => {
      const v = query[f];
      return [f, typeof v === 'string' ? v.trim().slice(0, 100) : ''];
    }),
  ) as SearchValues;
  const submitted = SEARCH_FIELDS.some((f) => query[f] !== undefined);
  if (!submitted) values.from = jstLocalValue(new Date(now.getTime() - 30 * 86_400_000));

  const errors: string[] = [];
  const s = t.search;
  let from = 0;
  let to = now.getTime();
  if (values.from === '') {
    errors.push(s.fromRequired);
  } else {
    const parsed = parseJstLocal(values.from);
    if (parsed) from = parsed.start;
    else errors.push(s.badDate(s.from));
  }
  if (values.to !== '') {
    const parsed = parseJstLocal(values.to);
    if (parsed) to = parsed.start + parsed.span - 1;
    else errors.push(s.badDate(s.to));
  }
  if (errors.length === 0) {
    if (to < from) errors.push(s.rangeReversed);
    else if (to >= oneJstYearLater(new Date(from)).getTime()) errors.push(s.rangeTooLong);
  }

  const filters: PaymentFilters = { from, to };
  const merchant = merchantScope ?? values.merchant;
  if (merchant !== '') filters.merchantId = merchant;
  const ids: Array<[SearchField, keyof PaymentFilters, string]> = [
    ['service', 'serviceId', s.service],
    ['order_id', 'orderId', s.orderId],
    ['tracking_id', 'trackingId', s.trackingId],
    ['cust_code', 'custCode', s.custCode],
  ];
  for (const [field, key, label] of ids) {
    const v = values[field];
    if (v === '') continue;
    if (IDENTIFIER.test(v)) (filters as unknown as Record<string, string>)[key] = v;
    else errors.push(s.badField(label));
  }
  if (merchantScope === null && values.merchant !== '' && !IDENTIFIER.test(values.merchant)) {
    errors.push(s.badField(s.merchant));
  }
  if (values.status !== '') {
    if (isPaymentStatus(values.status)) filters.status = values.status;
    else errors.push(s.badField(s.status));
  }
  if (values.sub_brand !== '') {
    if ((SUB_BRAND_CODES as readonly string[]).includes(values.sub_brand))
      filters.subBrand = values.sub_brand;
    else errors.push(s.badField(s.subBrand));
  }
  for (const [field, key, label] of [
    ['amount_min', 'amountMin', s.amountMin],
    ['amount_max', 'amountMax', s.amountMax],
  ] as const) {
    const v = values[field].replace(/[,¥￥]/g, '');
    if (v === '') continue;
    if (/^\d{1,9}$/.test(v)) filters[key] = Number(v);
    else errors.push(s.badAmount(label));
  }
  return { values, filters: errors.length === 0 ? filters : null, errors };
}

export function parseCursor(text: unknown): Cursor | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d{1,16})_([0-9A-Za-z]{1,32})$/.exec(text);
  return m ? { receivedAt: Number(m[1]), trackingId: m[2]! } : null;
}

export function cursorText(c: Cursor): string {
  return `${c.receivedAt}_${c.trackingId}`;
}

export interface PaymentListRow {
  trackingId: string;
  orderId: string;
  merchantId: string;
  serviceId: string;
  receivedAt: number;
  amount: number;
  refundedAmount: number;
  status: string;
  subBrand: string | null;
  custCode: string;
  itemId: string;
  itemName: string;
  paidAt: number | null;
}

/**
 * Filters that no index serves (status, sub-brand, amount) are applied to at most this many rows
 * of the date range per request, newest first; the page then ends with a cursor at the last row
 * examined. A filter that matches almost nothing over a year thus costs a bounded slice per request
 * instead of a scan that would hold the database (and, on SQLite, the process) for half a second.
 */
export const SCAN_LIMIT = 5000;

/** One page after `cursor` (exclusive), and the cursor of the next page when there is one. */
export async function searchPayments(
  db: Db,
  filters: PaymentFilters,
  cursor: Cursor | null,
  limit: number = PAGE_SIZE,
): Promise<{ rows: PaymentListRow[]; next: Cursor | null }> {
  let q = db
    .selectFrom('payments')
    .select([
      'tracking_id',
      'order_id',
      'merchant_id',
      'service_id',
      'received_at',
      'amount',
      'refunded_amount',
      'status',
      'wallet',
      'cust_code',
      'item_id',
      'item_name',
      'paid_at',
    ])
    .where('received_at', '>=', filters.from)
    .where('received_at', '<=', filters.to);
  if (filters.merchantId !== undefined) q = q.where('merchant_id', '=', filters.merchantId);
  if (filters.serviceId !== undefined) q = q.where('service_id', '=', filters.serviceId);
  if (filters.orderId !== undefined) q = q.where('order_id', '=', filters.orderId);
  if (filters.trackingId !== undefined) q = q.where('tracking_id', '=', filters.trackingId);
  if (filters.custCode !== undefined) q = q.where('cust_code', '=', filters.custCode);
  if (cursor) {
    q = q.where((eb) =>
      eb(eb.refTuple('received_at', 'tracking_id'), '<', eb.tuple(cursor.receivedAt, cursor.trackingId)),
    );
  }
  const unindexed =
    filters.status !== undefined ||
    filters.subBrand !== undefined ||
    filters.amountMin !== undefined ||
    filters.amountMax !== undefined;
  const exactKey =
    filters.orderId !== undefined || filters.trackingId !== undefined || filters.custCode !== undefined;
  // The last row of the bounded slice, when the range holds more than the slice.
  let sliceEnd: Cursor | null = null;
  if (unindexed && !exactKey) {
    const slice = q
      .clearSelect()
      .select(['received_at', 'tracking_id'])
      .orderBy('received_at', 'desc')
      .orderBy('tracking_id', 'desc');
    const end = await slice
      .offset(SCAN_LIMIT - 1)
      .limit(1)
      .executeTakeFirst();
    if (end) {
      sliceEnd = { receivedAt: Number(end.received_at), trackingId: end.tracking_id };
      q = q.where((eb) =>
        eb(
          eb.refTuple('received_at', 'tracking_id'),
          '>=',
          eb.tuple(sliceEnd!.receivedAt, sliceEnd!.trackingId),
        ),
      );
    }
  }
  if (filters.status !== undefined) q = q.where('status', '=', filters.status);
  if (filters.subBrand !== undefined) q = q.where('wallet', '=', filters.subBrand);
  if (filters.amountMin !== undefined) q = q.where('amount', '>=', filters.amountMin);
  if (filters.amountMax !== undefined) q = q.where('amount', '<=', filters.amountMax);
  const found = await q
    .orderBy('received_at', 'desc')
    .orderBy('tracking_id', 'desc')
    .limit(limit + 1)
    .execute();
  const rows = found.slice(0, limit).map((r) => ({
    trackingId: r.tracking_id,
    orderId: r.order_id,
    merchantId: r.merchant_id,
    serviceId: r.service_id,
    receivedAt: Number(r.received_at),
    amount: r.amount,
    refundedAmount: r.refunded_amount,
    status: r.status,
    subBrand: r.wallet,
    custCode: r.cust_code,
    itemId: r.item_id,
    itemName: r.item_name,
    paidAt: r.paid_at === null ? null : Number(r.paid_at),
  }));
  const last = rows[rows.length - 1];
  if (found.length > limit && last)
    return { rows, next: { receivedAt: last.receivedAt, trackingId: last.trackingId } };
  return { rows, next: sliceEnd };
}

// --- CSV ------------------------------------------------------------------------------------------

export type CsvEncoding = 'utf-8' | 'shift_jis';

/**
 * One CSV field (RFC 4180). Text that a spreadsheet would run as a formula (leading = + - @, tab,
 * CR) is prefixed with an apostrophe: item names and customer codes come from outside.
 */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(fields: Array<string | number>): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** The CSV as text chunks, one per page of rows: header first, then the whole result set. */
export async function* csvLines(db: Db, filters: PaymentFilters, t: AdminTexts): AsyncGenerator<string> {
  const c = t.csv;
  yield csvLine([
    c.trackingId,
    c.orderId,
    c.orderTime,
    c.amount,
    c.refunded,
    c.statusCode,
    c.status,
    c.subBrand,
    c.custCode,
    c.merchant,
    c.service,
    c.itemId,
    c.itemName,
    c.paidAt,
  ]);
  let cursor: Cursor | null = null;
  do {
    const page: { rows: PaymentListRow[]; next: Cursor | null } = await searchPayments(
      db,
      filters,
      cursor,
      CSV_PAGE_SIZE,
    );
    let chunk = '';
    for (const r of page.rows) {
      chunk += csvLine([
        r.trackingId,
        r.orderId,
        jstText(r.receivedAt),
        r.amount,
        r.refundedAmount,
        r.status,
        t.statusLabel(r.status),
        r.subBrand ?? '',
        r.custCode,
        r.merchantId,
        r.serviceId,
        r.itemId,
        r.itemName,
        jstText(r.paidAt),
      ]);
    }
    if (chunk !== '') yield chunk;
    cursor = page.next;
  } while (cursor);
}

/**
 * The CSV as a byte stream: UTF-8 with a BOM (so Excel reads it as UTF-8), or Shift_JIS
 * (Windows-31J, what Excel in Japan opens directly; a character it lacks becomes '?').
 */
export function csvStream(lines: AsyncIterable<string>, encoding: CsvEncoding): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    if (encoding === 'utf-8') yield Buffer.from([0xef, 0xbb, 0xbf]);
    for await (const text of lines) {
      yield encoding === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'cp932');
    }
  }
  return Readable.from(bytes());
}
