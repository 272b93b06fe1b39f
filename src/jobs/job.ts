import type { Db } from '../db/database';

/**
 * Durable jobs: the gateway's follow-up work (A02-1 retries, payment deadlines, refund re-sends)
 * kept as rows, written in the same transaction as the state change that needs them
 * (ARCHITECTURE.md, outbox), so a crash delays the work but never loses it.
 */
export const JOB_STATUSES = ['PENDING', 'RUNNING', 'DONE', 'DEAD'] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export interface NewJob {
  kind: string;
  /** Stored as JSON. Identifiers only: never put secrets in a payload. */
  payload: unknown;
  dueAt: Date;
  /** While a job with this key exists (in any status), enqueueing the key again does nothing. */
  dedupeKey?: string;
  /** Jobs of one group run at most a few at a time (a merchant's A02-1 deliveries). */
  group?: string;
}

/** What a handler receives: one run of a job that this worker holds the lease of. */
export interface ClaimedJob {
  id: number;
  kind: string;
  payload: unknown;
  dedupeKey: string | null;
  group: string | null;
  dueAt: Date;
  /** 1 on the first run; counts every run started, including ones lost to a crash. */
  attempt: number;
  createdAt: Date;
}

export type JobOutcome =
  | { type: 'done' }
  /** Run again at `at` (the handler's own schedule, e.g. the A02-1 retry intervals). */
  | { type: 'retry'; at: Date; note?: string }
  /** Give up for good; the job stays visible as DEAD with this error. */
  | { type: 'dead'; error: string };

export interface JobContext {
  now: Date;
  /**
   * Aborted when this run's lease runs out: another worker may then take the job over, so a
   * handler passes it to its outgoing calls and stops.
   */
  signal: AbortSignal;
}

/**
 * A run's outcome, with the writes that record what the run did (an A02-1 attempt): the worker
 * commits them in the transaction that records the outcome, so the run costs one commit, and a crash
 * before it leaves neither (the job runs again). They are committed even if the lease was lost
 * meanwhile, so they carry their own guards against a second run's record.
 */
export type JobResult = JobOutcome & { record?: (tx: Db) => Promise<void> };

/**
 * A handler that throws, or whose `record` fails, is retried with exponential back-off; it never
 * loses the job.
 */
export type JobHandler = (job: ClaimedJob, ctx: JobContext) => Promise<JobResult>;

/** A job as the console shows it. */
export interface JobView {
  id: number;
  kind: string;
  dedupeKey: string | null;
  payload: unknown;
  status: JobStatus;
  dueAt: Date;
  attempts: number;
  lockedBy: string | null;
  lockedUntil: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}
