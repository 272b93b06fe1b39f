import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { DialectName } from '../db/connection';
import type { Db } from '../db/database';
import { unsynced } from '../db/unsynced';
import type { Clock } from '../kernel/clock';
import type { ClaimedJob, JobHandler, JobOutcome, JobResult } from './job';
import {
  claimDueJobs,
  deleteFinishedJobs,
  dueKinds,
  finishJob,
  type LaneKinds,
  releaseExpiredLeases,
} from './job.repository';

const BACKOFF_BASE_MS = 5_000;
/** Finished jobs are kept this long (for looking into recent work), then deleted in batches. */
const RETENTION_MS = 7 * 24 * 60 * 60_000;
const PURGE_INTERVAL_MS = 60 * 60_000;
const PURGE_BATCH = 1_000;
const BACKOFF_CAP_MS = 15 * 60_000;
/**
 * A first lane's run slows the other lanes for this long at most: a run that takes longer waits
 * on a merchant that does not answer, and must not by itself hold back the rest of the worker
 * (a first lane that is full with more due still does).
 */
const FIRST_RUN_SLOWS_MS = 1_000;

/** The subset of pino's logger the worker uses. */
export interface JobLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface JobWorkerOptions {
  db: Db;
  dialect: DialectName;
  clock: Clock;
  handlers: Record<string, JobHandler>;
  /** Unique per worker instance; the default is host, process id and a random suffix. */
  workerId?: string;
  /** How often the loop looks for due jobs when nobody wakes it. Default 1000. */
  pollIntervalMs?: number;
  /** Handlers of one kind running at once (each kind has its own lane). Default 10. */
  concurrency?: number;
  /** Per kind, instead of `concurrency`. */
  laneConcurrency?: Record<string, number>;
  /**
   * Kinds whose jobs go first (A02-1 deliveries: a merchant and a shopper wait for each). While
   * their lanes are busy (more due than they could take, or a run started within the last second),
   * every other lane runs one job at a time: slowed, never stopped, so an overdue sweep cannot
   * queue hundreds of its own deliveries ahead of a fresh one in a merchant's group. Default none.
   */
  firstKinds?: readonly string[];
  /** Jobs of one group (a merchant's A02-1 deliveries) running at once. Default 3. */
  perGroup?: number;
  /** How long a claim holds a job; it must exceed a handler's longest run. Default 120000. */
  leaseMs?: number;
  logger?: JobLogger;
}

const silent: JobLogger = { warn() {}, error() {} };

/** Delay before re-running a job whose handler threw on its `attempt`-th run: 5 s, 10 s, … 15 min. */
export function backoffDelayMs(attempt: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(attempt - 1, 0), BACKOFF_CAP_MS);
}

/**
 * A lane: its own budget of handlers, so a kind whose runs hang (merchants that never answer) cannot
 * keep any other kind waiting. Kinds without a handler share one lane of their own.
 */
interface Lane {
  kinds: LaneKinds;
  concurrency: number;
  /** Claims before the other lanes, and slows them down while it is busy (`firstKinds`). */
  first: boolean;
  /** Runs in flight, with when each started (performance.now()). */
  active: Map<Promise<void>, number>;
  /** How many runs it may have now: one while a first lane is busy, else `concurrency`. */
  budget: number;
  /** The last claim filled every free slot, so more jobs may be waiting. */
  backlog: boolean;
  /**
   * Its next poll claims: a wake named one of its kinds, a sweep found one of its kinds due, or a
   * group that had reached its cap here ended a run.
   */
  wanted: boolean;
}

/**
 * Runs due jobs. Any number of workers (in-process or separate `kessai worker` processes) share the
 * table: a claim is a lease, so no job runs twice at once, and a job whose worker died is released
 * when its lease runs out, so none is lost.
 */
export class JobWorker {
  readonly workerId: string;
  private readonly db: Db;
  private readonly dialect: DialectName;
  private readonly clock: Clock;
  private readonly handlers: Record<string, JobHandler>;
  private readonly pollIntervalMs: number;
  private readonly lanes: Lane[];
  private readonly laneOfKind: Map<string, Lane>;
  /** The lane of kinds without a handler. */
  private readonly catchAll: Lane;
  /** Runs of each group in flight here, so an ending run knows whether its group was at its cap. */
  private readonly groupRuns = new Map<string, number>();
  private readonly perGroup: number;
  private readonly leaseMs: number;
  private readonly logger: JobLogger;

  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private nextSweepAt = 0;
  private nextPurgeAt = 0;

  constructor(options: JobWorkerOptions) {
    this.db = options.db;
    this.dialect = options.dialect;
    this.clock = options.clock;
    this.handlers = options.handlers;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? 1000);
    const concurrency = positive('concurrency', options.concurrency ?? 10);
    const kinds = Object.keys(this.handlers);
    const firstKinds = new Set(options.firstKinds ?? []);
    const lane = (laneKinds: LaneKinds, size: number, first: boolean): Lane => ({
      kinds: laneKinds,
      concurrency: size,
      first,
      active: new Map(),
      budget: size,
      backlog: false,
      wanted: false,
    });
    this.laneOfKind = new Map(
      kinds.map((kind) => [
        kind,
        lane(
          { in: [kind] },
          positive(`laneConcurrency.${kind}`, options.laneConcurrency?.[kind] ?? concurrency),
          firstKinds.has(kind),
        ),
      ]),
    );
    this.catchAll = lane({ notIn: kinds }, 1, false);
    this.lanes = [...this.laneOfKind.values(), this.catchAll].sort(
      (a, b) => Number(b.first) - Number(a.first),
    );
    this.perGroup = positive('perGroup', options.perGroup ?? 3);
    this.leaseMs = positive('leaseMs', options.leaseMs ?? 120_000);
    this.logger = options.logger ?? silent;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.nextSweepAt = 0;
    this.schedule(0);
  }

  /**
   * Looks for due jobs of `kind` soon (of every kind when none is named). The domain calls it after
   * committing a job that is due now (the first A02-1 attempt), so it need not wait for the next
   * poll. Only that kind's lane claims, with the lanes known to have more due; many calls in a
   * burst cost one claim.
   */
  wake(kind?: string): void {
    if (!this.running) return;
    const lanes = kind === undefined ? this.lanes : [this.laneOf(kind)];
    for (const lane of lanes) lane.wanted = true;
    this.pollSoon();
  }

  /** Stops polling and waits for the handlers that are running to finish and be recorded. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
    await Promise.all(this.lanes.flatMap((lane) => [...lane.active.keys()]));
  }

  /**
   * Claims and runs every job due now, batch after batch, and resolves with how many ran. For tests
   * that move the clock, and for one-shot runs. A job a handler re-schedules to now or earlier runs
   * again only if the batch it ran in was full.
   */
  async runDue(): Promise<number> {
    await releaseExpiredLeases(this.db, this.clock.now());
    let ran = 0;
    for (;;) {
      const batches = await Promise.all(this.lanes.map((lane) => this.claim(lane, lane.concurrency)));
      await Promise.all(batches.flatMap((jobs, i) => jobs.map((job) => this.track(this.lanes[i]!, job))));
      ran += batches.reduce((sum, jobs) => sum + jobs.length, 0);
      if (batches.every((jobs, i) => jobs.length < this.lanes[i]!.concurrency)) return ran;
    }
  }

  private pollSoon(): void {
    if (!this.running) return;
    if (this.polling) this.pollAgain = true;
    else this.schedule(0);
  }

  private laneOf(kind: string): Lane {
    return this.laneOfKind.get(kind) ?? this.catchAll;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poll();
    }, delayMs);
  }

  private poll(): void {
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = this.pollOnce().finally(() => {
      this.polling = undefined;
      if (this.running) this.schedule(this.pollAgain ? 0 : this.pollIntervalMs);
    });
  }

  private async pollOnce(): Promise<void> {
    try {
      // Wakes can come hundreds of times a second, and name the lanes they are for; dead workers'
      // jobs, and jobs that became due or that other processes queued, are looked for far less
      // often, by one read that names the lanes with jobs due.
      if (performance.now() >= this.nextSweepAt) {
        this.nextSweepAt = performance.now() + this.pollIntervalMs;
        const released = await releaseExpiredLeases(this.db, this.clock.now());
        if (released > 0) this.logger.warn({ released }, 'released jobs whose worker lease ran out');
        for (const kind of await dueKinds(this.db, this.clock.now())) this.laneOf(kind).wanted = true;
      }
      if (performance.now() >= this.nextPurgeAt) {
        this.nextPurgeAt = performance.now() + PURGE_INTERVAL_MS;
        const finishedBefore = new Date(this.clock.now().getTime() - RETENTION_MS);
        await deleteFinishedJobs(this.db, { finishedBefore, limit: PURGE_BATCH });
      }
      do {
        this.pollAgain = false;
        // The first lanes lead `lanes`, so they have claimed before the others take their budget.
        let firstBusy = false;
        for (const lane of this.lanes) {
          lane.budget = firstBusy && !lane.first ? 1 : lane.concurrency;
          // A lane claims only where work may be: a wake named it, a sweep is due, or its last
          // claim was full.
          if (lane.wanted || lane.backlog) {
            const free = lane.budget - lane.active.size;
            if (free <= 0) {
              lane.backlog = true;
            } else {
              lane.wanted = false;
              const jobs = await this.claim(lane, free);
              // On PostgreSQL a claim racing another worker's loses the rows that one took and comes
              // back short although more may be due: only an empty claim says the lane is drained.
              // (SQLite claims one at a time, so a short claim there took everything due.)
              lane.backlog = jobs.length === free || (this.dialect === 'postgres' && jobs.length > 0);
              for (const job of jobs) void this.track(lane, job);
            }
          }
          if (lane.first && (lane.backlog || this.recentlyStarted(lane))) firstBusy = true;
        }
      } while (
        this.running &&
        (this.pollAgain ||
          this.lanes.some((lane) => (lane.wanted || lane.backlog) && lane.active.size < lane.budget))
      );
    } catch (error) {
      this.logger.error({ error: messageOf(error) }, 'could not claim jobs');
    }
  }

  /** A claim is bookkeeping: lost in a power cut, its jobs run again (db/unsynced.ts). */
  private claim(lane: Lane, limit: number): Promise<ClaimedJob[]> {
    return unsynced(this.db, this.dialect, { transaction: false }, (db) =>
      claimDueJobs(db, this.dialect, {
        workerId: this.workerId,
        limit,
        now: this.clock.now(),
        leaseMs: this.leaseMs,
        kinds: lane.kinds,
        perGroup: this.perGroup,
      }),
    );
  }

  private recentlyStarted(lane: Lane): boolean {
    const since = performance.now() - FIRST_RUN_SLOWS_MS;
    for (const started of lane.active.values()) if (started > since) return true;
    return false;
  }

  private track(lane: Lane, job: ClaimedJob): Promise<void> {
    const { group } = job;
    if (group !== null) this.groupRuns.set(group, (this.groupRuns.get(group) ?? 0) + 1);
    const run = this.execute(job).finally(() => {
      lane.active.delete(run);
      // A group at its cap may have jobs its claims held back, which wait for one of its runs to
      // end. (Runs of the group on other workers are not counted: what they hold back waits for a
      // sweep at most.)
      if (group !== null && this.endGroupRun(group) >= this.perGroup) lane.wanted = true;
      // Lanes with more due claim in every poll: this run's, and the lanes a first lane slowed,
      // which get their budget back once it is idle.
      if (lane.wanted || lane.backlog || (lane.first && this.lanes.some((other) => other.backlog))) {
        this.pollSoon();
      }
    });
    lane.active.set(run, performance.now());
    return run;
  }

  /** Counts one run of `group` as ended; returns how many were running with it. */
  private endGroupRun(group: string): number {
    const runs = this.groupRuns.get(group) ?? 0;
    if (runs <= 1) this.groupRuns.delete(group);
    else this.groupRuns.set(group, runs - 1);
    return runs;
  }

  private async execute(job: ClaimedJob): Promise<void> {
    let result = await this.run(job);
    if (result.type !== 'failed' && result.record) {
      const { record, ...outcome } = result;
      try {
        await this.finish(job, outcome, record);
        return;
      } catch (error) {
        result = this.failed(job, error);
      }
    }
    const outcome: JobOutcome =
      result.type === 'failed'
        ? {
            type: 'retry',
            at: new Date(this.clock.now().getTime() + backoffDelayMs(job.attempt)),
            note: result.error,
          }
        : result;
    try {
      await this.finish(job, outcome);
    } catch (error) {
      // The job stays RUNNING under this lease and is released when the lease runs out.
      this.logger.error(
        { jobId: job.id, kind: job.kind, error: messageOf(error) },
        'could not record job outcome',
      );
    }
  }

  /**
   * Records the outcome, with the run's own writes in the same transaction when it has any. Like
   * a claim, it need not wait for the disk: lost in a power cut, the job runs again (its handler's
   * own effects committed durably in their own transactions; its `record` is only the account of
   * this run).
   */
  private async finish(job: ClaimedJob, outcome: JobOutcome, record?: JobResult['record']): Promise<void> {
    if (outcome.type === 'dead') {
      this.logger.error({ jobId: job.id, kind: job.kind, error: outcome.error }, 'job is dead');
    }
    const finish = { id: job.id, workerId: this.workerId, outcome, now: this.clock.now() };
    const recorded = await unsynced(
      this.db,
      this.dialect,
      { transaction: record !== undefined },
      async (db) => {
        await record?.(db);
        return finishJob(db, finish);
      },
    );
    if (!recorded) {
      this.logger.warn(
        { jobId: job.id, kind: job.kind, outcome: outcome.type },
        'job lease lost before its outcome was recorded; the job runs again',
      );
    }
  }

  private async run(job: ClaimedJob): Promise<JobResult | Failed> {
    // An own property only: a kind such as "constructor" must not find Object.prototype's.
    const handler = Object.hasOwn(this.handlers, job.kind) ? this.handlers[job.kind] : undefined;
    // A kind nobody handles is a bug (or a worker older than the code that queued it); retrying
    // cannot fix it, so it is parked where the console shows it.
    if (!handler) return { type: 'dead', error: `no handler for job kind "${job.kind}"` };
    const lease = new AbortController();
    const leaseTimer = setTimeout(() => lease.abort(new Error('job lease ran out')), this.leaseMs);
    try {
      const outcome = await handler(job, { now: this.clock.now(), signal: lease.signal });
      if (outcome.type === 'retry' && Number.isNaN(outcome.at.getTime())) {
        throw new Error('handler asked for a retry at an invalid time');
      }
      return outcome;
    } catch (error) {
      return this.failed(job, error);
    } finally {
      clearTimeout(leaseTimer);
    }
  }

  private failed(job: ClaimedJob, error: unknown): Failed {
    // The message only: payloads and request bodies may carry what must not be stored or logged.
    const message = messageOf(error);
    this.logger.warn({ jobId: job.id, kind: job.kind, attempt: job.attempt, error: message }, 'job failed');
    return { type: 'failed', error: message };
  }
}

/** A run whose handler threw (or whose writes failed): retried with back-off. */
type Failed = { type: 'failed'; error: string };

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : 'non-error value thrown';
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`JobWorker: ${name} must be a positive integer`);
  return value;
}
