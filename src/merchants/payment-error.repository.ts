import type { Db } from '../db/database';

/**
 * The payment-error log (console screen 決済エラー確認): refused purchase requests
 * (merchant-link-type.md, Checks). Everything in a row came from an unauthenticated browser post,
 * so values are cut to their field length and control characters replaced before they are stored.
 */
export interface PaymentErrorInput {
  merchantId: string;
  serviceId: string;
  /** The 4-digit Link Type code (5101–5113). */
  code: string;
  field: string | null;
  orderId: string;
  userAgent: string;
  clientIp: string;
  /** Whether the request's hash verified before it was refused (else anyone could have sent it). */
  authenticated: boolean;
  at: Date;
}

export interface PaymentErrorRecord extends PaymentErrorInput {
  id: number;
}

const LENGTHS = {
  merchantId: 5,
  serviceId: 3,
  code: 4,
  field: 64,
  orderId: 38,
  userAgent: 512,
  // The longest textual IP address (IPv4-mapped IPv6).
  clientIp: 45,
} as const;

/** At most `max` characters (never half of a surrogate pair), control characters as U+FFFD. */
function clip(value: string, max: number): string {
  // PostgreSQL text cannot hold NUL, and no control character is worth keeping from a refused post.
  return Array.from(value.replace(/\p{Cc}/gu, '\uFFFD'))
    .slice(0, max)
    .join('');
}

export async function recordPaymentError(db: Db, row: PaymentErrorInput): Promise<void> {
  await db
    .insertInto('payment_errors')
    .values({
      merchant_id: clip(row.merchantId, LENGTHS.merchantId),
      service_id: clip(row.serviceId, LENGTHS.serviceId),
      code: clip(row.code, LENGTHS.code),
      field: clip(row.field ?? '', LENGTHS.field),
      order_id: clip(row.orderId, LENGTHS.orderId),
      user_agent: clip(row.userAgent, LENGTHS.userAgent),
      client_ip: clip(row.clientIp, LENGTHS.clientIp),
      authenticated: row.authenticated ? 1 : 0,
      at: row.at.getTime(),
    })
    .execute();
}

export interface PaymentErrorQuery {
  merchantId: string;
  serviceId?: string;
  /** Rows per page, 1–1000. */
  limit: number;
  /** The last row of the previous page: rows strictly older than it come next. */
  before?: Pick<PaymentErrorRecord, 'at' | 'id'>;
}

/** A merchant's refused requests, newest first. */
export async function listPaymentErrors(db: Db, query: PaymentErrorQuery): Promise<PaymentErrorRecord[]> {
  const limit = Math.min(Math.max(Math.trunc(query.limit), 1), 1000);
  let select = db.selectFrom('payment_errors').selectAll().where('merchant_id', '=', query.merchantId);
  if (query.serviceId !== undefined) select = select.where('service_id', '=', query.serviceId);
  const before = query.before;
  if (before !== undefined) {
    const at = before.at.getTime();
    select = select.where((eb) =>
      eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', before.id)])]),
    );
  }
  const rows = await select.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    merchantId: r.merchant_id,
    serviceId: r.service_id,
    code: r.code,
    field: r.field === '' ? null : r.field,
    orderId: r.order_id,
    userAgent: r.user_agent,
    clientIp: r.client_ip,
    authenticated: r.authenticated === 1,
    at: new Date(Number(r.at)),
  }));
}
