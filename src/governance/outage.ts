import type { Selectable } from 'kysely';
import type { Db, OutageIncidentTable } from '../db/database';
import { formatJstDisplay } from '../kernel/jst';
import type { Bilingual } from './notice';
import { postNotice } from './notice.repository';

/**
 * Outage incidents at Alipay+ (governance.md, 6), kept in the database so that every gateway and
 * worker process shares them: at most one is open at a time (the unique `open_slot`), whichever
 * process's breaker opens first opens it, and any process's breaker being open keeps it open.
 */
export const HEALTHY_FOR_MS = 5 * 60_000;

export interface OutageIncident {
  id: number;
  status: 'OPEN' | 'RESOLVED';
  openedAt: Date;
  openedDetail: string;
  cause: Bilingual | null;
  causeAt: Date | null;
  causeBy: string | null;
  unhealthyAt: Date;
  resolvedAt: Date | null;
}

const OPEN = 'open';

/**
 * Alipay+ looks unhealthy from this process (its breaker is open): opens an incident with its
 * "investigating" notice, or, when one is open, records that it is still unhealthy now.
 * Returns the incident id when this call opened it.
 */
export async function reportUnhealthy(db: Db, detail: string, now: Date): Promise<number | null> {
  const bumped = await db
    .updateTable('outage_incidents')
    .set({ unhealthy_at: now.getTime() })
    .where('open_slot', '=', OPEN)
    .where('unhealthy_at', '<', now.getTime())
    .executeTakeFirst();
  if (bumped.numUpdatedRows > 0n) return null;
  const inserted = await db
    .insertInto('outage_incidents')
    .values({
      open_slot: OPEN,
      status: 'OPEN',
      opened_at: now.getTime(),
      opened_detail: detail.slice(0, 500),
      unhealthy_at: now.getTime(),
    })
    .onConflict((oc) => oc.column('open_slot').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined) return null;
  const id = Number(inserted.id);
  const at = formatJstDisplay(now).slice(0, 16);
  await postNotice(
    db,
    {
      kind: 'outage',
      severity: 'critical',
      merchants: 'all',
      title: {
        ja: `Alipay+ 障害のお知らせ（調査中・${at} JST〜）`,
        en: `Alipay+ disturbance (investigating, since ${at} JST)`,
      },
      body: {
        ja: `${at}（JST）から Alipay+ への呼び出しの多くが失敗しています。原因を調査しています。購入は引き続きお受けしていますが、決済が完了しない場合があります。`,
        en: `Since ${at} (JST) many calls to Alipay+ fail. We are investigating. Purchases are still taken, but some may not complete.`,
      },
      links: [{ type: 'console', path: '/admin/outages', label: { ja: '障害', en: 'Outages' } }],
      dedupeKey: `outage:${id}:opened`,
    },
    now,
  );
  return id;
}

/**
 * Alipay+ answers well from this process: resolves the open incident once no process has seen
 * Alipay+ unhealthy for five minutes, with the final notice. Returns the resolved incident's id.
 */
export async function reportHealthy(db: Db, now: Date): Promise<number | null> {
  const resolved = await db
    .updateTable('outage_incidents')
    .set({ open_slot: null, status: 'RESOLVED', resolved_at: now.getTime() })
    .where('open_slot', '=', OPEN)
    .where('unhealthy_at', '<=', now.getTime() - HEALTHY_FOR_MS)
    .returningAll()
    .executeTakeFirst();
  if (resolved === undefined) return null;
  const incident = toIncident(resolved);
  const span = `${formatJstDisplay(incident.openedAt).slice(0, 16)} – ${formatJstDisplay(now).slice(0, 16)} JST`;
  await postNotice(
    db,
    {
      kind: 'outage',
      severity: 'info',
      merchants: 'all',
      title: { ja: `Alipay+ 障害は復旧しました（${span}）`, en: `Alipay+ disturbance resolved (${span})` },
      body: {
        ja: `Alipay+ への呼び出しは 5 分以上正常です。${incident.cause ? `原因: ${incident.cause.ja}` : ''}`,
        en: `Calls to Alipay+ have been healthy for five minutes.${incident.cause ? ` Cause: ${incident.cause.en}` : ''}`,
      },
      links: [{ type: 'console', path: '/admin/outages', label: { ja: '障害', en: 'Outages' } }],
      dedupeKey: `outage:${incident.id}:resolved`,
    },
    now,
  );
  return incident.id;
}

/**
 * The operator records the identified cause of an open incident (the second notice). Returns
 * false when the incident is not open (resolved, or unknown); nothing is written then.
 */
export async function addOutageCause(
  db: Db,
  id: number,
  cause: Bilingual,
  by: string,
  now: Date,
): Promise<boolean> {
  const updated = await db
    .updateTable('outage_incidents')
    .set({ cause_ja: cause.ja, cause_en: cause.en, cause_at: now.getTime(), cause_by: by })
    .where('id', '=', id)
    .where('open_slot', '=', OPEN)
    .executeTakeFirst();
  if (updated.numUpdatedRows === 0n) return false;
  await postNotice(
    db,
    {
      kind: 'outage',
      severity: 'warning',
      merchants: 'all',
      title: { ja: 'Alipay+ 障害の原因が判明しました', en: 'Cause of the Alipay+ disturbance identified' },
      body: {
        ja: `原因: ${cause.ja}\n復旧までお待ちください。`,
        en: `Cause: ${cause.en}\nPlease wait for recovery.`,
      },
      links: [{ type: 'console', path: '/admin/outages', label: { ja: '障害', en: 'Outages' } }],
      dedupeKey: `outage:${id}:cause:${now.getTime()}`,
    },
    now,
  );
  return true;
}

export async function openOutage(db: Db): Promise<OutageIncident | null> {
  const row = await db
    .selectFrom('outage_incidents')
    .selectAll()
    .where('open_slot', '=', OPEN)
    .executeTakeFirst();
  return row === undefined ? null : toIncident(row);
}

export async function listOutages(db: Db, limit: number): Promise<OutageIncident[]> {
  const rows = await db
    .selectFrom('outage_incidents')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toIncident);
}

function toIncident(row: Selectable<OutageIncidentTable>): OutageIncident {
  const at = (v: number | null) => (v === null ? null : new Date(Number(v)));
  return {
    id: Number(row.id),
    status: row.status === 'OPEN' ? 'OPEN' : 'RESOLVED',
    openedAt: new Date(Number(row.opened_at)),
    openedDetail: row.opened_detail,
    cause: row.cause_ja !== null && row.cause_en !== null ? { ja: row.cause_ja, en: row.cause_en } : null,
    causeAt: at(row.cause_at),
    causeBy: row.cause_by,
    unhealthyAt: new Date(Number(row.unhealthy_at)),
    resolvedAt: at(row.resolved_at),
  };
}
