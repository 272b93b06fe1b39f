import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  circuitBreaker,
  handleAll,
  SamplingBreaker,
} from 'cockatiel';
import type { Kysely } from 'kysely';
import type { CallGuard, CallResult } from '../alipayplus/alipayplus-client';
import type { Database } from '../db/database';
import type { Clock } from '../kernel/clock';
import { reportHealthy, reportUnhealthy } from './outage';

/**
 * The circuit breaker on the connector's calls to Alipay+ (governance.md, 6), built on cockatiel's
 * SamplingBreaker: it opens when, within one minute, at least 20 calls were made and at least half
 * of them were unhealthy — `U`, no answer in time, no answer at all, or an HTTP error.
 *
 * Here the breaker detects; it does not shed load. The spec keeps purchases going while an
 * incident is open (Alipay+ may partly work), so a call the open breaker would refuse is made all
 * the same, outside the breaker. What the breaker's state drives is the incident, which lives in
 * the database for every process (see outage.ts): its opening opens the incident (or keeps the
 * open one open), and while it stays open the process says so at most every ten seconds; healthy
 * calls with the breaker closed resolve the incident once no process has seen Alipay+ unhealthy
 * for five minutes. Incident writes never delay or fail the call: they run after it, and a failed
 * write is logged.
 */
const SAMPLING_MS = 60_000;
const MIN_CALLS = 20;
/**
 * cockatiel opens when failures > threshold × calls; "at least 50 %" is failures ≥ calls / 2, so
 * the threshold sits just under one half (10 of 20 opens it, 9 of 20 does not).
 */
const THRESHOLD = 0.5 - 1e-9;
/** After this long open, one call tests whether Alipay+ is back (half-open). */
const HALF_OPEN_AFTER_MS = 10_000;
/** How often one process writes "still unhealthy" or tries to resolve. */
const REPORT_EVERY_MS = 10_000;

export interface BreakerLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** Whether a call's result counts against Alipay+'s health. */
export function isUnhealthyCall(result: CallResult): boolean {
  const status = result.exchange.responseStatus;
  if (status === null || status >= 400) return true;
  const answer = result.body?.result as { resultStatus?: unknown; resultCode?: unknown } | undefined;
  // `U`/`PAYMENT_IN_PROCESS` is pay's ordinary answer (the cashier is open), not an unknown outcome.
  return answer?.resultStatus === 'U' && answer.resultCode !== 'PAYMENT_IN_PROCESS';
}

export class AlipayPlusBreaker implements CallGuard {
  readonly policy: CircuitBreakerPolicy;
  /** When this process last wrote each kind of report (the gateway clock's epoch ms). */
  private readonly lastReportAt = { healthy: 0, unhealthy: 0 };
  private reporting: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      clock: Clock;
      logger: BreakerLogger;
      halfOpenAfterMs?: number;
    },
  ) {
    this.policy = circuitBreaker(
      handleAll.orWhenResult((r) => isUnhealthyCall(r as CallResult)),
      {
        halfOpenAfter: deps.halfOpenAfterMs ?? HALF_OPEN_AFTER_MS,
        breaker: new SamplingBreaker({
          threshold: THRESHOLD,
          duration: SAMPLING_MS,
          minimumRps: MIN_CALLS / (SAMPLING_MS / 1000),
        }),
      },
    );
    this.policy.onBreak(() => {
      deps.logger.warn({}, 'Alipay+ circuit breaker opened');
      this.report('unhealthy', true);
    });
    this.policy.onReset(() => {
      deps.logger.warn({}, 'Alipay+ circuit breaker closed');
      this.lastReportAt.healthy = 0;
    });
  }

  /** 0 closed, 1 open, 2 half-open (the metric's values). */
  get state(): number {
    const state = this.policy.state;
    return state === CircuitState.Closed ? 0 : state === CircuitState.HalfOpen ? 2 : 1;
  }

  async run(call: () => Promise<CallResult>): Promise<CallResult> {
    try {
      const result = await this.policy.execute(call);
      if (this.policy.state === CircuitState.Closed && !isUnhealthyCall(result))
        this.report('healthy', false);
      return result;
    } catch (error) {
      if (!(error instanceof BrokenCircuitError)) throw error;
      this.report('unhealthy', false);
      return call();
    }
  }

  /** Resolves once the incident writes started so far are done (tests, shutdown). */
  settled(): Promise<void> {
    return this.reporting;
  }

  private report(health: 'healthy' | 'unhealthy', now: boolean): void {
    const { db, clock, logger } = this.deps;
    const at = clock.now().getTime();
    if (!now && at - this.lastReportAt[health] < REPORT_EVERY_MS) return;
    this.lastReportAt[health] = at;
    const detail = `at least ${MIN_CALLS} calls in one minute, half or more unhealthy (U, time-out or HTTP error)`;
    this.reporting = this.reporting
      .then(() =>
        db
          .transaction()
          .execute((tx) =>
            health === 'unhealthy'
              ? reportUnhealthy(tx, detail, clock.now())
              : reportHealthy(tx, clock.now()),
          ),
      )
      .then((id) => {
        if (id !== null)
          logger.warn({ incident: id }, `outage incident ${health === 'unhealthy' ? 'opened' : 'resolved'}`);
      })
      .catch((error: unknown) => logger.error({ err: error }, 'could not record the Alipay+ outage state'));
  }
}
