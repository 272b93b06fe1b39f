import type { Db } from '../db/database';

/**
 * The audit log (admin.md): every change made through the console — refunds, re-sends, settings,
 * users, sign-ins — with who, what, when and from where. Rows are only ever inserted. Details
 * never hold secrets (a revealed or generated key is recorded as "revealed", not its value).
 */
export interface AuditEntry {
  at: Date;
  /** Null when nobody is signed in (a failed sign-in). */
  actorUserId: string | null;
  actorEmail: string;
  /** The merchant the change concerns (its admins see the row); null for gateway-wide rows. */
  merchantId: string | null;
  action: string;
  target: string;
  detail?: Record<string, unknown>;
  ip: string;
}

export interface AuditRecord extends Omit<AuditEntry, 'detail'> {
  id: number;
  detail: Record<string, unknown>;
}

export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('admin_audit')
    .values({
      at: entry.at.getTime(),
      actor_user_id: entry.actorUserId,
      actor_email: entry.actorEmail,
      merchant_id: entry.merchantId,
      action: entry.action,
      target: entry.target,
      detail: JSON.stringify(entry.detail ?? {}),
      ip: entry.ip,
    })
    .execute();
}

/** Newest first; `before` is the id of the last row of the previous page. */
export async function listAudit(
  db: Db,
  query: { merchantId: string | null; before?: number; limit: number },
): Promise<AuditRecord[]> {
  let q = db.selectFrom('admin_audit').selectAll();
  if (query.merchantId !== null) q = q.where('merchant_id', '=', query.merchantId);
  if (query.before !== undefined) q = q.where('id', '<', query.before);
  const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: new Date(Number(r.at)),
    actorUserId: r.actor_user_id,
    actorEmail: r.actor_email,
    merchantId: r.merchant_id,
    action: r.action,
    target: r.target,
    detail: parseDetail(r.detail),
    ip: r.ip,
  }));
}

function parseDetail(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
