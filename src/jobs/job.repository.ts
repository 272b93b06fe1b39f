import { sql } from 'kysely';
import type { DialectName } from '../db/connection';
import type { Db, JobRow } from '../db/database';
import type { ClaimedJob, JobOutcome, JobStatus, JobView, NewJob } from './job';

const MAX_ERROR_LENGTH = 2000;
const MAX_LIST_LIMIT = 1000;

/**
 * Writes a job with the connection or inside the caller's open transaction, so the job commits or
 * rolls back with the state change that needs it (ARCHITECTURE.md, outbox). Returns false when a
 * job with the same dedupe key already exists (nothing is written then).
 */
export async function enqueueJob(db: Db, job: NewJob, now: Date): Promise<boolean> {
  if (job.kind.length === 0) throw new Error('a job needs a kind');
  const dueAt = job.dueAt.getTime();
  if (!Number.isFinite(dueAt)) throw new Error(`job ${job.kind}: dueAt is not a valid date`);
  const row = await db
    .insertInto('jobs')
    .values({
      kind: job.kind,
      dedupe_key: job.dedupeKey ?? null,
      group_key: job.group ?? null,
      payload: JSON.stringify(job.payload ?? null),
      status: 'PENDING',
      due_at: dueAt,
      attempts: 0,
      created_at: now.getTime(),
      updated_at: now.getTime(),
    })
    .$if(job.dedupeKey !== undefined, (qb) => qb.onConflict((oc) => oc.column('dedupe_key').doNothing()))
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** The kinds of one worker lane: listed, or every kind not listed elsewhere. */
export type LaneKinds = { in: readonly string[] } | { notIn: readonly string[] };

/**
 * Takes up to `limit` due jobs of a lane's kinds for `workerId` until `now + leaseMs`, in one
 * statement whose `status = 'PENDING'` condition decides who gets a row (RETURNING lists exactly
 * what this worker got). Jobs of a group are taken only while fewer than `perGroup` of that group
 * run, counting the ones taken now, so one merchant's slow endpoint holds at most `perGroup` slots.
 * SQLite runs the statement under its single write lock, so two connections to one file never take
 * the same row. On PostgreSQL a row another claim took meanwhile is re-checked against `status =
 * 'PENDING'` on its latest version when its lock is released, so it drops out; two claims at once
 * may each count the group's running jobs before the other's commit, so a group can briefly exceed
 * its limit by what one claim takes.
 */
export async function claimDueJobs(
  db: Db,
  dialect: DialectName,
  claim: {
    workerId: string;
    limit: number;
    now: Date;
    leaseMs: number;
    /** Default: every kind. */
    kinds?: LaneKinds;
    /** Default: no limit. */
    perGroup?: number;
  },
): Promise<ClaimedJob[]> {
  const now = claim.now.getTime();
  const { kinds } = claim;
  const ranked = db
    .selectFrom('jobs')
    .select([
      'id',
      'due_at',
      'group_key',
      sql<number>`row_number() over (partition by group_key order by due_at, id)`.as('rank'),
    ])
    .where('status', '=', 'PENDING')
    .where('due_at', '<=', now)
    .$if(kinds !== undefined, (qb) =>
      qb.where((eb) =>
        kinds === undefined || ('notIn' in kinds && kinds.notIn.length === 0)
          ? eb.and([])
          : 'in' in kinds
            ? eb('kind', 'in', kinds.in)
            : eb('kind', 'not in', kinds.notIn),
      ),
    );
  const running = db
    .selectFrom('jobs')
    .select(['group_key', (eb) => eb.fn.countAll<number>().as('running')])
    .where('status', '=', 'RUNNING')
    .where('group_key', 'is not', null)
    .groupBy('group_key');
  const due = db
    .selectFrom(ranked.as('c'))
    .leftJoin(running.as('r'), 'r.group_key', 'c.group_key')
    .select('c.id')
    .where((eb) =>
      eb.or([
        eb('c.group_key', 'is', null),
        eb(sql<number>`c.rank + coalesce(r.running, 0)`, '<=', claim.perGroup ?? claim.limit),
      ]),
    )
    .orderBy('c.due_at')
    .orderBy('c.id')
    .limit(claim.limit);
  const rows = await db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'RUNNING',
      locked_by: claim.workerId,
      locked_until: now + claim.leaseMs,
      attempts: eb('attempts', '+', 1),
      updated_at: now,
    }))
    .where('id', 'in', due)
    .$if(dialect === 'postgres', (qb) => qb.where('status', '=', 'PENDING'))
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.due_at - b.due_at || a.id - b.id).map(toClaimedJob);
}

/**
 * Deletes the jobs with these dedupe keys that are waiting to run (a running one finishes and is
 * recorded as usual). Inside the caller's transaction: the change that makes them pointless.
 */
export async function deletePendingJobs(db: Db, dedupeKeys: readonly string[]): Promise<void> {
  await db.deleteFrom('jobs').where('dedupe_key', 'in', dedupeKeys).where('status', '=', 'PENDING').execute();
}

/** The kinds of the jobs due at `now`, for a worker to claim only the lanes they are in. */
export async function dueKinds(db: Db, now: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('kind')
    .distinct()
    .where('status', '=', 'PENDING')
    .where('due_at', '<=', now.getTime())
    .execute();
  return rows.map((row) => row.kind);
}

/**
 * Records a run's outcome, only while `workerId` still holds the lease: a worker whose lease ran
 * out (and whose job another worker took over) cannot overwrite the new owner's result. Returns
 * whether the outcome was recorded.
 */
export async function finishJob(
  db: Db,
  finish: { id: number; workerId: string; outcome: JobOutcome; now: Date },
): Promise<boolean> {
  const { outcome } = finish;
  const released = { locked_by: null, locked_until: null, updated_at: finish.now.getTime() };
  const changes =
    outcome.type === 'done'
      ? { ...released, status: 'DONE' }
      : outcome.type === 'retry'
        ? {
            ...released,
            status: 'PENDING',
            due_at: outcome.at.getTime(),
            last_error: outcome.note === undefined ? null : bounded(outcome.note),
          }
        : { ...released, status: 'DEAD', last_error: bounded(outcome.error) };
  const result = await db
    .updateTable('jobs')
    .set(changes)
    .where('id', '=', finish.id)
    .where('locked_by', '=', finish.workerId)
    .where('status', '=', 'RUNNING')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Puts back the jobs of workers that stopped (crashed, or hung) without finishing before their
 * lease ran out. Their original due time is kept, so they run next. Returns how many.
 */
export async function releaseExpiredLeases(db: Db, now: Date): Promise<number> {
  const result = await db
    .updateTable('jobs')
    .set({
      status: 'PENDING',
      last_error: sql<string>`'lease of ' || locked_by || ' ran out before it finished'`,
      locked_by: null,
      locked_until: null,
      updated_at: now.getTime(),
    })
    .where('status', '=', 'RUNNING')
    .where('locked_until', '<=', now.getTime())
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface JobFilter {
  status?: JobStatus | readonly JobStatus[];
  kind?: string;
  dedupeKey?: string;
  /** Keyset paging: only jobs with a smaller id (the list is newest first). */
  beforeId?: number;
  /** Default 100, at most 1000. */
  limit?: number;
}

/** Jobs, newest first, for the console. */
export async function listJobs(db: Db, filter: JobFilter = {}): Promise<JobView[]> {
  const { status, kind, dedupeKey, beforeId } = filter;
  const statuses = status === undefined ? undefined : typeof status === 'string' ? [status] : status;
  if (statuses?.length === 0) return [];
  const rows = await db
    .selectFrom('jobs')
    .selectAll()
    .$if(statuses !== undefined, (qb) => qb.where('status', 'in', statuses ?? []))
    .$if(kind !== undefined, (qb) => qb.where('kind', '=', kind ?? ''))
    .$if(dedupeKey !== undefined, (qb) => qb.where('dedupe_key', '=', dedupeKey ?? ''))
    .$if(beforeId !== undefined, (qb) => qb.where('id', '<', beforeId ?? 0))
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 100, 1), MAX_LIST_LIMIT))
    .execute();
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    dedupeKey: row.dedupe_key,
    payload: JSON.parse(row.payload),
    status: row.status as JobStatus,
    dueAt: new Date(row.due_at),
    attempts: row.attempts,
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until === null ? null : new Date(row.locked_until),
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }));
}

function toClaimedJob(row: JobRow): ClaimedJob {
  return {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload),
    dedupeKey: row.dedupe_key,
    group: row.group_key,
    dueAt: new Date(row.due_at),
    attempt: row.attempts,
    createdAt: new Date(row.created_at),
  };
}

function bounded(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

/**
 * Deletes up to `limit` jobs that finished (DONE) before `finishedBefore`, oldest first; their work
 * is over and their history lives with the payment. DEAD jobs stay for operators. Returns how many.
 */
export async function deleteFinishedJobs(
  db: Db,
  options: { finishedBefore: Date; limit: number },
): Promise<number> {
  const batch = db
    .selectFrom('jobs')
    .select('id')
    .where('status', '=', 'DONE')
    .where('updated_at', '<', options.finishedBefore.getTime())
    .orderBy('id')
    .limit(options.limit);
  const result = await db.deleteFrom('jobs').where('id', 'in', batch).executeTakeFirst();
  return Number(result.numDeletedRows);
}
