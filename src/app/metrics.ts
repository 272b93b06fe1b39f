import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database';
import type { Clock } from '../kernel/clock';
import type { Logger } from './logger';

/** How an Alipay+ call ended, as operators read it (operations.md, What to watch). */
export type AlipayPlusCallOutcome = 'S' | 'F' | 'U' | 'timeout';

/** Under Prometheus's default scrape time-out (10 s). */
const DATABASE_WAIT_MS = 5_000;

/** What the services report as it happens; the rest is read from the database at each scrape. */
export interface MetricsRecorder {
  alipayPlusCall(api: string, outcome: AlipayPlusCallOutcome, seconds: number): void;
  notificationAttempt(outcome: 'accepted' | 'refused' | 'timeout' | 'failed'): void;
  refundFinished(outcome: 'SUCCEEDED' | 'FAILED'): void;
}

export interface GatewayMetrics extends MetricsRecorder {
  registry: Registry;
}

/**
 * The gateway's Prometheus series. Counters and histograms count what this process did (Prometheus
 * sums them over the processes); the gauges are facts of the shared database, so every process
 * reports the same values — alert on `max()` of them. A scrape whose queries fail keeps the last
 * values and sets `kessai_metrics_database_up` to 0.
 */
export function createMetrics(
  db: Kysely<Database>,
  clock: Clock,
  /** The Alipay+ circuit breaker of this process (governance.md, 6). */
  breaker?: { readonly state: number },
): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (breaker) {
    new Gauge({
      name: 'kessai_alipayplus_breaker_state',
      help: 'Circuit breaker on the calls to Alipay+ in this process: 0 closed, 1 open, 2 half-open',
      registers: [registry],
      collect() {
        this.set(breaker.state);
      },
    });
  }

  const calls = new Histogram({
    name: 'kessai_alipayplus_call_seconds',
    help: 'Alipay+ calls by API and outcome (S, F, U, timeout)',
    labelNames: ['api', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13],
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'kessai_notification_attempts_total',
    help: 'A02-1 delivery attempts by outcome (accepted = OK, refused = NG, timeout, failed)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const refunds = new Counter({
    name: 'kessai_refunds_total',
    help: 'Refunds that reached a final answer from Alipay+, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });

  // The database gauges are refreshed together, by one set of queries per scrape: each gauge's
  // collect waits for the same refresh.
  let refreshing: Promise<void> | undefined;
  const collect = () => {
    refreshing ??= refreshDatabaseGauges().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect });

  const databaseUp = gauge(
    'kessai_metrics_database_up',
    '1 when the last scrape could read the database, else 0',
  );
  const payments = gauge('kessai_payments', 'Payments by state', ['status']);
  const undelivered = gauge(
    'kessai_notifications_undelivered',
    'A02-1 notifications that failed their last attempt',
  );
  const jobsDue = gauge('kessai_jobs_due', 'Jobs due now and not yet run, by kind', ['kind']);
  const oldestDue = gauge(
    'kessai_job_oldest_due_age_seconds',
    'How long the oldest due job has waited, by kind',
    ['kind'],
  );
  const deadJobs = gauge('kessai_jobs_dead', 'Jobs that gave up and wait for an operator, by kind', ['kind']);

  async function refreshDatabaseGauges(): Promise<void> {
    try {
      // A database that does not answer must not hold the scrape past Prometheus's own time-out.
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('database too slow')), DATABASE_WAIT_MS);
      });
      await Promise.race([readDatabase(), giveUp]).finally(() => clearTimeout(timer));
      databaseUp.set(1);
    } catch {
      databaseUp.set(0);
    }
  }

  async function readDatabase(): Promise<void> {
    const now = clock.now().getTime();
    const [byStatus, undeliveredCount, due, dead] = await Promise.all([
      db
        .selectFrom('payments')
        .select(['status', sql<number>`count(*)`.as('n')])
        .groupBy('status')
        .execute(),
      db
        .selectFrom('notifications')
        .select(sql<number>`count(*)`.as('n'))
        .where('status', '=', 'UNDELIVERED')
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('jobs')
        .select(['kind', sql<number>`count(*)`.as('n'), sql<number>`min(due_at)`.as('oldest')])
        .where('status', '=', 'PENDING')
        .where('due_at', '<=', now)
        .groupBy('kind')
        .execute(),
      db
        .selectFrom('jobs')
        .select(['kind', sql<number>`count(*)`.as('n')])
        .where('status', '=', 'DEAD')
        .groupBy('kind')
        .execute(),
    ]);
    // A state or kind that emptied since the last scrape must read 0, not its old value.
    for (const gauge of [payments, jobsDue, oldestDue, deadJobs]) gauge.reset();
    for (const row of byStatus) payments.set({ status: row.status }, Number(row.n));
    undelivered.set(Number(undeliveredCount.n));
    for (const row of due) {
      jobsDue.set({ kind: row.kind }, Number(row.n));
      oldestDue.set({ kind: row.kind }, Math.max(0, (now - Number(row.oldest)) / 1000));
    }
    for (const row of dead) deadJobs.set({ kind: row.kind }, Number(row.n));
  }

  return {
    registry,
    alipayPlusCall: (api, outcome, seconds) => calls.observe({ api, outcome }, seconds),
    notificationAttempt: (outcome) => attempts.inc({ outcome }),
    refundFinished: (outcome) => refunds.inc({ outcome }),
  };
}

/** Answers `GET /metrics` with the registry's text (on the gateway in the demo, or a port of its own). */
export function serveMetrics(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (_request, reply) => {
    reply.header('Content-Type', registry.contentType);
    return registry.metrics();
  });
}

/** The listener Prometheus scrapes in production (`KESSAI_METRICS_PORT`): nothing but `/metrics`. */
export function buildMetricsApp(registry: Registry, logger: Logger): FastifyInstance {
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, disableRequestLogging: true });
  serveMetrics(app, registry);
  return app;
}
