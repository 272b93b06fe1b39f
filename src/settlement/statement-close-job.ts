import type { Kysely } from 'kysely';
import type { Logger } from '../app/logger';
import type { Database, Db } from '../db/database';
import type { JobHandler } from '../jobs/job';
import { enqueueJob } from '../jobs/job.repository';
import { jstDateStartIso } from '../kernel/jst';
import { addDays } from './payout-calendar';
import { closeStatements } from './statement.repository';

/**
 * The daily `settlement.close` job: after each JST day it closes the periods that ended by then
 * (`closeStatements`, which does nothing for a merchant whose period has not ended or is already
 * closed), so a missed day is caught up by the next run.
 */
export const SETTLEMENT_CLOSE_JOB = 'settlement.close';

/** Runs shortly after the JST day `date` is over. */
const RUN_AFTER_DAY_MS = 15 * 60_000;

export async function scheduleSettlementClose(db: Db, date: string, now: Date): Promise<void> {
  await enqueueJob(
    db,
    {
      kind: SETTLEMENT_CLOSE_JOB,
      payload: { date },
      dueAt: new Date(Date.parse(jstDateStartIso(addDays(date, 1))) + RUN_AFTER_DAY_MS),
      dedupeKey: `${SETTLEMENT_CLOSE_JOB}:${date}`,
    },
    now,
  );
}

export function settlementCloseJob(deps: { db: Kysely<Database>; logger: Logger }): JobHandler {
  return async (job, ctx) => {
    const { date } = job.payload as { date: string };
    await scheduleSettlementClose(deps.db, addDays(date, 1), ctx.now);
    const outcomes = await closeStatements(deps.db, date, ctx.now);
    const issued = outcomes.filter((o) => o.result.kind === 'issued');
    if (issued.length) {
      deps.logger.info(
        { through: date, statements: issued.map((o) => `${o.merchantId}:${o.period.close}`) },
        'statements issued',
      );
    }
    return { type: 'done' };
  };
}
