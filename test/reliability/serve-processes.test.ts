import { afterEach, describe, expect, it } from 'vitest';
import { type CrashSystem, postPurchase, startCrashSystem } from '../crash/crash-system';
import { DIALECTS } from '../support/databases';
import { demoReviewed, eventually, freePort, PC_UA } from '../support/stack';

/**
 * `kessai serve --processes 2` (configuration.md, Commands): two HTTP processes on one port and one
 * database — on SQLite one WAL file — with the job worker in the primary. Shoppers buy and pay
 * concurrently through both processes; none of them meets an error, every payment is captured, and
 * each merchant gets its A02-1 once, soon after the capture (the HTTP process wakes the primary's
 * worker instead of leaving the job to its 1 s poll).
 */
const PURCHASES = 60;
const SHOPPERS = 12;
/** Purchases made one at a time afterwards, each waiting for its A02-1. */
const ALONE = 7;

let system: CrashSystem | undefined;
let passed = false;
afterEach(async () => {
  await system?.close(!passed);
  system = undefined;
});

/** The A02-1 calls to Alipay+'s pay API each HTTP process made, from its own metrics listener. */
async function payCalls(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('kessai_alipayplus_call_seconds_count{') && line.includes('api="pay"'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

for (const dialect of DIALECTS) {
  describe(`kessai serve --processes 2 (${dialect})`, () => {
    it('serves concurrent purchases from both processes with no error and one A02-1 each', async () => {
      passed = false;
      const metricsPort = await freePort();
      system = await startCrashSystem(dialect, {
        serves: 1,
        workers: 0,
        serveArgs: ['serve', '--processes', '2'],
        gatewayEnv: { KESSAI_METRICS_PORT: String(metricsPort) },
      });
      const sys = system;
      const db = sys.database.db;
      // The demo merchant's sub-brands are approved at its first start (governance.md §1); the
      // processes start side by side on a busy machine.
      await demoReviewed(db, 60_000);
      const shopperSaw: string[] = [];
      const look = async (response: Response, what: string) => {
        const body = await response.text();
        // SQLite's error codes (SQLITE_BUSY …) and message; the order ids name the database in lower case.
        const leak = body.search(/SQLITE_|database is locked/);
        if (response.status >= 500 || leak >= 0) {
          shopperSaw.push(
            `${what}: HTTP ${response.status} ${body.slice(Math.max(0, leak), Math.max(0, leak) + 200)}`,
          );
        }
        return body;
      };

      const orderIds: string[] = [];
      const buy = async () => {
        const orderId = `PROC-${dialect}-${orderIds.length}-${Date.now()}`;
        orderIds.push(orderId);
        const purchase = await postPurchase(sys, { order_id: orderId });
        const page = await look(purchase, `A01-1 ${orderId}`);
        const cashierUrl = purchase.headers.get('location');
        if (purchase.status !== 303 || !cashierUrl) {
          shopperSaw.push(
            `A01-1 ${orderId}: HTTP ${purchase.status}, not the cashier: ${page.slice(0, 300)}`,
          );
          return orderId;
        }
        const paid = await fetch(`${sys.sandboxUrl}/sandbox/v1/simulate/pay`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ cashierUrl, wallet: 'GCASH', user: 'alice', action: 'pay' }),
        });
        const { redirectUrl } = JSON.parse(await paid.text()) as { redirectUrl: string };
        await look(
          await fetch(redirectUrl, { redirect: 'manual', headers: { 'User-Agent': PC_UA } }),
          `return ${orderId}`,
        );
        return orderId;
      };
      const shopper = async () => {
        while (orderIds.length < PURCHASES) await buy();
      };
      await Promise.all(Array.from({ length: SHOPPERS }, shopper));
      // Then one shopper at a time: the A02-1 of each goes out at once after the capture (the
      // HTTP process wakes the primary's worker), not at the worker's next poll (up to 1 s later;
      // under load, the merchant's delivery limit queues them instead).
      const alone: string[] = [];
      for (let i = 0; i < ALONE; i++) {
        const orderId = await buy();
        alone.push(orderId);
        await sys.merchant.waitForNotifications(PURCHASES + i + 1, 10_000);
      }

      expect(shopperSaw).toEqual([]);
      // Both HTTP processes served purchases (each has its own metrics listener, port + 1 and + 2).
      const perProcess = [await payCalls(metricsPort + 1), await payCalls(metricsPort + 2)];
      expect(perProcess[0]! + perProcess[1]!).toBe(PURCHASES + ALONE);
      expect(Math.min(...perProcess), `pay calls per process: ${perProcess}`).toBeGreaterThan(0);

      // Every payment is captured, and every A02-1 delivered, with no delivery left to run.
      await eventually(async () => {
        const pending = await db
          .selectFrom('notifications')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '!=', 'DELIVERED')
          .executeTakeFirstOrThrow();
        return sys.merchant.notifications.length >= PURCHASES + ALONE && Number(pending.n) === 0;
      }, 30_000);
      const payments = await db.selectFrom('payments').select(['order_id', 'status']).execute();
      expect(payments.filter((p) => p.status !== 'CAPTURED')).toEqual([]);
      expect(payments.map((p) => p.order_id).sort()).toEqual([...orderIds].sort());
      const received = new Map<string, number>();
      for (const n of sys.merchant.notifications) {
        received.set(n.fields.order_id!, (received.get(n.fields.order_id!) ?? 0) + 1);
      }
      expect([...received.entries()].filter(([, count]) => count !== 1)).toEqual([]);
      expect([...received.keys()].sort()).toEqual([...orderIds].sort());

      // Without the wake, the first attempts would wait for the poll: a median of about 500 ms.
      const firstAttempts = await db
        .selectFrom('notifications')
        .innerJoin('payments', 'payments.tracking_id', 'notifications.tracking_id')
        .innerJoin('notification_attempts', 'notification_attempts.notification_id', 'notifications.id')
        .select((eb) => [eb.fn.min('notification_attempts.at').as('at'), 'notifications.created_at'])
        .where('payments.order_id', 'in', alone)
        .groupBy(['notifications.id', 'notifications.created_at'])
        .execute();
      const delays = firstAttempts.map((a) => Number(a.at) - Number(a.created_at)).sort((a, b) => a - b);
      console.log(`[${dialect}] A02-1 first attempts after the capture, one shopper at a time: ${delays} ms`);
      expect(delays).toHaveLength(ALONE);
      expect(delays[ALONE >> 1]).toBeLessThan(200);
      passed = true;
    }, 300_000);
  });
}
