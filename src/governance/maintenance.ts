import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { Db, MaintenanceWindowTable } from '../db/database';
import { enqueueJob } from '../jobs/job.repository';
import { formatJstDisplay } from '../kernel/jst';
import type { Bilingual } from './notice';
import { postNotice } from './notice.repository';

/**
 * Maintenance windows (governance.md, 5): scheduled by an operator with a start, an end, a scope
 * and a public text; announced at least 7 days ahead unless marked emergency (with a reason).
 * Notices go out when a window is scheduled, 24 hours before, at its start and at its end (jobs
 * written with the window, so a crash delays them but never loses them).
 */
export const MAINTENANCE_SCOPES = ['GATEWAY', 'ALIPAYPLUS', 'SERVICES'] as const;
export type MaintenanceScope = (typeof MAINTENANCE_SCOPES)[number];

export const MIN_NOTICE_MS = 7 * 24 * 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** Longer windows are surely a typing mistake (a year instead of a day). */
export const MAX_WINDOW_MS = 7 * DAY_MS;
const TEXT_MAX = 2000;

export const JOB_MAINTENANCE_NOTICE = 'governance.maintenance-notice';
export type MaintenanceStage = 'before' | 'start' | 'end';

export interface MaintenanceWindow {
  id: number;
  startsAt: Date;
  endsAt: Date;
  scope: MaintenanceScope;
  /** "merchantId/serviceId" when the scope is SERVICES. */
  services: string[];
  text: Bilingual;
  emergency: boolean;
  emergencyReason: string | null;
  announcedAt: Date;
  announcedBy: string;
  cancelledAt: Date | null;
}

export interface MaintenanceInput {
  startsAt: Date | null;
  endsAt: Date | null;
  scope: string;
  services: readonly string[];
  text: Bilingual;
  emergency: boolean;
  emergencyReason: string;
}

export type MaintenanceInputError =
  | 'START_INVALID'
  | 'END_INVALID'
  | 'START_IN_PAST'
  | 'END_BEFORE_START'
  | 'TOO_LONG'
  | 'NOTICE_TOO_SHORT'
  | 'REASON_REQUIRED'
  | 'SCOPE_INVALID'
  | 'SERVICES_REQUIRED'
  | 'SERVICE_UNKNOWN'
  | 'TEXT_REQUIRED'
  | 'TEXT_TOO_LONG';

/** Checks a window to schedule; the first problem found, or null. Writes nothing. */
export async function checkMaintenance(
  db: Db,
  input: MaintenanceInput,
  now: Date,
): Promise<{ error: MaintenanceInputError; detail?: string } | null> {
  const { startsAt, endsAt } = input;
  if (startsAt === null || Number.isNaN(startsAt.getTime())) return { error: 'START_INVALID' };
  if (endsAt === null || Number.isNaN(endsAt.getTime())) return { error: 'END_INVALID' };
  if (startsAt.getTime() < now.getTime()) return { error: 'START_IN_PAST' };
  if (endsAt.getTime() <= startsAt.getTime()) return { error: 'END_BEFORE_START' };
  if (endsAt.getTime() - startsAt.getTime() > MAX_WINDOW_MS) return { error: 'TOO_LONG' };
  if (input.emergency) {
    if (input.emergencyReason.trim() === '') return { error: 'REASON_REQUIRED' };
  } else if (startsAt.getTime() - now.getTime() < MIN_NOTICE_MS) {
    return { error: 'NOTICE_TOO_SHORT' };
  }
  if (!(MAINTENANCE_SCOPES as readonly string[]).includes(input.scope)) return { error: 'SCOPE_INVALID' };
  if (input.scope === 'SERVICES') {
    if (input.services.length === 0) return { error: 'SERVICES_REQUIRED' };
    const known = await knownServices(db, input.services);
    const unknown = input.services.find((s) => !known.has(s));
    if (unknown !== undefined) return { error: 'SERVICE_UNKNOWN', detail: unknown };
  }
  for (const text of [input.text.ja, input.text.en, input.emergencyReason]) {
    if (text.length > TEXT_MAX) return { error: 'TEXT_TOO_LONG' };
  }
  if (input.text.ja.trim() === '' || input.text.en.trim() === '') return { error: 'TEXT_REQUIRED' };
  return null;
}

async function knownServices(db: Db, services: readonly string[]): Promise<Set<string>> {
  const pairs = services.map((s) => s.split('/')).filter((p) => p.length === 2);
  if (pairs.length === 0) return new Set();
  const rows = await db
    .selectFrom('services')
    .select(['merchant_id', 'service_id'])
    .where((eb) =>
      eb.or(pairs.map(([m, s]) => eb.and([eb('merchant_id', '=', m ?? ''), eb('service_id', '=', s ?? '')]))),
    )
    .execute();
  return new Set(rows.map((r) => `${r.merchant_id}/${r.service_id}`));
}

/**
 * Schedules a checked window (call `checkMaintenance` first, in the same transaction): the window,
 * its "scheduled" notice and the jobs of the later notices. Returns the window.
 */
export async function scheduleMaintenance(
  db: Db,
  input: MaintenanceInput & { startsAt: Date; endsAt: Date; scope: MaintenanceScope },
  announcedBy: string,
  now: Date,
): Promise<MaintenanceWindow> {
  const services = input.scope === 'SERVICES' ? [...new Set(input.services)].sort() : [];
  const row = await db
    .insertInto('maintenance_windows')
    .values({
      starts_at: input.startsAt.getTime(),
      ends_at: input.endsAt.getTime(),
      scope: input.scope,
      services: JSON.stringify(services),
      text_ja: input.text.ja.trim(),
      text_en: input.text.en.trim(),
      emergency: input.emergency ? 1 : 0,
      emergency_reason: input.emergency ? input.emergencyReason.trim() : null,
      announced_at: now.getTime(),
      announced_by: announcedBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const window = toWindow(row);
  await postMaintenanceNotice(db, window, 'scheduled', now);
  const stages: Array<[MaintenanceStage, number]> = [
    ['before', window.startsAt.getTime() - DAY_MS],
    ['start', window.startsAt.getTime()],
    ['end', window.endsAt.getTime()],
  ];
  for (const [stage, at] of stages) {
    // An emergency window starting within 24 hours has no "24 hours before" notice.
    if (stage === 'before' && at < now.getTime()) continue;
    await enqueueJob(
      db,
      {
        kind: JOB_MAINTENANCE_NOTICE,
        payload: { windowId: window.id, stage },
        dueAt: new Date(at),
        dedupeKey: `maintenance:${window.id}:${stage}`,
      },
      now,
    );
  }
  return window;
}

/**
 * Cancels a window that has not ended: it stops applying at once and merchants are told. Returns
 * false when there is no such window, or it was cancelled or is over already.
 */
export async function cancelMaintenance(db: Db, id: number, now: Date): Promise<MaintenanceWindow | null> {
  const result = await db
    .updateTable('maintenance_windows')
    .set({ cancelled_at: now.getTime() })
    .where('id', '=', id)
    .where('cancelled_at', 'is', null)
    .where('ends_at', '>', now.getTime())
    .returningAll()
    .executeTakeFirst();
  if (result === undefined) return null;
  const window = toWindow(result);
  await postMaintenanceNotice(db, window, 'cancelled', now);
  return window;
}

/** The job handler's work: the notice of one stage, unless the window was cancelled. */
export async function postMaintenanceStage(
  db: Db,
  windowId: number,
  stage: MaintenanceStage,
  now: Date,
): Promise<void> {
  const window = await findMaintenance(db, windowId);
  if (window === undefined || window.cancelledAt !== null) return;
  await postMaintenanceNotice(db, window, stage, now);
}

export async function findMaintenance(db: Db, id: number): Promise<MaintenanceWindow | undefined> {
  const row = await db.selectFrom('maintenance_windows').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toWindow(row);
}

/** Windows not yet over and not cancelled, soonest first. */
export async function listComingMaintenance(db: Db, now: Date): Promise<MaintenanceWindow[]> {
  const rows = await db
    .selectFrom('maintenance_windows')
    .selectAll()
    .where('ends_at', '>', now.getTime())
    .where('cancelled_at', 'is', null)
    .orderBy('starts_at')
    .orderBy('id')
    .execute();
  return rows.map(toWindow);
}

/** Every window, newest first (the operator's list). */
export async function listMaintenance(db: Db, limit: number): Promise<MaintenanceWindow[]> {
  const rows = await db
    .selectFrom('maintenance_windows')
    .selectAll()
    .orderBy('starts_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toWindow);
}

/** Whether a window applies to a merchant's service (every scope but SERVICES applies to all). */
export function concerns(window: MaintenanceWindow, merchantId: string, serviceId?: string): boolean {
  if (window.scope !== 'SERVICES') return true;
  return window.services.some((s) =>
    serviceId === undefined ? s.startsWith(`${merchantId}/`) : s === `${merchantId}/${serviceId}`,
  );
}

const SCOPE_TEXT: Record<MaintenanceScope, Bilingual> = {
  GATEWAY: { ja: 'Kessai 決済ゲートウェイ全体', en: 'the whole Kessai gateway' },
  ALIPAYPLUS: { ja: 'Alipay+ による決済', en: 'Alipay+ payments' },
  SERVICES: { ja: '対象のサービス', en: 'the services concerned' },
};

type NoticeStage = MaintenanceStage | 'scheduled' | 'cancelled';

const STAGE_TITLE: Record<NoticeStage, Bilingual> = {
  scheduled: { ja: 'メンテナンスのお知らせ', en: 'Maintenance scheduled' },
  before: { ja: 'メンテナンス開始 24 時間前のお知らせ', en: 'Maintenance starts in 24 hours' },
  start: { ja: 'メンテナンスを開始しました', en: 'Maintenance has started' },
  end: { ja: 'メンテナンスを終了しました', en: 'Maintenance has ended' },
  cancelled: { ja: 'メンテナンスは中止になりました', en: 'Maintenance cancelled' },
};

async function postMaintenanceNotice(db: Db, window: MaintenanceWindow, stage: NoticeStage, now: Date) {
  const span = `${formatJstDisplay(window.startsAt).slice(0, 16)} – ${formatJstDisplay(window.endsAt).slice(0, 16)} JST`;
  const scope = SCOPE_TEXT[window.scope];
  const services = window.scope === 'SERVICES' ? ` (${window.services.join(', ')})` : '';
  const emergency = window.emergency
    ? {
        ja: `\n緊急メンテナンスのため、事前のご案内期間を短縮しています。理由: ${window.emergencyReason}`,
        en: `\nThis is emergency maintenance, announced at short notice. Reason: ${window.emergencyReason}`,
      }
    : { ja: '', en: '' };
  const effect =
    stage === 'end' || stage === 'cancelled'
      ? { ja: '通常どおりご利用いただけます。', en: 'Everything is available as usual.' }
      : {
          ja: '期間中は新しい購入要求（エラー 5112）と XML API（エラー 51091999）をお受けできません。',
          en: 'During the window new purchase requests (error 5112) and XML API calls (error 51091999) are refused.',
        };
  const merchants =
    window.scope === 'SERVICES' ? [...new Set(window.services.map((s) => s.split('/')[0] ?? ''))] : 'all';
  await postNotice(
    db,
    {
      kind: 'maintenance',
      severity: stage === 'start' ? 'warning' : 'info',
      merchants,
      title: {
        ja: `${STAGE_TITLE[stage].ja}（${span}）`,
        en: `${STAGE_TITLE[stage].en} (${span})`,
      },
      body: {
        ja: `対象: ${scope.ja}${services}\n期間: ${span}\n${window.text.ja}\n${effect.ja}${emergency.ja}`,
        en: `Scope: ${scope.en}${services}\nWindow: ${span}\n${window.text.en}\n${effect.en}${emergency.en}`,
      },
      links: [
        { type: 'console', path: '/admin/maintenance', label: { ja: 'メンテナンス', en: 'Maintenance' } },
      ],
      dedupeKey: `maintenance:${window.id}:${stage}`,
    },
    now,
  );
}

const servicesList = z.array(z.string());

export function toWindow(row: Selectable<MaintenanceWindowTable>): MaintenanceWindow {
  return {
    id: Number(row.id),
    startsAt: new Date(Number(row.starts_at)),
    endsAt: new Date(Number(row.ends_at)),
    scope: row.scope as MaintenanceScope,
    services: servicesList.parse(JSON.parse(row.services)),
    text: { ja: row.text_ja, en: row.text_en },
    emergency: Number(row.emergency) === 1,
    emergencyReason: row.emergency_reason,
    announcedAt: new Date(Number(row.announced_at)),
    announcedBy: row.announced_by,
    cancelledAt: row.cancelled_at === null ? null : new Date(Number(row.cancelled_at)),
  };
}
