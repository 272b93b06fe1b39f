import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jstDate, startOfJstDay } from '../../src/kernel/jst';
import { DEMO_MERCHANT_ID } from '../../src/merchants/demo-seed';
import { checkLedger } from '../../src/settlement/ledger-check';
import { DIALECTS } from '../support/databases';
import { eventually, type Stack, startStack } from '../support/stack';
import { ConsoleClient, seedConsole, TEST_PASSWORD } from './admin-client';

/**
 * The demo shows a settled cycle at once (settlement.md, Demo): on a fresh database `kessai start`
 * gives the demo merchant last month's payments and a bank account, and the start-up run of
 * `settlement.close` issues last month's statement with its payout, which an operator turns into
 * a transfer file on the payouts screen.
 */
for (const dialect of DIALECTS) {
  describe(`the demo's settled cycle (${dialect})`, () => {
    let stack: Stack;
    const db = () => stack.database.db;

    beforeAll(async () => {
      stack = await startStack(dialect, { seedDemoSettlement: true });
    }, 60_000);
    afterAll(async () => {
      await stack?.close();
    });

    it("issues last month's statement with a payout within seconds of start-up", async () => {
      const now = stack.clock.now();
      const lastMonthEnd = jstDate(startOfJstDay(now, -Number(jstDate(now).slice(8, 10))));
      const statement = () =>
        db()
          .selectFrom('statements')
          .selectAll()
          .where('merchant_id', '=', DEMO_MERCHANT_ID)
          .where('period_close', '=', lastMonthEnd)
          .executeTakeFirst();
      await eventually(async () => (await statement()) !== undefined, 20_000);
      const s = (await statement())!;
      expect(s.period_from).toBe(`${lastMonthEnd.slice(0, 7)}-01`);
      expect(s.captured).toBeGreaterThan(0);
      expect(s.refunded).toBeGreaterThan(0);
      expect(s.fees).toBeGreaterThan(0);
      expect(s.net).toBe(s.captured - s.refunded - s.fees);
      expect(s.payout_amount).toBe(s.net);
      const lines = await db()
        .selectFrom('statement_lines')
        .select('amount')
        .where('statement_id', '=', s.statement_id)
        .execute();
      expect(lines.reduce((sum, l) => sum + Number(l.amount), 0)).toBe(s.net);
      const payout = await db()
        .selectFrom('payouts')
        .selectAll()
        .where('statement_id', '=', s.statement_id)
        .executeTakeFirstOrThrow();
      expect([payout.status, payout.amount, payout.payout_date]).toEqual(['SCHEDULED', s.net, s.payout_date]);
      expect((await checkLedger(db())).violations).toEqual([]);

      const users = await seedConsole(db(), `demo-cycle-${dialect}`);
      const operator = new ConsoleClient(stack.gatewayUrl);
      await operator.signIn(users.operator, TEST_PASSWORD);
      const payouts = await operator.page('/admin/payouts');
      expect(payouts.status).toBe(200);
      expect(payouts.html).toContain(s.payout_date);
    });
  });
}
