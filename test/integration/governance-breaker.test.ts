import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallResult } from '../../src/alipayplus/alipayplus-client';
import { openOutage } from '../../src/governance/outage';
import { AlipayPlusBreaker, isUnhealthyCall } from '../../src/governance/outage-breaker';
import { OffsetClock } from '../../src/kernel/clock';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';

/**
 * The breaker's thresholds (governance.md, 6): at least 20 calls within a minute, at least half of
 * them unhealthy. Calls are answers as the Alipay+ client returns them; the incident is written to
 * a real database of each dialect.
 */
const answer = (
  status: number | null,
  result?: { resultStatus: string; resultCode: string },
): CallResult => ({
  body: result ? { result } : undefined,
  exchange: { api: 'pay', requestBody: '{}', responseStatus: status, responseBody: null, durationMs: 1 },
});
const HEALTHY = answer(200, { resultStatus: 'S', resultCode: 'SUCCESS' });
const UNKNOWN = answer(200, { resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' });
const silent = { warn() {}, error() {} };

describe('what counts as an unhealthy call', () => {
  it('counts U (but not pay’s PAYMENT_IN_PROCESS), no answer and HTTP errors; not S or F', () => {
    expect(isUnhealthyCall(UNKNOWN)).toBe(true);
    expect(isUnhealthyCall(answer(null))).toBe(true);
    expect(isUnhealthyCall(answer(500))).toBe(true);
    expect(isUnhealthyCall(answer(429))).toBe(true);
    expect(isUnhealthyCall(HEALTHY)).toBe(false);
    expect(isUnhealthyCall(answer(200, { resultStatus: 'F', resultCode: 'ORDER_NOT_EXIST' }))).toBe(false);
    expect(isUnhealthyCall(answer(200, { resultStatus: 'U', resultCode: 'PAYMENT_IN_PROCESS' }))).toBe(false);
  });
});

for (const dialect of DIALECTS) {
  describe(`breaker thresholds (${dialect})`, () => {
    let database: TestDatabase;
    let breaker: AlipayPlusBreaker;
    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      breaker = new AlipayPlusBreaker({ db: database.db, clock: new OffsetClock(), logger: silent });
    });
    afterEach(async () => {
      await breaker?.settled();
      await database?.close();
    });

    async function calls(results: CallResult[]): Promise<void> {
      for (const result of results) expect(await breaker.run(async () => result)).toBe(result);
      await breaker.settled();
    }

    it('stays closed with 19 calls all failing', async () => {
      await calls(Array(19).fill(UNKNOWN));
      expect(breaker.state).toBe(0);
      expect(await openOutage(database.db)).toBeNull();
    });

    it('stays closed with 9 unhealthy calls of 20', async () => {
      await calls([...Array(11).fill(HEALTHY), ...Array(9).fill(answer(500))]);
      expect(breaker.state).toBe(0);
      expect(await openOutage(database.db)).toBeNull();
    });

    it('opens at 10 unhealthy calls of 20 and opens one incident; calls still go through while open', async () => {
      await calls([...Array(10).fill(HEALTHY), ...Array(10).fill(answer(null))]);
      expect(breaker.state).toBe(1);
      expect(await openOutage(database.db)).not.toBeNull();
      let made = 0;
      await breaker.run(async () => {
        made++;
        return HEALTHY;
      });
      expect(made).toBe(1);
      await breaker.settled();
      expect(await database.db.selectFrom('outage_incidents').select('id').execute()).toHaveLength(1);
    });
  });
}
