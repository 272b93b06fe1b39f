import { sql, type Updateable } from 'kysely';
import { type Arg, CompiledQueries, compiledQuery } from '../db/compiled-queries';
import type { DialectName } from '../db/connection';
import type { Db, JobRow, JobTable } from '../db/database';
import type { ClaimedJob, JobOutcome, JobStatus, JobView, NewJob } from './job';

const MAX_ERROR_LENGTH = 2000;
const MAX_LIST_LIMIT = 1000;

/** The worker's and the payment flow's queries whose shape varies (a lane's kinds, a list's length). */
const queries = new CompiledQueries();

/** A job's insert; with a dedupe key it writes nothing when a job with that key exists. */
function jobInsert(deduplicated: boolean) {
  return compiledQuery((db: Db, arg) => {
    const insert = db.insertInto('jobs').values({
      kind: arg(0),
      dedupe_key: arg(1),
      group_key: arg(2),
      payload: arg(3),
      status: 'PENDING',
      due_at: arg(4),
      attempts: 0,
      created_at: arg(5),
      updated_at: arg(5),
    });
    return (deduplicated ? insert.onConflict((oc) => oc.column('dedupe_key').doNothing()) : insert).returning(
      'id',
    );
  });
}
const insertJob = jobInsert(false);
const insertJobOnce = jobInsert(true);

/**
 * Writes a job with the connection or inside the caller's open transaction, so the job commits or
 * rolls back with the state change that needs it (ARCHITECTURE.md, outbox). Returns false when a
 * job with the same dedupe key already exists (nothing is written then).
 */
export async function enqueueJob(db: Db, job: NewJob, now: Date): Promise<boolean> {
  if (job.kind.length === 0) throw new Error('a job needs a kind');
  const dueAt = job.dueAt.getTime();
  if (!Number.isFinite(dueAt)) throw new Error(`job ${job.kind}: dueAt is not a valid date`);
  const insert = job.dedupeKey === undefined ? insertJob : insertJobOnce;
  const { rows } = await insert(
    db,
    job.kind,
    job.dedupeKey ?? null,
    job.group ?? null,
    JSON.stringify(job.payload ?? null),
    dueAt,
    now.getTime(),
  );
  return rows[0] !== undefined;
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
  // The lane's kinds shape the statement (which list, how long); its values are arguments from
  // the sixth on.
  const kindList = kinds === undefined ? [] : 'in' in kinds ? kinds.in : kinds.notIn;
  const lane = kinds === undefined ? 'all' : 'in' in kinds ? 'in' : 'notIn';
  const { rows } = await queries.run(
    db,
    `claimDueJobs ${dialect} ${lane} ${kindList.length}`,
    (arg) =>
      claimStatement(
        db,
        dialect,
        arg,
        lane,
        kindList.map((_, i) => arg(5 + i)),
      ),
    [now, claim.workerId, now + claim.leaseMs, claim.perGroup ?? claim.limit, claim.limit, ...kindList],
  );
  return rows.sort((a, b) => a.due_at - b.due_at || a.id - b.id).map(toClaimedJob);
}

/**
 * `claimDueJobs`' statement: `arg(0)` is now, `arg(1)` the worker, `arg(2)` the lease's end,
 * `arg(3)` the per-group limit and `arg(4)` the claim's.
 */
function claimStatement(
  db: Db,
  dialect: DialectName,
  arg: Arg,
  lane: 'all' | 'in' | 'notIn',
  kindList: readonly string[],
) {
  const ranked = db
    .selectFrom('jobs')
    .select([
      'id',
      'due_at',
      'group_key',
      sql<number>`row_number() over (partition by group_key order by due_at, id)`.as('rank'),
    ])
    .where('status', '=', 'PENDING')
    .where('due_at', '<=', arg(0))
    .$if(lane !== 'all', (qb) =>
      qb.where((eb) =>
        lane === 'notIn' && kindList.length === 0
          ? eb.and([])
          : lane === 'in'
            ? eb('kind', 'in', kindList)
            : eb('kind', 'not in', kindList),
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
      eb.or([eb('c.group_key', 'is', null), eb(sql<number>`c.rank + coalesce(r.running, 0)`, '<=', arg(3))]),
    )
    .orderBy('c.due_at')
    .orderBy('c.id')
    .limit(arg(4));
  return db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'RUNNING',
      locked_by: arg(1),
      locked_until: arg(2),
      attempts: eb('attempts', '+', 1),
      updated_at: arg(0),
    }))
    .where('id', 'in', due)
    .$if(dialect === 'postgres', (qb) => qb.where('status', '=', 'PENDING'))
    .returningAll();
}

/**
 * Deletes the jobs with these dedupe keys that are waiting to run (a running one finishes and is
 * recorded as usual). Inside the caller's transaction: the change that makes them pointless.
 */
export async function deletePendingJobs(db: Db, dedupeKeys: readonly string[]): Promise<void> {
  await queries.run(
    db,
    `deletePendingJobs ${dedupeKeys.length}`,
    (arg) =>
      db
        .deleteFrom('jobs')
        .where(
          'dedupe_key',
          'in',
          dedupeKeys.map((_, i) => arg(i)),
        )
        .where('status', '=', 'PENDING'),
    dedupeKeys,
  );
}

const dueKindsAt = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('jobs')
    .select('kind')
    .distinct()
    .where('status', '=', 'PENDING')
    .where('due_at', '<=', arg(0)),
);

/** The kinds of the jobs due at `now`, for a worker to claim only the lanes they are in. */
export async function dueKinds(db: Db, now: Date): Promise<string[]> {
  const { rows } = await dueKindsAt(db, now.getTime());
  return rows.map((row) => row.kind);
}

/**
 * The update that records a run's outcome with `changes`, only while the worker holds the lease:
 * `arg(0)` is the job, `arg(1)` the worker, `arg(2)` now, from `arg(3)` on the outcome's values.
 */
function finishStatement(changes: (arg: Arg) => Updateable<JobTable>) {
  return compiledQuery((db: Db, arg) =>
    db
      .updateTable('jobs')
      .set({ locked_by: null, locked_until: null, updated_at: arg(2), ...changes(arg) })
      .where('id', '=', arg(0))
      .where('locked_by', '=', arg(1))
      .where('status', '=', 'RUNNING'),
  );
}
const finishDone = finishStatement(() => ({ status: 'DONE' }));
const finishRetry = finishStatement((arg) => ({ status: 'PENDING', due_at: arg(3), last_error: arg(4) }));
const finishDead = finishStatement((arg) => ({ status: 'DEAD', last_error: arg(3) }));

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
  const lease = [finish.id, finish.workerId, finish.now.getTime()] as const;
  const result =
    outcome.type === 'done'
      ? await finishDone(db, ...lease)
      : outcome.type === 'retry'
        ? await finishRetry(
            db,
            ...lease,
            outcome.at.getTime(),
            outcome.note === undefined ? null : bounded(outcome.note),
          )
        : await finishDead(db, ...lease, bounded(outcome.error));
  return Number(result.numAffectedRows) > 0;
}

const releaseExpired = compiledQuery((db: Db, arg) =>
  db
    .updateTable('jobs')
    .set({
      status: 'PENDING',
      last_error: sql<string>`'lease of ' || locked_by || ' ran out before it finished'`,
      locked_by: null,
      locked_until: null,
      updated_at: arg(0),
    })
    .where('status', '=', 'RUNNING')
    .where('locked_until', '<=', arg(0)),
);

/**
 * Puts back the jobs of workers that stopped (crashed, or hung) without finishing before their
 * lease ran out. Their original due time is kept, so they run next. Returns how many.
 */
export async function releaseExpiredLeases(db: Db, now: Date): Promise<number> {
  const result = await releaseExpired(db, now.getTime());
  return Number(result.numAffectedRows ?? 0n);
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
