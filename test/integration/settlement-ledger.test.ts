import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedPayments } from '../../src/admin/demo-data';
import type { PaymentRow, RefundRow } from '../../src/db/database';
import { DomainError } from '../../src/kernel/errors';
import { jstDate } from '../../src/kernel/jst';
import type { Yen } from '../../src/kernel/money';
import { seedDemoData } from '../../src/merchants/demo-seed';
import { recordTransition } from '../../src/payments/record-transition';
import { finishRefund } from '../../src/refunds/refund.repository';
import { addServiceFee } from '../../src/settlement/fee.repository';
import {
  ACCOUNTS,
  accountBalance,
  merchantPayable,
  reverseEntry,
} from '../../src/settlement/ledger.repository';
import { backfillLedger } from '../../src/settlement/ledger-backfill';
import { checkLedger } from '../../src/settlement/ledger-check';
import { registerSettlementCommands } from '../../src/settlement/settlement-cli';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';
import { capturedAt, refundedAt, reservedRefund, succeededRefund } from '../support/settlement-fixtures';
import { capturedPayment, type Stack, startStack } from '../support/stack';
import { paymentRow } from './admin-client';

/**
 * The double-entry ledger on both databases (settlement.md, Money model): what a capture and a
 * refund book, in the transaction of the state change; the invariants `kessai ledger check`
 * proves, and that it finds each kind of breach.
 */
const DAY = 86_400_000;
const MERCHANT = '30000';
const SERVICE = '001';

for (const dialect of DIALECTS) {
  describe(`ledger (${dialect})`, () => {
    let database: TestDatabase;
    const now = new Date();
    const db = () => database.db;

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      await seedDemoData(db(), now, {});
    });
    afterEach(async () => {
      await database?.close();
    });

    const captured = (amount: number, at = now) => capturedAt(db(), amount, at);
    /** Reserves a refund (PROCESSING) the way the refund service does. */
    const reserved = (payment: PaymentRow, amount: number) => reservedRefund(db(), payment, amount, now);
    const succeed = (refund: RefundRow, at = now) => succeededRefund(db(), refund, at);
    const refunded = (payment: PaymentRow, amount: number) => refundedAt(db(), payment, amount, now);

    async function linesOf(sourceKey: string): Promise<Record<string, number>> {
      const rows = await db()
        .selectFrom('ledger_lines as l')
        .innerJoin('ledger_entries as e', 'e.entry_id', 'l.entry_id')
        .select(['l.account_id', 'l.amount'])
        .where('e.source_key', '=', sourceKey)
        .execute();
      return Object.fromEntries(rows.map((r) => [r.account_id, Number(r.amount)]));
    }

    const setFee = (rateBps: number, fixedFee = 0, effectiveFrom = jstDate(now)) =>
      addServiceFee(
        db(),
        { merchantId: MERCHANT, serviceId: SERVICE, effectiveFrom, rateBps, fixedFee, createdBy: 'test' },
        now,
      );

    async function expectClean(): Promise<void> {
      const report = await checkLedger(db());
      expect(report.violations).toEqual([]);
    }

    it('books a capture: receivable debited, the merchant credited the amount less the fee, fee revenue credited', async () => {
      await setFee(325, 10);
      const p = await captured(10_000);
      expect(await linesOf(`capture:${p.tracking_id}`)).toEqual({
        [ACCOUNTS.alipayplusReceivable]: 10_000,
        [merchantPayable(MERCHANT)]: -9_665,
        [ACCOUNTS.feeRevenue]: -335,
      });
      await expectClean();
    });

    it('charges nothing to a service without a fee setting', async () => {
      const p = await captured(1_500);
      expect(await linesOf(`capture:${p.tracking_id}`)).toEqual({
        [ACCOUNTS.alipayplusReceivable]: 1_500,
        [merchantPayable(MERCHANT)]: -1_500,
      });
    });

    it('applies a fee setting from its effective date on, and the latest one recorded for a date', async () => {
      await setFee(300);
      await setFee(325); // the same date, recorded later: replaces the first from that date
      await setFee(400, 0, jstDate(new Date(now.getTime() + DAY)));
      const today = await captured(10_000);
      const tomorrow = await captured(10_000, new Date(now.getTime() + DAY));
      expect((await linesOf(`capture:${today.tracking_id}`))[ACCOUNTS.feeRevenue]).toBe(-325);
      expect((await linesOf(`capture:${tomorrow.tracking_id}`))[ACCOUNTS.feeRevenue]).toBe(-400);
      await expectClean();
    });

    it('refuses a negative, back-dated or unknown-service fee setting and records nothing', async () => {
      const refused = async (work: Promise<unknown>) => {
        const error = await work.then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).code).toBe('INVALID_FEE_SETTING');
        return (error as DomainError).message;
      };
      expect(await refused(setFee(-5))).toMatch(/negative fee/);
      expect(await refused(setFee(325, -1))).toMatch(/negative fee/);
      expect(await refused(setFee(325, 0, jstDate(new Date(now.getTime() - DAY))))).toMatch(/in the past/);
      expect(await refused(setFee(325, 0, '2026-02-30'))).toMatch(/YYYY-MM-DD/);
      expect(
        await refused(
          addServiceFee(
            db(),
            {
              merchantId: MERCHANT,
              serviceId: '999',
              effectiveFrom: jstDate(now),
              rateBps: 1,
              fixedFee: 0,
              createdBy: 't',
            },
            now,
          ),
        ),
      ).toMatch(/no service 999/);
      expect(await db().selectFrom('service_fees').selectAll().execute()).toEqual([]);
    });

    it('returns the floored proportional fee on partial refunds and the rest on the completing one', async () => {
      await setFee(325);
      const p = await captured(10_000);
      const refunds = [await refunded(p, 3_000), await refunded(p, 3_000), await refunded(p, 4_000)];
      const returned = await Promise.all(
        refunds.map(async (r) => (await linesOf(`refund:${r.refund_id}`))[ACCOUNTS.feeRevenue]),
      );
      expect(returned).toEqual([97, 97, 131]);
      expect(await linesOf(`refund:${refunds[0]!.refund_id}`)).toEqual({
        [merchantPayable(MERCHANT)]: 2_903,
        [ACCOUNTS.feeRevenue]: 97,
        [ACCOUNTS.refundClearing]: -3_000,
      });
      expect(await accountBalance(db(), merchantPayable(MERCHANT))).toBe(0);
      expect(await accountBalance(db(), ACCOUNTS.feeRevenue)).toBe(0);
      await expectClean();
    });

    it('books nothing for a refund that failed', async () => {
      const p = await captured(2_000);
      const refund = await reserved(p, 500);
      await db()
        .transaction()
        .execute((tx) =>
          finishRefund(tx, refund, { status: 'FAILED', resultCode: 'REFUND_NOT_ALLOWED' }, now),
        );
      expect(await linesOf(`refund:${refund.refund_id}`)).toEqual({});
      await expectClean();
    });

    it('posts in the transaction of the state change: a capture rolled back leaves no entry', async () => {
      const row = paymentRow({ status: 'IN_PROGRESS', amount: 5_000 });
      await db().insertInto('payments').values(row).execute();
      await expect(
        db()
          .transaction()
          .execute(async (tx) => {
            await recordTransition(tx, {
              trackingId: row.tracking_id,
              from: 'IN_PROGRESS',
              to: 'CAPTURED',
              cause: 't',
              now,
            });
            throw new Error('crash after the update');
          }),
      ).rejects.toThrow('crash after the update');
      expect(await linesOf(`capture:${row.tracking_id}`)).toEqual({});
      await expectClean();
    });

    it('keeps entries append-only: updates and deletes are refused; a reversal mirrors an entry once', async () => {
      const p = await captured(1_000);
      await expect(db().updateTable('ledger_lines').set({ amount: 1 }).execute()).rejects.toThrow(
        /append-only/,
      );
      await expect(db().deleteFrom('ledger_lines').execute()).rejects.toThrow(/append-only/);
      await expect(db().updateTable('ledger_entries').set({ memo: 'x' }).execute()).rejects.toThrow(
        /append-only/,
      );
      await expect(db().deleteFrom('ledger_entries').execute()).rejects.toThrow(/append-only/);
      const { entry_id } = await db()
        .selectFrom('ledger_entries')
        .select('entry_id')
        .where('source_key', '=', `capture:${p.tracking_id}`)
        .executeTakeFirstOrThrow();
      const reversal = await reverseEntry(db(), Number(entry_id), 'booked in error', now);
      expect(await linesOf(`reversal:${entry_id}`)).toEqual({
        [ACCOUNTS.alipayplusReceivable]: -1_000,
        [merchantPayable(MERCHANT)]: 1_000,
      });
      expect(reversal).toBeGreaterThan(Number(entry_id));
      await expect(reverseEntry(db(), Number(entry_id), 'again', now)).rejects.toThrow();
      // The payment is captured but the ledger no longer says so: the check says which.
      const report = await checkLedger(db());
      expect(report.violations.map((v) => v.rule).sort()).toEqual([
        'merchant-payable-mismatch',
        'payment-mismatch',
      ]);
    });

    it('keeps every invariant under concurrent refunds of one payment and of many', async () => {
      await setFee(325, 5);
      const single = await captured(9_999); // fee ⌊324.96⌋ + 5 = 329
      const parts = [1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 999];
      const singleRefunds = [];
      for (const part of parts) singleRefunds.push(await reserved(single, part));
      const many = await Promise.all([1_111, 2_222, 3_333, 4_444, 5_555].map((a) => captured(a)));
      const manyRefunds = await Promise.all(many.map((p) => reserved(p, Math.ceil(p.amount / 2))));
      await Promise.all([...singleRefunds, ...manyRefunds].map((r) => succeed(r)));

      const fees = await db()
        .selectFrom('ledger_lines as l')
        .innerJoin('ledger_entries as e', 'e.entry_id', 'l.entry_id')
        .select(['e.kind', 'l.amount'])
        .where('e.tracking_id', '=', single.tracking_id)
        .where('l.account_id', '=', ACCOUNTS.feeRevenue)
        .execute();
      expect(fees.filter((f) => f.kind === 'CAPTURE').map((f) => Number(f.amount))).toEqual([-329]);
      const returned = fees.filter((f) => f.kind === 'REFUND').map((f) => Number(f.amount));
      expect(returned.reduce((s, x) => s + x, 0)).toBe(329);
      const payment = await db()
        .selectFrom('payments')
        .select(['status', 'refunded_amount'])
        .where('tracking_id', '=', single.tracking_id)
        .executeTakeFirstOrThrow();
      expect(payment).toEqual({ status: 'REFUNDED', refunded_amount: 9_999 });
      await expectClean();
    });

    it('finds each kind of breach', async () => {
      await setFee(325);
      const good = await captured(10_000);
      await refunded(good, 1_000);
      // A payment captured without going through the ledger, a refund marked succeeded by hand,
      // and an entry that does not balance.
      const stray = paymentRow({ status: 'CAPTURED', amount: 700 });
      await db().insertInto('payments').values(stray).execute();
      const refund = await reserved(good, 500);
      await db()
        .updateTable('refunds')
        .set({ status: 'SUCCEEDED' })
        .where('refund_id', '=', refund.refund_id)
        .execute();
      const { entry_id } = await db()
        .insertInto('ledger_entries')
        .values({
          kind: 'CAPTURE',
          source_key: 'hand-made',
          merchant_id: MERCHANT,
          tracking_id: null,
          refund_id: null,
          reverses_entry_id: null,
          business_date: jstDate(now),
          memo: 'one-sided',
          posted_at: now.getTime(),
        })
        .returning('entry_id')
        .executeTakeFirstOrThrow();
      await db()
        .insertInto('ledger_lines')
        .values({ entry_id: Number(entry_id), account_id: ACCOUNTS.bank, amount: 5 })
        .execute();

      const report = await checkLedger(db());
      const found = report.violations.map((v) => `${v.rule} ${v.subject}`);
      expect(found).toEqual([
        `unbalanced-entry entry ${entry_id}`,
        `payment-mismatch payment ${stray.tracking_id}`,
        `refund-mismatch refund ${refund.refund_id}`,
        `merchant-payable-mismatch merchant ${MERCHANT}`,
      ]);
      expect(report.violations[3]!.detail).toBe(
        'payable ¥8707 ≠ captured ¥10700 − refunded ¥1500 − fees ¥293 − paid out ¥0 = ¥8907',
      );
    });

    it('books payments recorded without the ledger as the hooks would have, once', async () => {
      await setFee(325);
      const hooked = await captured(10_000);
      for (const part of [3_000, 3_000, 4_000]) await refunded(hooked, part);
      // The same story written straight into the tables, as a bulk load does.
      const loaded = paymentRow({
        status: 'REFUNDED',
        amount: 10_000,
        refunded_amount: 10_000,
        paid_at: now.getTime(),
      });
      await db().insertInto('payments').values(loaded).execute();
      const rows = [3_000, 3_000, 4_000].map((amount, i) => ({
        refund_id: `BACKFILL${i}`.padEnd(32, '0'),
        tracking_id: loaded.tracking_id,
        merchant_id: MERCHANT,
        service_id: SERVICE,
        amount,
        status: 'SUCCEEDED' as const,
        refund_request_id: `KSRBACKFILL${i}`,
        replay_key: null,
        channel: 'CONSOLE',
        requested_by: 'test',
        result_code: 'SUCCESS',
        processing_datetime: null,
        created_at: now.getTime() + i,
        updated_at: now.getTime() + i,
        completed_at: now.getTime() + i,
      }));
      await db().insertInto('refunds').values(rows).execute();
      expect((await checkLedger(db())).violations).not.toEqual([]);

      expect(await backfillLedger(db())).toBe(1);
      expect(await backfillLedger(db())).toBe(0);
      const feeLines = async (trackingId: string) =>
        (
          await db()
            .selectFrom('ledger_lines as l')
            .innerJoin('ledger_entries as e', 'e.entry_id', 'l.entry_id')
            .select('l.amount')
            .where('e.tracking_id', '=', trackingId)
            .where('l.account_id', '=', ACCOUNTS.feeRevenue)
            .orderBy('e.entry_id')
            .execute()
        ).map((r) => Number(r.amount));
      expect(await feeLines(loaded.tracking_id)).toEqual([-325, 97, 97, 131]);
      expect(await feeLines(loaded.tracking_id)).toEqual(await feeLines(hooked.tracking_id));
      await expectClean();
    });

    it('books the payments `kessai demo-data` loads', async () => {
      await seedPayments(db(), dialect, { count: 400, merchantId: MERCHANT, serviceId: SERVICE, seed: 7 });
      const report = await checkLedger(db());
      expect(report.violations).toEqual([]);
      expect(report.entries).toBeGreaterThan(250);
    });

    it('`kessai ledger check` prints the balances and exits 1 while any invariant is broken', async () => {
      await setFee(325);
      await captured(10_000);
      const run = async () => {
        let text = '';
        const program = new Command().exitOverride();
        registerSettlementCommands(program, { withDatabase: (work) => work(db()), out: (t) => (text += t) });
        process.exitCode = 0;
        await program.parseAsync(['node', 'kessai', 'ledger', 'check']);
        const code = process.exitCode;
        process.exitCode = 0;
        return { text, code };
      };
      const ok = await run();
      expect(ok.code).toBe(0);
      expect(ok.text).toMatch(/checked 1 entries \(3 lines\) against 1 payments and 0 refunds/);
      expect(ok.text).toMatch(/fee_revenue\s+-325/);
      expect(ok.text).toMatch(/^OK: /m);
      await db()
        .insertInto('payments')
        .values(paymentRow({ status: 'CAPTURED', amount: 700 }))
        .execute();
      const broken = await run();
      expect(broken.code).toBe(1);
      expect(broken.text).toMatch(/FAILED: 2 violation\(s\)/);
    });
  });

  describe(`ledger through the gateway and the sandbox (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect);
      await addServiceFee(
        stack.database.db,
        {
          merchantId: MERCHANT,
          serviceId: SERVICE,
          effectiveFrom: jstDate(stack.clock.now()),
          rateBps: 360,
          fixedFee: 0,
          createdBy: 'test',
        },
        stack.clock.now(),
      );
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('books real captures and refunds so that the ledger agrees with payments and refunds', async () => {
      const refunds = stack.runtime.refunds!;
      const payment = await capturedPayment(stack);
      const refund = (amount: number | null) =>
        refunds.refund({
          merchantId: payment.merchant_id,
          serviceId: payment.service_id,
          trackingId: payment.tracking_id,
          amount: amount as Yen | null,
          channel: 'XML_API',
          requestedBy: 'test',
          replayKey: null,
        });
      await refund(500);
      await refund(null);
      const other = await capturedPayment(stack);
      const report = await checkLedger(stack.database.db);
      expect(report.violations).toEqual([]);
      // ¥1,500 at 3.60 %: ¥54 charged, ¥18 back with ¥500, ¥36 back with the rest; the other keeps its ¥54.
      expect(await accountBalance(stack.database.db, ACCOUNTS.feeRevenue)).toBe(-54);
      expect(await accountBalance(stack.database.db, merchantPayable(MERCHANT))).toBe(-(other.amount - 54));
      expect(await accountBalance(stack.database.db, ACCOUNTS.refundClearing)).toBe(-1_500);
    });
  });
}
