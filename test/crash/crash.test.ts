import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases';
import type { ReceivedPost } from '../support/merchant-stub';
import { injectFaults, runChaos, runStream, SETTLED, settle } from './crash-scenario';
import { type CrashSystem, startCrashSystem } from './crash-system';

/**
 * The crash suite (operations.md, Crash suite; `npm run test:crash`). On PostgreSQL two gateways
 * and three workers share the database, on SQLite one gateway and one worker share the WAL file;
 * with the sandbox they are killed with SIGKILL at random moments while a stream of payments and
 * refunds runs with faults on. Afterwards everything must add up. `CRASH_SEED` replays a run.
 */
const SEED = Number(process.env.CRASH_SEED ?? randomInt(1, 2 ** 31 - 1));
const PAYMENTS = 300;
const TOPOLOGY = { sqlite: { serves: 1, workers: 1 }, postgres: { serves: 2, workers: 3 } } as const;
const BIN = fileURLToPath(new URL('../../bin/kessai.js', import.meta.url));

const PAID = ['CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED'];

console.log(`crash suite seed: ${SEED} (replay with CRASH_SEED=${SEED})`);

for (const dialect of DIALECTS) {
  describe(`crash suite (${dialect}, seed ${SEED})`, () => {
    let system: CrashSystem | undefined;
    let passed = false;
    afterAll(async () => {
      await system?.close(!passed);
    });

    it('keeps every payment, refund and notification right through SIGKILLs and faults', async () => {
      const startedAt = Date.now();
      system = await startCrashSystem(dialect, TOPOLOGY[dialect]);
      const sys = system;
      console.log(`[${dialect}] process logs in ${sys.logDir}`);
      await injectFaults(sys.sandboxUrl);

      let purchases = 0;
      const chaos = runChaos(sys, SEED, {
        minKillsEach: 2,
        enough: () => purchases >= PAYMENTS,
        // The sandbox keeps its faults in memory: a new sandbox gets them again.
        onRestart: async (p) => (p.role === 'sandbox' ? injectFaults(sys.sandboxUrl) : undefined),
      });
      let chaosDone = false;
      const chaosOver = () => {
        chaosDone = true;
      };
      void chaos.then(chaosOver, chaosOver);
      const stream = await runStream(sys, SEED, {
        lanes: 6,
        payments: PAYMENTS,
        keepGoing: () => !chaosDone,
        progress: (n) => (purchases = n),
      });
      const { kills } = await chaos;
      const streamedAt = Date.now();
      console.log(`[${dialect}] stream done in ${Math.round((streamedAt - startedAt) / 1000)} s; settling`);
      const { clockAdvancedMs } = await settle(sys);
      console.log(`[${dialect}] settled in ${Math.round((Date.now() - streamedAt) / 1000)} s`);
      console.log(
        `[${dialect}] ${stream.payments} payments (${stream.attempts} purchase requests), ${stream.refunds} refunds, ${stream.refused} requests met a dead process; ` +
          `${kills.length} kills (${kills.map((k) => k.name).join(', ')}); settled with the clock ${Math.round(clockAdvancedMs / 60_000)} min ahead`,
      );
      const db = sys.database.db;

      // A stream of its size, and every process died more than once.
      expect(stream.payments).toBeGreaterThanOrEqual(PAYMENTS);
      for (const p of sys.processes) expect(p.starts, p.name).toBeGreaterThanOrEqual(3);

      const payments = await db.selectFrom('payments').selectAll().execute();
      expect(payments.length).toBeGreaterThanOrEqual(PAYMENTS);

      // Every payment is final.
      expect(
        payments.filter((p) => !SETTLED.includes(p.status)).map((p) => [p.tracking_id, p.status]),
      ).toEqual([]);

      // No refund total exceeds its payment, and nothing stays reserved.
      const refunds = await db.selectFrom('refunds').selectAll().execute();
      for (const p of payments) {
        const succeeded = refunds
          .filter((r) => r.tracking_id === p.tracking_id && r.status === 'SUCCEEDED')
          .reduce((sum, r) => sum + Number(r.amount), 0);
        expect({
          id: p.tracking_id,
          refunded: Number(p.refunded_amount),
          reserved: p.refund_reserved_amount,
        }).toEqual({ id: p.tracking_id, refunded: succeeded, reserved: 0 });
        expect(succeeded).toBeLessThanOrEqual(p.amount);
      }
      expect(refunds.filter((r) => r.status === 'SUCCEEDED').length).toBeGreaterThan(10);

      // Gateway and sandbox agree on every payment's state and refund total.
      const sandbox = new Sqlite(sys.sandboxFile, { readonly: true });
      try {
        const orderOf = sandbox.prepare(
          'SELECT payment_id, status, reversed FROM sandbox_orders WHERE payment_request_id = ?',
        );
        const refundedAt = sandbox.prepare(
          "SELECT coalesce(sum(amount), 0) AS total FROM sandbox_refunds WHERE payment_id = ? AND status = 'SUCCESS'",
        );
        const disagreements = [];
        for (const p of payments) {
          const order = p.payment_request_id
            ? (orderOf.get(p.payment_request_id) as
                | { payment_id: string; status: string; reversed: number }
                | undefined)
            : undefined;
          const sandboxRefunded = order
            ? Number((refundedAt.get(order.payment_id) as { total: number }).total)
            : 0;
          const agrees = PAID.includes(p.status)
            ? order?.status === 'SUCCESS' && order.reversed === 0
            : p.status === 'FAILED'
              ? order?.status === 'FAIL'
              : order === undefined || order.status === 'CLOSED';
          if (!agrees || sandboxRefunded !== Number(p.refunded_amount)) {
            disagreements.push({
              trackingId: p.tracking_id,
              gateway: [p.status, Number(p.refunded_amount)],
              sandbox: order ? [order.status, order.reversed, sandboxRefunded] : null,
            });
          }
        }
        expect(disagreements).toEqual([]);

        // No job ran twice at once: calls to the sandbox under one request id never overlap (a call
        // the sandbox held past the gateway's time-out is the one exception: the gateway re-sent it).
        const calls = sandbox
          .prepare(
            "SELECT api, request_id, at, duration_ms, fault FROM sandbox_api_calls WHERE request_id IS NOT NULL AND coalesce(fault, '') <> 'timeout' ORDER BY api, request_id, at",
          )
          .all() as Array<{ api: string; request_id: string; at: number; duration_ms: number }>;
        const overlapping = calls.filter((call, i) => {
          const before = calls[i - 1];
          return (
            before &&
            before.api === call.api &&
            before.request_id === call.request_id &&
            before.at + before.duration_ms > call.at
          );
        });
        const perRequest = new Map<string, number>();
        for (const c of calls)
          perRequest.set(`${c.api} ${c.request_id}`, (perRequest.get(`${c.api} ${c.request_id}`) ?? 0) + 1);
        console.log(
          `[${dialect}] ${calls.length} sandbox calls under ${perRequest.size} request ids, at most ${Math.max(...perRequest.values())} per id`,
        );
        expect(overlapping).toEqual([]);
      } finally {
        sandbox.close();
      }

      // Every final payment's A02-1 arrived at least once, with identical content each time.
      const received = new Map<string, ReceivedPost[]>();
      for (const n of sys.merchant.notifications) {
        expect(n.hashValid).toBe(true);
        const orderId = n.fields.order_id ?? '';
        received.set(orderId, [...(received.get(orderId) ?? []), n]);
      }
      for (const p of payments) {
        const posts = received.get(p.order_id) ?? [];
        expect(posts.length, `A02-1 for ${p.tracking_id} (${p.status})`).toBeGreaterThanOrEqual(1);
        for (const post of posts) {
          expect(post.fields, `A02-1 of ${p.tracking_id}`).toEqual(posts[0]!.fields);
          expect(post.raw.equals(posts[0]!.raw), `A02-1 of ${p.tracking_id}`).toBe(true);
        }
      }

      // No job is left leased.
      const leased = await db
        .selectFrom('jobs')
        .select(['id', 'kind', 'status', 'locked_by'])
        .where((eb) => eb.or([eb('status', '=', 'RUNNING'), eb('locked_by', 'is not', null)]))
        .execute();
      expect(leased).toEqual([]);

      // Killed processes cost requests, never an unhandled error (HTTP 500) in a living one.
      expect(stream.unhandled).toEqual([]);

      // No SQLITE_BUSY reached a log line or an answer.
      const busy = /SQLITE_BUSY|database is locked/;
      for (const p of sys.processes) expect(busy.test(p.output), `${p.name} log`).toBe(false);
      expect(stream.answers.filter((a) => busy.test(a))).toEqual([]);

      // The ledger holds, and reconcile finds gateway and Alipay+ in agreement.
      const cliEnv = { PATH: process.env.PATH ?? '', ...sys.env };
      const ledger = spawnSync(process.execPath, [BIN, 'ledger', 'check'], { env: cliEnv, encoding: 'utf8' });
      expect(ledger.status, ledger.stdout + ledger.stderr).toBe(0);
      const reconcile = spawnSync(process.execPath, [BIN, 'reconcile', '--since', '1d', '--json'], {
        env: cliEnv,
        encoding: 'utf8',
      });
      expect(reconcile.status, reconcile.stdout + reconcile.stderr).toBe(0);
      passed = true;
    });
  });
}
