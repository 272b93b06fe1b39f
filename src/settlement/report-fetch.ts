import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import SftpClient from 'ssh2-sftp-client';
import {
  addDays,
  clearingBatchId,
  clearingDay,
  clearingDayStart,
  deliveryTime,
  parseReport,
  type Report,
  ReportError,
  type ReportKind,
  reportDirectory,
} from '../alipayplus/settlement-reports';
import type { Logger } from '../app/logger';
import type { Database, Db } from '../db/database';
import type { JobHandler } from '../jobs/job';
import { enqueueJob } from '../jobs/job.repository';
import { CAPTURED_STATUSES } from '../payments/payment-states';
import { recordDiscrepancy } from './discrepancy.repository';
import { isCalendarDate } from './fee.repository';
import { postSettlement, reconcileFeeItems, reconcileTransactionItems } from './report-reconcile';

/**
 * Fetches Alipay+'s reports of one delivery date over SFTP (settlement.md, What the gateway does
 * with them): the clearing files (the day before's transactions and fees) and the settlement
 * files of that date. Every file is read whole and parsed strictly before anything is stored; all
 * of the date's new files are then stored and reconciled in one transaction, so a bad file, a
 * dropped connection or a refused login leaves nothing half-stored.
 */
export interface ReportSource {
  host: string;
  port: number;
  user: string;
  password: string;
  participantId: string;
  /** The host key the server must present (`SHA256:<base64>`, as OpenSSH prints it). */
  hostKeyFingerprint: string;
  /** Alipay+'s contracted fee on each payment (basis points, floored to the yen per payment). */
  feeBps: number;
}

export type FetchFailure =
  | 'BAD_DATE'
  | 'SFTP_UNREACHABLE'
  | 'SFTP_HOST_KEY_MISMATCH'
  | 'SFTP_LOGIN_REFUSED'
  | 'BAD_FILE'
  | 'FILE_CHANGED';

export class ReportFetchError extends Error {
  constructor(
    readonly reason: FetchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ReportFetchError';
  }
}

export interface FetchResult {
  date: string;
  /** Files taken in by this fetch. */
  stored: string[];
  /** Files already stored, unchanged. */
  unchanged: string[];
  /** Clearing days with transactions of ours whose files had not arrived. */
  missing: string[];
}

interface Downloaded {
  directory: string;
  name: string;
  bytes: Buffer;
}

const CONNECT_TIMEOUT_MS = 10_000;

function sftpFailure(error: unknown, source: ReportSource, hostKeyRefused: boolean): ReportFetchError {
  const message = error instanceof Error ? error.message : String(error);
  const where = `${source.user}@${source.host}:${source.port}`;
  if (hostKeyRefused) {
    return new ReportFetchError(
      'SFTP_HOST_KEY_MISMATCH',
      `the report SFTP server ${where} presented a host key other than ${source.hostKeyFingerprint}: not connected`,
    );
  }
  if (/authentication/i.test(message)) {
    return new ReportFetchError('SFTP_LOGIN_REFUSED', `the report SFTP server ${where} refused the login`);
  }
  return new ReportFetchError('SFTP_UNREACHABLE', `cannot fetch reports from ${where}: ${message}`);
}

async function download(source: ReportSource, date: string): Promise<Downloaded[]> {
  // Without listeners of our own the client prints every connection's end to the console.
  const quiet = () => undefined;
  const sftp = new SftpClient('reports', { error: quiet, end: quiet, close: quiet });
  let hostKeyRefused = false;
  try {
    await sftp.connect({
      host: source.host,
      port: source.port,
      username: source.user,
      password: source.password,
      readyTimeout: CONNECT_TIMEOUT_MS,
      retries: 0,
      // The password goes only to the server whose key we know: anyone else is refused first.
      hostVerifier: (key: Buffer) => {
        const presented = `SHA256:${sha256(key, 'base64').replace(/=+$/, '')}`;
        hostKeyRefused = !sameText(presented, source.hostKeyFingerprint);
        return !hostKeyRefused;
      },
    });
  } catch (error) {
    throw sftpFailure(error, source, hostKeyRefused);
  }
  try {
    const files: Downloaded[] = [];
    for (const kind of ['transactionItems', 'settlement'] as const satisfies readonly ReportKind[]) {
      const directory = reportDirectory(kind, source.participantId, date);
      if ((await sftp.exists(directory)) !== 'd') continue;
      const listing = await sftp.list(directory);
      for (const entry of listing.sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.type !== '-' || !entry.name.endsWith('.csv')) continue;
        const bytes = (await sftp.get(`${directory}/${entry.name}`)) as Buffer;
        files.push({ directory, name: entry.name, bytes });
      }
    }
    return files;
  } catch (error) {
    throw sftpFailure(error, source, false);
  } finally {
    await sftp.end().catch(() => undefined);
  }
}

function sha256(bytes: Buffer, encoding: 'hex' | 'base64' = 'hex'): string {
  return createHash('sha256').update(bytes).digest(encoding);
}

function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The kinds in the order they are taken in: a settlement needs its batches' lines first. */
const ORDER: Record<ReportKind, number> = { transactionItems: 0, feeItems: 1, settlement: 2 };

export async function fetchReports(
  db: Kysely<Database>,
  source: ReportSource,
  date: string,
  now: Date,
): Promise<FetchResult> {
  if (!isCalendarDate(date)) {
    throw new ReportFetchError('BAD_DATE', `"${date}" is not a date (YYYY-MM-DD)`);
  }
  const files = await download(source, date);
  let parsed: Array<Downloaded & { report: Report; sha256: string }>;
  try {
    parsed = files.map((f) => ({
      ...f,
      report: parseReport(f.name, f.bytes, new Set([source.participantId])),
      sha256: sha256(f.bytes),
    }));
  } catch (error) {
    if (error instanceof ReportError) {
      throw new ReportFetchError('BAD_FILE', `report refused, nothing stored: ${error.message}`);
    }
    throw error;
  }
  parsed.sort((a, b) => ORDER[a.report.kind] - ORDER[b.report.kind] || a.name.localeCompare(b.name));

  const known = new Map(
    (
      await db
        .selectFrom('settlement_report_files')
        .select(['file_name', 'sha256', 'file_id'])
        .where('file_name', 'in', parsed.map((f) => f.name).concat(['']))
        .execute()
    ).map((r) => [r.file_name, r]),
  );
  const changed = parsed.filter((f) => known.has(f.name) && known.get(f.name)!.sha256 !== f.sha256);
  if (changed.length > 0) {
    for (const f of changed) {
      await recordDiscrepancy(
        db,
        {
          kind: 'FILE_CHANGED',
          subject: `${f.name}:${f.sha256}`,
          detail: `${f.directory}/${f.name} was fetched again with other content (sha256 ${f.sha256}); the stored file is kept`,
          fileId: Number(known.get(f.name)!.file_id),
        },
        now,
      );
    }
    throw new ReportFetchError(
      'FILE_CHANGED',
      `${changed.map((f) => f.name).join(', ')}: already stored with other content; nothing of ${date} stored`,
    );
  }

  const fresh = parsed.filter((f) => !known.has(f.name));
  const { stored, missing } = await db.transaction().execute(async (tx) => {
    const taken: string[] = [];
    for (const f of fresh) if (await store(tx, f, source.feeBps, now)) taken.push(f.name);
    return { stored: taken, missing: await missingClearingDays(tx, source, date, parsed, now) };
  });
  return {
    date,
    stored,
    unchanged: parsed.map((f) => f.name).filter((name) => !stored.includes(name)),
    missing,
  };
}

/** Stores and reconciles one file; false when a concurrent fetch stored it first. */
async function store(
  db: Db,
  f: Downloaded & { report: Report; sha256: string },
  feeBps: number,
  now: Date,
): Promise<boolean> {
  const { report } = f;
  // A concurrent fetch (the daily job and the command) waits here for the other's commit on
  // PostgreSQL, then finds the name taken.
  const inserted = await db
    .insertInto('settlement_report_files')
    .values({
      file_name: f.name,
      kind: report.kind,
      directory: f.directory,
      batch_id: report.name.batchId,
      sha256: f.sha256,
      size: f.bytes.length,
      content: f.bytes.toString('utf8'),
      fetched_at: now.getTime(),
    })
    .onConflict((oc) => oc.column('file_name').doNothing())
    .returning('file_id')
    .executeTakeFirst();
  if (!inserted) return false;
  const fileId = Number(inserted.file_id);
  if (report.kind === 'transactionItems')
    await reconcileTransactionItems(db, fileId, f.name, report, feeBps, now);
  if (report.kind === 'feeItems') await reconcileFeeItems(db, fileId, f.name, report, feeBps, now);
  if (report.kind === 'settlement') await postSettlement(db, fileId, report, feeBps, now);
  return true;
}

/**
 * The clearing day delivered on `date` is the day before. Once its delivery time has passed, a day
 * with payments or refunds of ours and no transaction items (now or from an earlier fetch) is a
 * missing file; a later fetch still takes the file in when it arrives.
 */
async function missingClearingDays(
  db: Db,
  source: ReportSource,
  date: string,
  files: ReadonlyArray<{ report: Report }>,
  now: Date,
): Promise<string[]> {
  const day = addDays(date, -1);
  if (deliveryTime(date) > now.getTime() || day >= clearingDay(now.getTime())) return [];
  const batchId = clearingBatchId(day);
  if (files.some((f) => f.report.kind === 'transactionItems' && f.report.name.batchId === batchId)) return [];
  const stored = await db
    .selectFrom('settlement_report_files')
    .select('file_id')
    .where('kind', '=', 'transactionItems')
    .where('batch_id', '=', batchId)
    .executeTakeFirst();
  if (stored) return [];
  const from = clearingDayStart(day);
  const to = clearingDayStart(date);
  const payments = await db
    .selectFrom('payments')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('status', 'in', CAPTURED_STATUSES)
    .where('paid_at', '>=', from)
    .where('paid_at', '<', to)
    .executeTakeFirstOrThrow();
  const refunds = await db
    .selectFrom('refunds')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('status', '=', 'SUCCEEDED')
    .where('completed_at', '>=', from)
    .where('completed_at', '<', to)
    .executeTakeFirstOrThrow();
  if (Number(payments.n) + Number(refunds.n) === 0) return [];
  await recordDiscrepancy(
    db,
    {
      kind: 'FILE_MISSING',
      subject: `clearing:${batchId}`,
      detail:
        `no transaction items for clearing day ${day} (batch ${batchId}) in ` +
        `${reportDirectory('transactionItems', source.participantId, date)} although we have ` +
        `${Number(payments.n)} payment(s) and ${Number(refunds.n)} refund(s) that day`,
    },
    now,
  );
  return [day];
}

export const SETTLEMENT_FETCH_JOB = 'settlement.fetch';
/** Files delivered up to this many days late are still taken in by the daily run. */
const LOOK_BACK_DAYS = 3;
/** The daily run starts half an hour after the 08:00 UTC+8 delivery. */
const RUN_AFTER_DELIVERY_MS = 30 * 60_000;

/** Schedules the daily fetch of a delivery date (once: the job's dedupe key is the date). */
export async function scheduleSettlementFetch(db: Db, date: string, now: Date): Promise<void> {
  await enqueueJob(
    db,
    {
      kind: SETTLEMENT_FETCH_JOB,
      payload: { date },
      dueAt: new Date(deliveryTime(date) + RUN_AFTER_DELIVERY_MS),
      dedupeKey: `${SETTLEMENT_FETCH_JOB}:${date}`,
    },
    now,
  );
}

/**
 * The daily `settlement.fetch` job: schedules the next day's run first (so a failing date never
 * stops the cycle), then fetches its date and the few before it. A failure throws, and the worker
 * retries it with back-off.
 */
export function settlementFetchJob(deps: {
  db: Kysely<Database>;
  source: () => ReportSource | undefined;
  logger: Logger;
}): JobHandler {
  return async (job, ctx) => {
    const { date } = job.payload as { date: string };
    await scheduleSettlementFetch(deps.db, addDays(date, 1), ctx.now);
    const source = deps.source();
    // In the demo the sandbox's SFTP server may not listen yet.
    if (!source)
      return { type: 'retry', at: new Date(ctx.now.getTime() + 60_000), note: 'no report SFTP server yet' };
    for (let back = LOOK_BACK_DAYS; back >= 0; back--) {
      const result = await fetchReports(deps.db, source, addDays(date, -back), ctx.now);
      if (result.stored.length || result.missing.length) {
        deps.logger.info({ ...result }, 'settlement reports fetched');
      }
    }
    return { type: 'done' };
  };
}
