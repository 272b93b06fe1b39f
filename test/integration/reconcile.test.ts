import { Writable } from 'node:stream';
import { Command } from 'commander';
import type { Updateable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlipayPlusConnector } from '../../src/app/alipayplus-provider';
import { loadConfig } from '../../src/app/config';
import { gatewayKeys } from '../../src/app/keys';
import { openDatabase } from '../../src/db/connection';
import type { Database, PaymentRow, PaymentTable } from '../../src/db/database';
import { systemClock } from '../../src/kernel/clock';
import { registerReconcileCommand } from '../../src/reconcile/reconcile-cli';
import type { DiscrepancyKind } from '../../src/reconcile/reconcile-rules';
import { runKessai } from '../support/cli';
import { DIALECTS } from '../support/databases';
import { enableXmlApi, refundOverXmlApi } from '../support/merchant-api';
import { capturedPayment, eventually, type Stack, simulatePay, startStack } from '../support/stack';

/**
 * `kessai reconcile` as an operator runs it: a process of its own, on the gateway's database,
 * asking the Alipay+ sandbox through `inquiryPayment` only (operations.md, Reconcile).
 */
interface Report {
  payments: number;
  inquired: number;
  pending: number;
  discrepancies: Array<{ kind: DiscrepancyKind; trackingId: string; refundRequestId?: string }>;
}

const DAY_MS = 86_400_000;

for (const dialect of DIALECTS) {
  describe(`kessai reconcile (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
      await enableXmlApi(stack);
    });
    afterAll(async () => {
      await stack?.close();
    });

    const reconcile = async (...args: string[]) => {
      const result = await runKessai(['reconcile', '--json', ...args], stack.cliEnv);
      expect(result.stderr).toBe('');
      return { code: result.code, report: JSON.parse(result.stdout) as Report };
    };
    const fault = (body: Record<string, unknown>) =>
      fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const clearFaults = () => fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, { method: 'DELETE' });

    async function refusedPayment(user: string): Promise<PaymentRow> {
      const fields = stack.purchaseFields();
      const response = await stack.postPurchase(fields);
      await simulatePay(stack, { cashierUrl: response.headers.get('location')!, user });
      const orderId = fields.order_id!;
      await eventually(async () => (await stack.payment({ orderId })).status === 'FAILED');
      return stack.payment({ orderId });
    }

    it('finds no discrepancy when every payment and refund agrees with Alipay+, and exits 0', async () => {
      const partly = await capturedPayment(stack);
      expect((await refundOverXmlApi(stack, partly.tracking_id, 500)).res_result).toBe('OK');
      expect((await refundOverXmlApi(stack, partly.tracking_id, 300)).res_result).toBe('OK');
      const whole = await capturedPayment(stack);
      expect((await refundOverXmlApi(stack, whole.tracking_id)).res_result).toBe('OK');
      await capturedPayment(stack);
      await refusedPayment('nofunds');
      await refusedPayment('risk');
      // Left at the wallet selection screen: never sent to Alipay+, nothing to ask about.
      const fields = stack.purchaseFields({ pay_method: '' });
      const selection = (await stack.postPurchase(fields)).headers.get('location')!;
      await fetch(`${stack.gatewayUrl}${selection}/cancel`, { method: 'POST' });

      const { code, report } = await reconcile();
      expect(report).toEqual({
        since: expect.any(String),
        payments: 6,
        inquired: 5,
        pending: 0,
        discrepancies: [],
      });
      expect(code).toBe(0);
    });

    it('draws a progress bar on a terminal only, and none with --json', async () => {
      const run = async (args: string[], terminal: boolean) => {
        const config = loadConfig(stack.cliEnv, 'demo');
        const drawn: string[] = [];
        const printed: string[] = [];
        const progress = Object.assign(
          new Writable({
            write(chunk, _encoding, done) {
              drawn.push(String(chunk));
              done();
            },
          }),
          { isTTY: terminal },
        );
        const program = new Command('kessai').exitOverride();
        registerReconcileCommand(program, {
          open: async () =>
            openDatabase<Database>(stack.database.url, { searchPath: stack.database.searchPath }),
          ledger: () => createAlipayPlusConnector(config, gatewayKeys(config), systemClock),
          out: (text) => printed.push(text),
          progress,
          exitWith: (code) => printed.push(`exit ${code}`),
        });
        await program.parseAsync(['node', 'kessai', 'reconcile', ...args]);
        return { drawn: drawn.join(''), printed: printed.join('') };
      };
      const onTerminal = await run([], true);
      expect(onTerminal.drawn).toContain('reconcile [');
      expect(onTerminal.drawn).toMatch(/ 6\/6/);
      expect(onTerminal.printed).toMatch(
        /^6 payment\(s\) since .*: 5 checked with Alipay\+, 0 still in progress, 0 discrepancies\n$/,
      );
      expect((await run(['--json'], true)).drawn).toBe('');
      expect((await run([], false)).drawn).toBe('');
    });

    it('asks again after an unreadable answer, and reports UNVERIFIED while Alipay+ keeps failing', async () => {
      await fault({ api: 'inquiryPayment', mode: 'unknown', count: 1 });
      expect((await reconcile()).code).toBe(0);

      await fault({ api: 'inquiryPayment', mode: 'http500', count: 1_000 });
      try {
        const { code, report } = await reconcile();
        expect(code).toBe(1);
        expect(report.discrepancies).toHaveLength(report.inquired);
        expect(new Set(report.discrepancies.map((d) => d.kind))).toEqual(new Set(['UNVERIFIED']));
      } finally {
        await clearFaults();
      }
    });

    it('counts a refund whose answer was lost as in progress, not as a discrepancy', async () => {
      const payment = await capturedPayment(stack);
      await fault({ api: 'refund', mode: 'timeout', delayMs: 100, count: 1 });
      await refundOverXmlApi(stack, payment.tracking_id, 100);
      const refund = await stack.database.db
        .selectFrom('refunds')
        .selectAll()
        .where('tracking_id', '=', payment.tracking_id)
        .executeTakeFirstOrThrow();
      // Alipay+ made the refund; the gateway re-sends it later (its job) and learns so.
      expect(refund.status).toBe('PROCESSING');
      const { code, report } = await reconcile();
      expect(report.pending).toBe(1);
      expect(report.discrepancies).toEqual([]);
      expect(code).toBe(0);
    });

    it("reports each way the gateway's database can disagree with Alipay+, and exits 1", async () => {
      const db = stack.database.db;
      const alter = (payment: PaymentRow, values: Updateable<PaymentTable>) =>
        db.updateTable('payments').set(values).where('tracking_id', '=', payment.tracking_id).execute();
      const failed = await capturedPayment(stack);
      await alter(failed, { status: 'FAILED' });
      const repriced = await capturedPayment(stack);
      await alter(repriced, { amount: 1501 });
      const forgotten = await capturedPayment(stack);
      await refundOverXmlApi(stack, forgotten.tracking_id, 500);
      await db
        .updateTable('refunds')
        .set({ status: 'FAILED' })
        .where('tracking_id', '=', forgotten.tracking_id)
        .execute();
      await alter(forgotten, { status: 'CAPTURED', refunded_amount: 0 });
      const invented = await capturedPayment(stack);
      const now = Date.now();
      await db
        .insertInto('refunds')
        .values({
          refund_id: `R${now}`,
          tracking_id: invented.tracking_id,
          merchant_id: invented.merchant_id,
          service_id: invented.service_id,
          amount: 200,
          status: 'SUCCEEDED',
          refund_request_id: `RR${now}`,
          replay_key: null,
          channel: 'xml-api',
          requested_by: 'test',
          result_code: 'SUCCESS',
          processing_datetime: null,
          created_at: now,
          updated_at: now,
          completed_at: now,
        })
        .execute();
      await alter(invented, { status: 'PARTIALLY_REFUNDED', refunded_amount: 200 });

      const { code, report } = await reconcile();
      expect(code).toBe(1);
      const kindsOf = (payment: PaymentRow) =>
        report.discrepancies.filter((d) => d.trackingId === payment.tracking_id).map((d) => d.kind);
      expect(kindsOf(failed)).toEqual(['PAYMENT_STATE']);
      expect(kindsOf(repriced)).toEqual(['PAYMENT_AMOUNT']);
      expect(kindsOf(forgotten)).toEqual(['REFUND_NOT_IN_GATEWAY', 'REFUND_TOTAL']);
      expect(kindsOf(invented)).toEqual(['REFUND_NOT_AT_ALIPAYPLUS', 'REFUND_TOTAL']);
      expect(report.discrepancies).toHaveLength(6);

      const human = await runKessai(['reconcile'], stack.cliEnv);
      expect(human.code).toBe(1);
      const lines = human.stdout.trim().split('\n');
      expect(lines).toHaveLength(7);
      expect(lines[0]).toMatch(
        new RegExp(
          `^PAYMENT_STATE: payment ${failed.tracking_id} .* gateway: FAILED, 1500 JPY; Alipay\\+: paid, 1500 JPY$`,
        ),
      );
      expect(lines[6]).toMatch(/ 6 discrepancies$/);

      // Outside the window, the same rows are not looked at.
      const old = now - 3 * DAY_MS;
      const moved = [failed, repriced, forgotten, invented].map((p) => p.tracking_id);
      await db.updateTable('payments').set({ received_at: old }).where('tracking_id', 'in', moved).execute();
      await db.updateTable('refunds').set({ created_at: old }).where('tracking_id', 'in', moved).execute();
      expect((await reconcile('--since', '24h')).code).toBe(0);
      expect((await reconcile('--since', '4d')).report.discrepancies).toHaveLength(6);
      // Four runs of the command, each a process of its own: slow on a busy machine.
    }, 120_000);

    it('refuses a --since it cannot read, with a clear message', async () => {
      const result = await runKessai(['reconcile', '--since', 'yesterday'], stack.cliEnv);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        "option '--since <when>' argument 'yesterday' is invalid. expected a span back from now (30m, 24h, 7d)",
      );
      expect(result.stdout).toBe('');
    });
  });
}
