import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/db/connection';
import type { Database, Db } from '../../src/db/database';
import type { ClaimedJob, JobHandler, JobView } from '../../src/jobs/job';
import { claimDueJobs, deleteFinishedJobs, enqueueJob, listJobs } from '../../src/jobs/job.repository';
import { backoffDelayMs, type JobLogger, JobWorker, type JobWorkerOptions } from '../../src/jobs/job-worker';
import { OffsetClock } from '../../src/kernel/clock';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';

const MINUTE = 60_000;

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const done: JobHandler = async () => ({ type: 'done' });

/**
 * Calls of `claimDueJobs`, counted where the worker makes them: a claim runs on a connection the
 * worker holds for it (src/db/unsynced.ts), which a wrapper of the store would not see.
 */
const claimCalls = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/jobs/job.repository', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/jobs/job.repository')>();
  return {
    ...original,
    claimDueJobs: (...args: Parameters<typeof original.claimDueJobs>) => {
      claimCalls.count++;
      return original.claimDueJobs(...args);
    },
  };
});

/** The claims made from now on (each test runs one worker). */
function countingClaims(): () => number {
  const before = claimCalls.count;
  return () => claimCalls.count - before;
}

describe('backoffDelayMs', () => {
  it('doubles from 5 s per failed run and stops at 15 minutes', () => {
    expect([1, 2, 3, 4].map(backoffDelayMs)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(backoffDelayMs(9)).toBe(15 * MINUTE);
    expect(backoffDelayMs(60)).toBe(15 * MINUTE);
  });
});

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    let store: TestDatabase;
    let clock: OffsetClock;
    const workers: JobWorker[] = [];
    const closers: Array<() => Promise<void>> = [];

    beforeEach(async () => {
      store = await createTestDatabase(dialect);
      clock = new OffsetClock();
    });

    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
      for (const close of closers.splice(0)) await close();
      await store.close();
    });

    function worker(
      handlers: Record<string, JobHandler>,
      options: Partial<JobWorkerOptions> = {},
    ): JobWorker {
      const w = new JobWorker({ db: store.db, dialect, clock, handlers, ...options });
      workers.push(w);
      return w;
    }

    /** A second pool or connection to the same store, as another worker process would have. */
    function secondConnection(): Db {
      const conn = openDatabase<Database>(
        store.url,
        store.searchPath ? { searchPath: store.searchPath } : {},
      );
      closers.push(conn.close);
      return conn.db;
    }

    function enqueue(kind: string, payload: unknown, dueAt = clock.now(), dedupeKey?: string) {
      return enqueueJob(store.db, { kind, payload, dueAt, ...(dedupeKey ? { dedupeKey } : {}) }, clock.now());
    }

    async function onlyJob(): Promise<JobView> {
      const jobs = await listJobs(store.db);
      expect(jobs).toHaveLength(1);
      return jobs[0]!;
    }

    it('writes no job when the transaction that enqueued it rolls back', async () => {
      await expect(
        store.db.transaction().execute(async (tx) => {
          await enqueueJob(
            tx,
            { kind: 'payment.deadline', payload: { trackingId: '1' }, dueAt: clock.now() },
            clock.now(),
          );
          throw new Error('state change refused');
        }),
      ).rejects.toThrow('state change refused');
      expect(await listJobs(store.db)).toEqual([]);

      await store.db.transaction().execute(async (tx) => {
        await enqueueJob(
          tx,
          { kind: 'payment.deadline', payload: { trackingId: '2' }, dueAt: clock.now() },
          clock.now(),
        );
      });
      expect((await onlyJob()).payload).toEqual({ trackingId: '2' });
    });

    it('ignores a second enqueue of a dedupe key that already has a job, even once it is done', async () => {
      expect(await enqueue('payment.deadline', { n: 1 }, clock.now(), 'deadline:42')).toBe(true);
      expect(await enqueue('payment.deadline', { n: 2 }, clock.now(), 'deadline:42')).toBe(false);
      await store.db.transaction().execute(async (tx) => {
        const again = await enqueueJob(
          tx,
          { kind: 'payment.deadline', payload: { n: 3 }, dueAt: clock.now(), dedupeKey: 'deadline:42' },
          clock.now(),
        );
        expect(again).toBe(false);
      });
      expect(await worker({ 'payment.deadline': done }).runDue()).toBe(1);
      expect(await enqueue('payment.deadline', { n: 4 }, clock.now(), 'deadline:42')).toBe(false);

      const jobs = await listJobs(store.db, { dedupeKey: 'deadline:42' });
      expect(jobs.map((j) => [j.payload, j.status])).toEqual([[{ n: 1 }, 'DONE']]);
      // Without a key nothing is deduplicated.
      expect(await enqueue('payment.deadline', { n: 5 })).toBe(true);
      expect(await enqueue('payment.deadline', { n: 5 })).toBe(true);
      expect(await listJobs(store.db, { kind: 'payment.deadline' })).toHaveLength(3);
    });

    it('runs a job only once its due time has come', async () => {
      const seen: ClaimedJob[] = [];
      const w = worker({
        'payment.deadline': async (job) => {
          seen.push(job);
          return { type: 'done' };
        },
      });
      const due = new Date(clock.now().getTime() + 10 * MINUTE);
      await enqueue('payment.deadline', { trackingId: '12345678901234' }, due);

      expect(await w.runDue()).toBe(0);
      clock.advance(10 * MINUTE - 1_000);
      expect(await w.runDue()).toBe(0);
      clock.advance(1_000);
      expect(await w.runDue()).toBe(1);
      expect(await w.runDue()).toBe(0);

      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        kind: 'payment.deadline',
        payload: { trackingId: '12345678901234' },
        attempt: 1,
        dueAt: due,
      });
      expect(await onlyJob()).toMatchObject({
        status: 'DONE',
        attempts: 1,
        lockedBy: null,
        lockedUntil: null,
      });
    });

    it("re-runs a job at the time its handler asked for, with the handler's note", async () => {
      const attempts: number[] = [];
      const w = worker({
        'notification.deliver': async (job, ctx) => {
          attempts.push(job.attempt);
          return job.attempt === 1
            ? { type: 'retry', at: new Date(ctx.now.getTime() + 2 * MINUTE), note: 'merchant answered 500' }
            : { type: 'done' };
        },
      });
      await enqueue('notification.deliver', { notificationId: 7 });

      expect(await w.runDue()).toBe(1);
      const waiting = await onlyJob();
      expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'merchant answered 500' });
      expect(waiting.dueAt.getTime() - waiting.updatedAt.getTime()).toBeGreaterThanOrEqual(
        2 * MINUTE - 1_000,
      );
      expect(waiting.dueAt.getTime()).toBeLessThanOrEqual(clock.now().getTime() + 2 * MINUTE);

      clock.advance(MINUTE);
      expect(await w.runDue()).toBe(0);
      clock.advance(MINUTE);
      expect(await w.runDue()).toBe(1);
      expect(attempts).toEqual([1, 2]);
      expect(await onlyJob()).toMatchObject({ status: 'DONE', attempts: 2 });
    });

    it('backs off exponentially after a handler throws and records only the error message', async () => {
      const logged: object[] = [];
      const logger: JobLogger = {
        warn: (details) => logged.push(details),
        error: (details) => logged.push(details),
      };
      const w = worker(
        {
          'refund.resend': async (job) => {
            if (job.attempt < 3) throw new Error('merchant server refused');
            return { type: 'done' };
          },
        },
        { logger },
      );
      await enqueue('refund.resend', { refundId: 'R1', hashKey: 'do-not-store-this-secret' });

      expect(await w.runDue()).toBe(1);
      let job = await onlyJob();
      expect(job).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'merchant server refused' });
      expect(job.dueAt.getTime() - job.updatedAt.getTime()).toBe(5_000);

      clock.advance(4_000);
      expect(await w.runDue()).toBe(0);
      clock.advance(1_000);
      expect(await w.runDue()).toBe(1);
      job = await onlyJob();
      expect(job).toMatchObject({ status: 'PENDING', attempts: 2 });
      expect(job.dueAt.getTime() - job.updatedAt.getTime()).toBe(10_000);

      clock.advance(10_000);
      expect(await w.runDue()).toBe(1);
      expect(await onlyJob()).toMatchObject({ status: 'DONE', attempts: 3 });
      expect(JSON.stringify(logged)).not.toContain('do-not-store-this-secret');
      expect(logged).toContainEqual(
        expect.objectContaining({ kind: 'refund.resend', error: 'merchant server refused' }),
      );
    });

    it('keeps a job its handler gave up on as DEAD with the reason', async () => {
      const w = worker({ 'payment.deadline': async () => ({ type: 'dead', error: 'payment 1 not found' }) });
      await enqueue('payment.deadline', { trackingId: '1' });
      expect(await w.runDue()).toBe(1);
      clock.advance(60 * MINUTE);
      expect(await w.runDue()).toBe(0);
      expect(await onlyJob()).toMatchObject({
        status: 'DEAD',
        attempts: 1,
        lastError: 'payment 1 not found',
      });
    });

    it('marks a job of an unknown kind DEAD instead of retrying it', async () => {
      const w = worker({ 'payment.deadline': done });
      await enqueue('payment.unknown', {});
      await enqueue('constructor', {});
      expect(await w.runDue()).toBe(2);
      clock.advance(60 * MINUTE);
      expect(await w.runDue()).toBe(0);
      const jobs = await listJobs(store.db);
      expect(jobs.map((j) => [j.status, j.lastError])).toEqual([
        ['DEAD', 'no handler for job kind "constructor"'],
        ['DEAD', 'no handler for job kind "payment.unknown"'],
      ]);
    });

    it('re-runs a job whose worker crashed once the lease has run out', async () => {
      await enqueue('payment.deadline', { trackingId: '1' });
      const crashed = await claimDueJobs(store.db, dialect, {
        workerId: 'crashed-worker',
        limit: 10,
        now: clock.now(),
        leaseMs: MINUTE,
      });
      expect(crashed).toHaveLength(1);
      expect(await onlyJob()).toMatchObject({ status: 'RUNNING', lockedBy: 'crashed-worker' });

      const runs: number[] = [];
      const w = worker({
        'payment.deadline': async (job) => {
          runs.push(job.attempt);
          return { type: 'done' };
        },
      });
      expect(await w.runDue()).toBe(0);
      clock.advance(MINUTE - 1_000);
      expect(await w.runDue()).toBe(0);
      clock.advance(1_000);
      expect(await w.runDue()).toBe(1);
      expect(runs).toEqual([2]);
      expect(await onlyJob()).toMatchObject({
        status: 'DONE',
        attempts: 2,
        lastError: 'lease of crashed-worker ran out before it finished',
      });
    });

    it('refuses the outcome of a worker whose job was taken over after its lease ran out', async () => {
      await enqueue('notification.deliver', { notificationId: 1 });
      const entered = deferred();
      const release = deferred();
      const warnings: string[] = [];
      const slow = worker(
        {
          'notification.deliver': async () => {
            entered.resolve();
            await release.promise;
            return { type: 'dead', error: 'stale worker result' };
          },
        },
        {
          workerId: 'slow',
          leaseMs: MINUTE,
          logger: { warn: (_d, message) => warnings.push(message), error() {} },
        },
      );
      const fast = worker({ 'notification.deliver': done }, { workerId: 'fast', leaseMs: MINUTE });

      const slowRun = slow.runDue();
      await entered.promise;
      expect(await fast.runDue()).toBe(0);
      clock.advance(MINUTE + 1);
      expect(await fast.runDue()).toBe(1);
      release.resolve();
      expect(await slowRun).toBe(1);

      expect(await onlyJob()).toMatchObject({ status: 'DONE', attempts: 2, lockedBy: null });
      expect(warnings).toEqual(['job lease lost before its outcome was recorded; the job runs again']);
    });

    it("aborts a handler's signal when its lease runs out", async () => {
      await enqueue('payment.deadline', {});
      let aborted: unknown;
      const w = worker(
        {
          'payment.deadline': async (_job, { signal }) => {
            await new Promise((resolve) => signal.addEventListener('abort', resolve));
            aborted = signal.reason;
            return { type: 'done' };
          },
        },
        { leaseMs: 50 },
      );
      expect(await w.runDue()).toBe(1);
      expect(aborted).toEqual(new Error('job lease ran out'));
    });

    async function race(dbA: Db, dbB: Db, jobCount: number): Promise<void> {
      for (let i = 0; i < jobCount; i++) await enqueue('race', { i });
      const runs = new Map<number, number>();
      const running = new Set<number>();
      const overlaps: number[] = [];
      const byWorker = { a: 0, b: 0 };
      // The first jobs hold until both workers run one, so that on a busy machine one worker
      // cannot take every batch before the other's first claim: the race is always run.
      const bothRunning = deferred();
      const handler =
        (name: 'a' | 'b'): JobHandler =>
        async (job) => {
          if (running.has(job.id)) overlaps.push(job.id);
          running.add(job.id);
          runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
          byWorker[name]++;
          if (byWorker.a > 0 && byWorker.b > 0) bothRunning.resolve();
          await Promise.race([bothRunning.promise, new Promise((r) => setTimeout(r, 5_000))]);
          await new Promise((r) => setTimeout(r, Math.random() * 3));
          running.delete(job.id);
          return { type: 'done' };
        };
      const a = new JobWorker({ db: dbA, dialect, clock, handlers: { race: handler('a') }, concurrency: 8 });
      const b = new JobWorker({ db: dbB, dialect, clock, handlers: { race: handler('b') }, concurrency: 8 });
      // Each worker claims again while the other's batch runs: a worker whose first claim lost every
      // row to the other must not sit out that worker's whole run.
      const drain = async (w: JobWorker) => {
        while ((await listJobs(store.db, { status: 'PENDING' })).length > 0) {
          if ((await w.runDue()) === 0) await new Promise((r) => setTimeout(r, 1));
        }
      };
      await Promise.all([drain(a), drain(b)]);

      expect(overlaps).toEqual([]);
      expect(runs.size).toBe(jobCount);
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      expect(byWorker.a).toBeGreaterThan(0);
      expect(byWorker.b).toBeGreaterThan(0);
      const finished = await listJobs(store.db, { status: 'DONE', limit: 1000 });
      expect(finished).toHaveLength(jobCount);
      expect(finished.every((j) => j.attempts === 1)).toBe(true);
    }

    it('claims only the lane a wake names, and at a sweep only the lanes with jobs due', async () => {
      const claims = countingClaims();
      const ran: string[] = [];
      const handler: JobHandler = async (job) => {
        ran.push(job.kind);
        return { type: 'done' };
      };
      const w = worker({ a: handler, b: handler, c: handler }, { pollIntervalMs: 60_000 });
      await enqueue('a', {});
      w.start();
      // The first poll is a sweep: one claim, for the one kind with a job due.
      await until(() => ran.length === 1);
      await enqueue('b', {});
      await enqueue('c', {});
      w.wake('b');
      await until(() => ran.length === 2);
      await w.stop();
      expect(ran).toEqual(['a', 'b']);
      // On PostgreSQL a lane whose claim took anything claims again (a racing worker may have
      // taken rows from it), once more per lane.
      expect(claims()).toBe(dialect === 'postgres' ? 4 : 2);
      expect((await listJobs(store.db, { kind: 'c' }))[0]).toMatchObject({ status: 'PENDING' });
    });

    it('sweeps every poll interval while wakes for another lane keep coming', async () => {
      const ran: string[] = [];
      const w = worker(
        {
          busy: async () => ({ type: 'done' }),
          quiet: async (job) => {
            ran.push(job.kind);
            return { type: 'done' };
          },
        },
        { pollIntervalMs: 50 },
      );
      w.start();
      // Queued without a wake, as another process would: only a sweep finds it.
      await enqueue('quiet', {});
      await until(async () => {
        await enqueue('busy', {});
        w.wake('busy');
        return ran.length === 1;
      });
    });

    it("re-claims when a group's run ends only if the group was at its cap", async () => {
      const claims = countingClaims();
      const release = deferred();
      let started = 0;
      const w = worker(
        {
          'notification.deliver': async () => {
            started++;
            await release.promise;
            return { type: 'done' };
          },
        },
        { pollIntervalMs: 60_000, perGroup: 3 },
      );
      const add = (group: string) =>
        enqueueJob(
          store.db,
          { kind: 'notification.deliver', payload: {}, dueAt: clock.now(), group },
          clock.now(),
        );
      await add('merchant:X');
      await add('merchant:X');
      w.start();
      await until(() => started === 2);
      release.resolve();
      await until(async () => (await listJobs(store.db, { status: 'DONE' })).length === 2);
      await w.stop();
      // Below its cap the group held nothing back: the first claim was the only one (with
      // PostgreSQL's second look after a claim that took anything).
      expect(claims()).toBe(dialect === 'postgres' ? 2 : 1);

      const held = deferred();
      const w2 = worker(
        {
          'notification.deliver': async () => {
            await held.promise;
            return { type: 'done' };
          },
        },
        { pollIntervalMs: 60_000, perGroup: 3 },
      );
      for (let i = 0; i < 4; i++) await add('merchant:Y');
      w2.start();
      await until(async () => (await listJobs(store.db, { status: 'RUNNING' })).length === 3);
      held.resolve();
      // The fourth job waited for one of the three to end; only that re-claim can start it.
      await until(async () => (await listJobs(store.db, { status: 'DONE' })).length === 6);
    });

    it("commits a run's own writes with its outcome, and retries a run whose writes fail", async () => {
      const w = worker({
        'notification.deliver': async (job) => ({
          type: 'done',
          record: async (tx) => {
            const later = new Date(clock.now().getTime() + 60 * MINUTE);
            await enqueueJob(
              tx,
              { kind: 'marker', payload: { attempt: job.attempt }, dueAt: later },
              clock.now(),
            );
            if (job.attempt === 1) throw new Error('write refused');
          },
        }),
      });
      await enqueue('notification.deliver', {});
      expect(await w.runDue()).toBe(1);
      expect(await onlyJob()).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'write refused' });
      clock.advance(backoffDelayMs(1));
      expect(await w.runDue()).toBe(1);
      const [marker, delivery] = await listJobs(store.db);
      expect(delivery).toMatchObject({ kind: 'notification.deliver', status: 'DONE', attempts: 2 });
      expect(marker).toMatchObject({ kind: 'marker', payload: { attempt: 2 } });
      expect(await listJobs(store.db)).toHaveLength(2);
    });

    it('runs each of 200 jobs exactly once when two workers on separate connections race', async () => {
      await race(store.db, secondConnection(), 200);
    });

    if (dialect === 'sqlite') {
      it('runs each of 200 jobs exactly once when two workers share one connection', async () => {
        await race(store.db, store.db, 200);
      });
    }

    it('runs a kind in its own lane: hanging runs of another kind do not keep it waiting', async () => {
      const release = deferred();
      let hanging = 0;
      const ran: number[] = [];
      const w = worker(
        {
          'notification.deliver': async () => {
            hanging++;
            await release.promise;
            return { type: 'done' };
          },
          'payment.deadline': async (job) => {
            ran.push(job.id);
            return { type: 'done' };
          },
        },
        { concurrency: 10 },
      );
      for (let i = 0; i < 20; i++) await enqueue('notification.deliver', { i });
      await enqueue('payment.deadline', { trackingId: '1' });
      w.start();
      try {
        await until(() => ran.length === 1);
        expect(hanging).toBe(10);
      } finally {
        release.resolve();
      }
    });

    it('runs the other lanes one job at a time while a first lane has a backlog, then at full width', async () => {
      const deliveries = deferred();
      const deadlines = deferred();
      let running = 0;
      let mostAtOnce = 0;
      let finished = 0;
      let probes = 0;
      const w = worker(
        {
          'notification.deliver': async () => {
            await deliveries.promise;
            return { type: 'done' };
          },
          probe: async () => {
            probes++;
            return { type: 'done' };
          },
          'payment.deadline': async () => {
            running++;
            mostAtOnce = Math.max(mostAtOnce, running);
            await deadlines.promise;
            running--;
            finished++;
            return { type: 'done' };
          },
        },
        { concurrency: 10, firstKinds: ['notification.deliver', 'probe'], pollIntervalMs: 20 },
      );
      for (let i = 0; i < 20; i++) await enqueue('notification.deliver', { i });
      for (let i = 0; i < 5; i++) await enqueue('payment.deadline', { i });
      w.start();
      try {
        await until(() => running === 1);
        // Each probe that runs is a poll made while the deliveries' lane is full with more waiting.
        for (let i = 0; i < 3; i++) {
          await enqueue('probe', { i });
          w.wake();
          await until(() => probes === i + 1);
        }
        expect(mostAtOnce).toBe(1);
        deliveries.resolve();
        await until(() => running === 5);
      } finally {
        deliveries.resolve();
        deadlines.resolve();
      }
      await until(() => finished === 5);
    });

    it("does not let a first lane's runs that hang slow the other lanes for more than a second", async () => {
      const release = deferred();
      let running = 0;
      const w = worker(
        {
          'notification.deliver': async () => {
            await release.promise;
            return { type: 'done' };
          },
          'payment.deadline': async () => {
            running++;
            await release.promise;
            return { type: 'done' };
          },
        },
        { concurrency: 10, firstKinds: ['notification.deliver'], pollIntervalMs: 50 },
      );
      for (let i = 0; i < 3; i++) await enqueue('notification.deliver', { i });
      for (let i = 0; i < 10; i++) await enqueue('payment.deadline', { i });
      w.start();
      try {
        await until(() => running === 10);
      } finally {
        release.resolve();
      }
    });

    it("runs a few of one group's jobs at once, so another group's job goes ahead of its backlog", async () => {
      const release = deferred();
      const started: string[] = [];
      const w = worker(
        {
          'notification.deliver': async (job) => {
            const { merchant } = job.payload as { merchant: string };
            started.push(merchant);
            if (merchant === 'X') await release.promise;
            return { type: 'done' };
          },
        },
        { concurrency: 10, perGroup: 3 },
      );
      const add = (merchant: string) =>
        enqueueJob(
          store.db,
          {
            kind: 'notification.deliver',
            payload: { merchant },
            dueAt: clock.now(),
            group: `merchant:${merchant}`,
          },
          clock.now(),
        );
      for (let i = 0; i < 40; i++) await add('X');
      clock.advance(1);
      await add('Y');
      w.start();
      try {
        await until(() => started.includes('Y'));
        expect(started.filter((m) => m === 'X')).toHaveLength(3);
        const running = await listJobs(store.db, { status: 'RUNNING' });
        expect(running.filter((j) => (j.payload as { merchant: string }).merchant === 'X')).toHaveLength(3);
      } finally {
        release.resolve();
      }
      await until(async () => (await listJobs(store.db, { status: 'DONE', limit: 100 })).length === 41);
    });

    it('drains the queue with two polling workers, woken after a commit, and stops cleanly', async () => {
      const runs = new Map<number, number>();
      const handler: JobHandler = async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 1));
        return { type: 'done' };
      };
      const a = worker({ race: handler }, { pollIntervalMs: 60_000, concurrency: 4 });
      const b = new JobWorker({
        db: secondConnection(),
        dialect,
        clock,
        handlers: { race: handler },
        pollIntervalMs: 60_000,
        concurrency: 4,
      });
      workers.push(b);
      // Due a minute from now: the workers' first polls find nothing, so only the wake-ups after
      // the clock has moved can start the jobs (the next polls are a minute away).
      const dueAt = new Date(clock.now().getTime() + MINUTE);
      await store.db.transaction().execute(async (tx) => {
        for (let i = 0; i < 100; i++) {
          await enqueueJob(tx, { kind: 'race', payload: { i }, dueAt }, clock.now());
        }
      });
      a.start();
      b.start();
      clock.advance(MINUTE);
      a.wake();
      b.wake();
      await until(async () => (await listJobs(store.db, { status: 'DONE', limit: 1000 })).length === 100);
      await Promise.all([a.stop(), b.stop()]);
      expect(runs.size).toBe(100);
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
    });

    if (dialect === 'postgres') {
      it('claims again after a claim that lost rows to another worker came back short', async () => {
        const ran: number[] = [];
        const w = worker(
          {
            race: async (job) => {
              ran.push(job.id);
              return { type: 'done' };
            },
          },
          { pollIntervalMs: 60_000, concurrency: 4 },
        );
        for (let i = 0; i < 10; i++) await enqueue('race', { i });
        const ids = (await listJobs(store.db, { status: 'PENDING' })).map((j) => j.id).sort((x, y) => x - y);
        // Another worker's claim of the two oldest jobs, not yet committed: this worker's claim of
        // the four oldest waits on it, and once it commits, gets only the other two.
        const other = secondConnection();
        let commit = () => {};
        const held = new Promise<void>((resolve) => {
          commit = resolve;
        });
        const otherUpdated = deferred();
        const claimedByOther = other.transaction().execute(async (tx) => {
          await tx.updateTable('jobs').set({ status: 'DONE' }).where('id', 'in', ids.slice(0, 2)).execute();
          otherUpdated.resolve();
          await held;
        });
        // The other claim must hold its rows before this worker claims, or this one takes all four.
        await otherUpdated.promise;
        w.start();
        await until(async () => {
          const waiting = await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`.execute(store.db);
          return waiting.rows[0]!.n > 0;
        });
        commit();
        await claimedByOther;
        // Only wake-ups can start the rest: the next poll is a minute away.
        await until(async () => ran.length === 8, 5_000);
        expect(ran.sort((x, y) => x - y)).toEqual(ids.slice(2));
      });
    }

    it('waits for running handlers when stopped', async () => {
      const entered = deferred();
      const release = deferred();
      const w = worker({
        'payment.deadline': async () => {
          entered.resolve();
          await release.promise;
          return { type: 'done' };
        },
      });
      await enqueue('payment.deadline', {});
      w.start();
      await entered.promise;
      let stopped = false;
      const stopping = w.stop().then(() => {
        stopped = true;
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(stopped).toBe(false);
      release.resolve();
      await stopping;
      expect(await onlyJob()).toMatchObject({ status: 'DONE' });
    });

    it('deletes jobs finished before the retention time, keeping dead, pending and recent ones', async () => {
      await enqueue('old', {});
      await enqueue('doomed', {});
      await worker({ old: done, doomed: async () => ({ type: 'dead', error: 'gave up' }) }).runDue();
      clock.advance(8 * 24 * 60 * MINUTE);
      await enqueue('recent', {});
      await worker({ recent: done }).runDue();
      await enqueue('later', {}, new Date(clock.now().getTime() + MINUTE));

      const deleted = await deleteFinishedJobs(store.db, {
        finishedBefore: new Date(clock.now().getTime() - 7 * 24 * 60 * MINUTE),
        limit: 100,
      });
      expect(deleted).toBe(1);
      const left = (await listJobs(store.db)).map((j) => `${j.kind}:${j.status}`).sort();
      expect(left).toEqual(['doomed:DEAD', 'later:PENDING', 'recent:DONE']);
    });

    it('lists jobs newest first, filtered by status, kind and key, page by page', async () => {
      await enqueue('a', { n: 1 });
      await enqueue('b', { n: 2 }, clock.now(), 'b:2');
      await enqueue('a', { n: 3 }, new Date(clock.now().getTime() + MINUTE));
      await worker({ b: done }).runDue();

      const all = await listJobs(store.db);
      expect(all.map((j) => j.payload)).toEqual([{ n: 3 }, { n: 2 }, { n: 1 }]);
      expect((await listJobs(store.db, { kind: 'a' })).map((j) => j.payload)).toEqual([{ n: 3 }, { n: 1 }]);
      expect((await listJobs(store.db, { status: 'DONE' })).map((j) => j.dedupeKey)).toEqual(['b:2']);
      expect((await listJobs(store.db, { status: 'DEAD' })).map((j) => j.payload)).toEqual([{ n: 1 }]);
      expect(await listJobs(store.db, { status: [] })).toEqual([]);
      const firstPage = await listJobs(store.db, { limit: 2 });
      expect(firstPage.map((j) => j.payload)).toEqual([{ n: 3 }, { n: 2 }]);
      const next = await listJobs(store.db, { limit: 2, beforeId: firstPage[1]!.id });
      expect(next.map((j) => j.payload)).toEqual([{ n: 1 }]);
    });
  });
}
