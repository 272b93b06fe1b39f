import type { Db } from '../db/database';
import { jstDate, startOfJstDay } from '../kernel/jst';
import { REFUND_ROLLUP, type RollupCell, rollupsByDay } from '../reporting/rollup.repository';

/**
 * The dashboard's figures (admin.md, Screens 1), all from rollups: one query over the days of
 * this month and of the last 30 days, however many payments there are.
 */
export const CHART_DAYS = 30;
const UNDELIVERED_SHOWN = 10;

export interface PeriodFigures {
  captured: { count: number; amount: number };
  refunds: { count: number; amount: number };
  /** Payments sent to Alipay+ (entered IN_PROGRESS). */
  sent: number;
  /** Payments that ended: captured, failed, expired, cancelled. */
  ended: number;
  expiredOrCancelled: number;
}

export interface ChartData {
  days: string[];
  /** Sub-brand → captured yen per day (aligned with `days`). */
  series: Map<string, number[]>;
}

export interface UndeliveredNotification {
  notificationId: number;
  trackingId: string;
  orderId: string;
  merchantId: string;
  result: string;
  attempts: number;
  finishedAt: number | null;
  lastAnswer: string | null;
}

export interface Dashboard {
  today: PeriodFigures;
  month: PeriodFigures;
  chart: ChartData;
  undelivered: { count: number; latest: UndeliveredNotification[] };
}

function figures(cells: RollupCell[]): PeriodFigures {
  const out: PeriodFigures = {
    captured: { count: 0, amount: 0 },
    refunds: { count: 0, amount: 0 },
    sent: 0,
    ended: 0,
    expiredOrCancelled: 0,
  };
  for (const c of cells) {
    switch (c.status) {
      case 'CAPTURED':
        out.captured.count += c.count;
        out.captured.amount += c.amount;
        out.ended += c.count;
        break;
      case REFUND_ROLLUP:
        out.refunds.count += c.count;
        out.refunds.amount += c.amount;
        break;
      case 'IN_PROGRESS':
        out.sent += c.count;
        break;
      case 'FAILED':
        out.ended += c.count;
        break;
      case 'EXPIRED':
      case 'CANCELED':
        out.ended += c.count;
        out.expiredOrCancelled += c.count;
        break;
    }
  }
  return out;
}

export async function loadDashboard(
  db: Db,
  scope: { merchantId: string | null },
  now: Date,
): Promise<Dashboard> {
  const today = jstDate(now);
  const monthStart = `${today.slice(0, 8)}01`;
  const chartStart = jstDate(startOfJstDay(now, -(CHART_DAYS - 1)));
  const from = monthStart < chartStart ? monthStart : chartStart;
  const cells = await rollupsByDay(db, scope, from, today);

  const days = Array.from({ length: CHART_DAYS }, (_, i) =>
    jstDate(startOfJstDay(now, i - (CHART_DAYS - 1))),
  );
  const index = new Map(days.map((d, i) => [d, i]));
  const series = new Map<string, number[]>();
  for (const c of cells) {
    const i = index.get(c.day);
    if (c.status !== 'CAPTURED' || i === undefined) continue;
    const row = series.get(c.subBrand) ?? new Array<number>(CHART_DAYS).fill(0);
    row[i] = (row[i] ?? 0) + c.amount;
    series.set(c.subBrand, row);
  }

  return {
    today: figures(cells.filter((c) => c.day === today)),
    month: figures(cells.filter((c) => c.day >= monthStart)),
    chart: { days, series },
    undelivered: await undeliveredNotifications(db, scope),
  };
}

async function undeliveredNotifications(
  db: Db,
  scope: { merchantId: string | null },
): Promise<Dashboard['undelivered']> {
  let base = db
    .selectFrom('notifications as n')
    .innerJoin('payments as p', 'p.tracking_id', 'n.tracking_id')
    .where('n.status', '=', 'UNDELIVERED');
  if (scope.merchantId !== null) base = base.where('p.merchant_id', '=', scope.merchantId);
  const counted = await base.select((eb) => eb.fn.countAll<string | number>().as('count')).executeTakeFirst();
  const rows = await base
    .select([
      'n.id',
      'n.tracking_id',
      'p.order_id',
      'p.merchant_id',
      'n.result',
      'n.attempts',
      'n.finished_at',
      'n.last_answer',
    ])
    .orderBy('n.id', 'desc')
    .limit(UNDELIVERED_SHOWN)
    .execute();
  return {
    count: Number(counted?.count ?? 0),
    latest: rows.map((r) => ({
      notificationId: Number(r.id),
      trackingId: r.tracking_id,
      orderId: r.order_id,
      merchantId: r.merchant_id,
      result: r.result,
      attempts: r.attempts,
      finishedAt: r.finished_at === null ? null : Number(r.finished_at),
      lastAnswer: r.last_answer,
    })),
  };
}
