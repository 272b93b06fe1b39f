import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addDays,
  clearingBatchId,
  clearingDay,
  deliveryTime,
  reportDirectory,
  settlementBatchId,
  settlementDate,
  type TransactionItem,
  writeReport,
} from '../../src/alipayplus/settlement-reports';
import type { PaymentRow } from '../../src/db/database';
import { registerReconcileCommand } from '../../src/reconcile/reconcile-cli';
import { listDiscrepancies, recordDiscrepancy } from '../../src/settlement/discrepancy.repository';
import { ACCOUNTS, accountBalance } from '../../src/settlement/ledger.repository';
import { checkLedger } from '../../src/settlement/ledger-check';
import { registerReportCommands } from '../../src/settlement/report-cli';
import { fetchReports, type ReportSource } from '../../src/settlement/report-fetch';
import { registerSettlementCommands } from '../../src/settlement/settlement-cli';
import { DIALECTS } from '../support/databases';
import { enableXmlApi, refundOverXmlApi } from '../support/merchant-api';
import {
  fetchDate as fetchDateOf,
  injectReportFault,
  moveClocksTo,
  reportSource,
  settleDay,
} from '../support/reports';
import { capturedPayment, eventually, freePort, type Stack, startStack } from '../support/stack';
import { ConsoleClient, seedConsole, TEST_PASSWORD } from './admin-client';

/**
 * Alipay+'s reports end to end on both databases (settlement.md): the sandbox writes them on its
 * clock and serves them over SFTP, the gateway fetches them, stores each file once, reconciles
 * every line and posts the settlement; each fault mode is found by reconciliation, and every bad
 * input is refused with nothing stored.
 */
const HOUR = 3_600_000;

for (const dialect of DIALECTS) {
  describe(`settlement reports (${dialect})`, () => {
    let stack: Stack;
    let source: ReportSource;
    let root: string;
    const db = () => stack.database.db;

    beforeAll(async () => {
      stack = await startStack(dialect);
      await enableXmlApi(stack);
      source = reportSource(stack);
      root = join(stack.runtime.config.dataDir, 'sandbox-reports', source.participantId);
    }, 60_000);
    afterAll(async () => {
      await stack?.close();
    });

    const today = () => clearingDay(stack.clock.now().getTime());

    const moveTo = (at: number) => moveClocksTo(stack, at);
    const fetchDate = (date: string) => fetchDateOf(stack, date);
    const settle = (day: string) => settleDay(stack, day);
    const injectFault = (mode: string) => injectReportFault(stack, mode);

    const open = async () => listDiscrepancies(db(), { status: 'OPEN' });
    const openOf = async (kind: string) => (await open()).filter((d) => d.kind === kind);
    const linesOf = (payment: PaymentRow) =>
      db()
        .selectFrom('settlement_report_lines')
        .selectAll()
        .where('tracking_id', '=', payment.tracking_id)
        .execute();

    async function expectLedgerHolds(): Promise<void> {
      const report = await checkLedger(db(), { limit: 10 });
      expect(report.violations).toEqual([]);
    }

    it('matches every line of a clean day and books the settlement into the bank, nothing in suspense', async () => {
      const day = today();
      const first = await capturedPayment(stack, { amount: '1000' });
      const second = await capturedPayment(stack, { amount: '2500' });
      await refundOverXmlApi(stack, first.tracking_id, 300);
      await eventually(
        async () => (await stack.payment({ orderId: first.order_id })).refunded_amount === 300,
      );
      const bankBefore = await accountBalance(db(), ACCOUNTS.bank);
      const receivableBefore = await accountBalance(db(), ACCOUNTS.alipayplusReceivable);

      await settle(day);

      for (const payment of [first, second]) {
        const lines = await linesOf(payment);
        expect(lines.map((l) => l.outcome)).toContain('MATCHED');
        expect(lines.every((l) => l.outcome === 'MATCHED')).toBe(true);
      }
      const files = await db().selectFrom('settlement_report_files').select(['file_name', 'kind']).execute();
      const batch = clearingBatchId(day);
      expect(
        files
          .filter((f) => f.file_name.includes(batch))
          .map((f) => f.kind)
          .sort(),
      ).toEqual(['feeItems', 'transactionItems']);
      expect(files.some((f) => f.kind === 'settlement')).toBe(true);
      // 3,500 paid − 300 refunded; Alipay+'s fee is 30 bp of each payment, floored: ¥3 + ¥7.
      expect((await accountBalance(db(), ACCOUNTS.bank)) - bankBefore).toBe(3200 - 10);
      expect((await accountBalance(db(), ACCOUNTS.alipayplusReceivable)) - receivableBefore).toBe(-3500);
      expect(await accountBalance(db(), ACCOUNTS.settlementSuspense)).toBe(0);
      expect(await open()).toEqual([]);
      await expectLedgerHolds();

      // Fetched again, nothing changes: each file is stored once.
      const again = await fetchDate(addDays(day, 1));
      expect(again.stored).toEqual([]);
      expect(again.unchanged.length).toBeGreaterThan(0);
    });

    it('missingLine: the payment left out of the report is missing in the report; its receivable stays open', async () => {
      await injectFault('missingLine');
      const day = today();
      const payment = await capturedPayment(stack, { amount: '1200' });
      const suspenseBefore = await accountBalance(db(), ACCOUNTS.settlementSuspense);
      await settle(day);
      const missing = await openOf('MISSING_IN_REPORT');
      expect(missing.map((d) => d.tracking_id)).toEqual([payment.tracking_id]);
      expect(missing[0]!.detail).toContain('¥1200');
      expect(await linesOf(payment)).toEqual([]);
      // Alipay+ paid only what it reported: nothing forced into suspense, the ¥1,200 still owed.
      expect(await accountBalance(db(), ACCOUNTS.settlementSuspense)).toBe(suspenseBefore);
      await expectLedgerHolds();
    });

    it('duplicateLine: the second listing is a duplicate and the overpayment sits in suspense', async () => {
      await injectFault('duplicateLine');
      const day = today();
      const payment = await capturedPayment(stack, { amount: '1500' });
      const suspenseBefore = await accountBalance(db(), ACCOUNTS.settlementSuspense);
      await settle(day);
      expect((await linesOf(payment)).map((l) => l.outcome).sort()).toEqual(['DUPLICATE', 'MATCHED']);
      // The transaction and its fee are both listed twice.
      const duplicates = await openOf('DUPLICATE');
      expect(duplicates.map((d) => d.tracking_id)).toEqual([payment.tracking_id, payment.tracking_id]);
      expect(duplicates.filter((d) => d.subject.startsWith('fee:feeItems_')).length).toBe(1);
      const difference = (await openOf('SETTLEMENT_DIFFERENCE')).at(0);
      expect([difference?.ours, difference?.theirs]).toEqual(['1500', '3000']);
      const fee = (await openOf('FEE_DIFFERENCE')).at(0);
      expect([fee?.ours, fee?.theirs]).toEqual(['4', '8']);
      // Alipay+ paid ¥3,000 − ¥8 for a ¥1,500 payment whose fee is ¥4: ¥1,496 too much, held.
      expect((await accountBalance(db(), ACCOUNTS.settlementSuspense)) - suspenseBefore).toBe(-1496);
      await expectLedgerHolds();
    });

    it('amountOffByOne: the line is an amount mismatch and the extra yen sits in suspense', async () => {
      await injectFault('amountOffByOne');
      const day = today();
      const payment = await capturedPayment(stack, { amount: '2000' });
      const suspenseBefore = await accountBalance(db(), ACCOUNTS.settlementSuspense);
      await settle(day);
      const mismatch = await openOf('AMOUNT_MISMATCH');
      expect(mismatch.map((d) => [d.tracking_id, d.ours, d.theirs])).toEqual([
        [payment.tracking_id, '2000', '2001'],
      ]);
      expect((await accountBalance(db(), ACCOUNTS.settlementSuspense)) - suspenseBefore).toBe(-1);
      await expectLedgerHolds();
    });

    it('fee items: each fee line is checked against the contracted fee, and a settlement’s other fee sits in suspense', async () => {
      const day = today();
      const delivery = addDays(day, 1);
      const overcharged = await capturedPayment(stack, { amount: '2000' }); // 30 bp: ¥6
      const twice = await capturedPayment(stack, { amount: '1000' }); // ¥3
      const uncharged = await capturedPayment(stack, { amount: '3000' }); // ¥9
      const batchId = clearingBatchId(day);
      const fee = (payment: PaymentRow | string, feeAmountValue: number) => ({
        transactionId: typeof payment === 'string' ? payment : payment.alipay_payment_id!,
        feeType: 'TRANSACTION_FEE',
        feeAmountValue,
        feeCurrency: 'JPY',
      });
      const name = (kind: 'feeItems' | 'settlement', id: string) => ({
        kind,
        participantId: source.participantId,
        settlementCurrency: 'JPY',
        batchId: id,
        participantAgreementId: 'AGR001',
        seq: 1,
      });
      // Put in place before they fall due: the sandbox never writes over a file that exists.
      const fees = writeReport({
        name: name('feeItems', batchId),
        kind: 'feeItems',
        items: [fee(overcharged, 7), fee(twice, 3), fee(twice, 3), fee('NOT-OURS-FEE', 5)],
      });
      place(delivery, fees.fileName, fees.content);
      const settled = settlementDate(day, stack.runtime.config.sandbox.reports.settlementLagDays);
      const settlement = writeReport({
        name: name('settlement', settlementBatchId(settled)),
        kind: 'settlement',
        summary: {
          settlementBatchId: settlementBatchId(settled),
          valueDate: settled,
          settlementCurrency: 'JPY',
          grossAmount: 6000,
          feeAmount: 20,
          netAmount: 5980,
        },
        batches: [
          {
            clearingBatchId: batchId,
            transactionCount: 3,
            grossAmount: 6000,
            feeAmount: 20,
            netAmount: 5980,
          },
        ],
      });
      const folder = join(root, reportDirectory('settlement', source.participantId, settled));
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, settlement.fileName), settlement.content);
      const suspenseBefore = await accountBalance(db(), ACCOUNTS.settlementSuspense);
      const feesBefore = await accountBalance(db(), ACCOUNTS.alipayplusFees);

      await settle(day);

      const lines = await db()
        .selectFrom('settlement_fee_lines')
        .select(['line_no', 'tracking_id', 'amount', 'expected', 'outcome'])
        .where('batch_id', '=', batchId)
        .orderBy('line_no')
        .execute();
      expect(lines.map((l) => [l.tracking_id, l.amount, l.expected, l.outcome])).toEqual([
        [overcharged.tracking_id, 7, 6, 'AMOUNT_MISMATCH'],
        [twice.tracking_id, 3, 3, 'MATCHED'],
        [twice.tracking_id, 3, 3, 'DUPLICATE'],
        [null, 5, null, 'MISSING_OURS'],
      ]);
      const found = (await open()).filter((d) => d.subject.startsWith('fee:'));
      const of = (kind: string) => found.filter((d) => d.kind === kind);
      expect(of('AMOUNT_MISMATCH').map((d) => [d.tracking_id, d.ours, d.theirs])).toEqual([
        [overcharged.tracking_id, '6', '7'],
      ]);
      expect(
        of('DUPLICATE')
          .filter((d) => d.subject.includes(batchId))
          .map((d) => [d.tracking_id, d.subject]),
      ).toEqual([[twice.tracking_id, `fee:${fees.fileName}:6`]]);
      expect(of('MISSING_OURS').map((d) => d.subject)).toEqual(['fee:NOT-OURS-FEE']);
      expect(of('MISSING_IN_REPORT').map((d) => [d.tracking_id, d.ours])).toEqual([
        [uncharged.tracking_id, '9'],
      ]);
      // Alipay+ took ¥20 where the contract gives ¥6 + ¥3 + ¥9 = ¥18: the fee account books ¥18,
      // the other ¥2 waits in suspense with the settlement's fee difference.
      const difference = (await openOf('FEE_DIFFERENCE')).find(
        (d) => d.subject === settlementBatchId(settled),
      );
      expect([difference?.ours, difference?.theirs]).toEqual(['18', '20']);
      expect(difference?.detail).toContain('the difference of ¥2 is in settlement_suspense');
      expect((await accountBalance(db(), ACCOUNTS.alipayplusFees)) - feesBefore).toBe(18);
      expect((await accountBalance(db(), ACCOUNTS.settlementSuspense)) - suspenseBefore).toBe(2);
      expect(
        (await openOf('SETTLEMENT_DIFFERENCE')).some((d) => d.subject === settlementBatchId(settled)),
      ).toBe(false);
      await expectLedgerHolds();
    });

    it('lateFile: missing when due, then taken in and matched when it arrives', async () => {
      await injectFault('lateFile'); // 6 hours late by default
      const day = today();
      const payment = await capturedPayment(stack, { amount: '1800' });
      const delivery = addDays(day, 1);
      await moveTo(deliveryTime(delivery) + HOUR);
      const early = await fetchDate(delivery);
      expect(early.missing).toEqual([day]);
      expect((await openOf('FILE_MISSING')).map((d) => d.subject)).toEqual([
        `clearing:${clearingBatchId(day)}`,
      ]);
      await moveTo(deliveryTime(delivery) + 7 * HOUR);
      const late = await fetchDate(delivery);
      expect(late.stored.some((name) => name.startsWith('transactionItems_'))).toBe(true);
      expect((await linesOf(payment)).map((l) => l.outcome)).toEqual(['MATCHED']);
      await settle(day);
      await expectLedgerHolds();
    });

    it('matches a fee file that arrives before its transaction items, by the paymentId recorded at payment', async () => {
      await injectFault('lateFile'); // the sandbox's files of the day come 6 hours late
      const day = today();
      const delivery = addDays(day, 1);
      const payment = await capturedPayment(stack, { amount: '5000' }); // 30 bp: ¥15
      const fees = writeReport({
        name: {
          kind: 'feeItems',
          participantId: source.participantId,
          settlementCurrency: 'JPY',
          batchId: clearingBatchId(day),
          participantAgreementId: 'AGR001',
          seq: 1,
        },
        kind: 'feeItems',
        items: [
          {
            transactionId: payment.alipay_payment_id!,
            feeType: 'TRANSACTION_FEE',
            feeAmountValue: 15,
            feeCurrency: 'JPY',
          },
        ],
      });
      place(delivery, fees.fileName, fees.content);
      await moveTo(deliveryTime(delivery) + HOUR);
      const early = await fetchDate(delivery);
      expect(early.stored).toContain(fees.fileName);
      expect(early.stored.some((n) => n.startsWith('transactionItems_'))).toBe(false);
      const feeLines = () =>
        db()
          .selectFrom('settlement_fee_lines')
          .select(['expected', 'outcome'])
          .where('tracking_id', '=', payment.tracking_id)
          .execute();
      expect(await feeLines()).toEqual([{ expected: 15, outcome: 'MATCHED' }]);
      await moveTo(deliveryTime(delivery) + 7 * HOUR);
      expect((await fetchDate(delivery)).stored.some((n) => n.startsWith('transactionItems_'))).toBe(true);
      expect((await linesOf(payment)).map((l) => l.outcome)).toEqual(['MATCHED']);
      expect((await open()).filter((d) => d.tracking_id === payment.tracking_id)).toEqual([]);
      await settle(day);
      await expectLedgerHolds();
    });

    it('missingFile: the day is missing, and its settlement goes to suspense whole', async () => {
      await injectFault('missingFile');
      const day = today();
      await capturedPayment(stack, { amount: '1100' });
      const suspenseBefore = await accountBalance(db(), ACCOUNTS.settlementSuspense);
      const settled = await settle(day);
      const subject = `clearing:${clearingBatchId(day)}`;
      expect((await openOf('FILE_MISSING')).map((d) => d.subject)).toContain(subject);
      // The ¥1,097 received (¥1,100 less a fee of ¥3 on lines we never saw) is all in suspense.
      expect((await accountBalance(db(), ACCOUNTS.settlementSuspense)) - suspenseBefore).toBe(-1097);
      const fee = (await openOf('FEE_DIFFERENCE')).find((d) => d.subject === settlementBatchId(settled));
      expect([fee?.ours, fee?.theirs]).toEqual(['0', '3']);
      await expectLedgerHolds();
    });

    it('the daily settlement.fetch job takes the files in on its own once they are due', async () => {
      const day = today();
      const payment = await capturedPayment(stack, { amount: '1300' });
      const delivery = addDays(day, 1);
      const job = () =>
        db()
          .selectFrom('jobs')
          .select(['status', 'due_at'])
          .where('dedupe_key', '=', `settlement.fetch:${delivery}`)
          .executeTakeFirst();
      // Scheduled by the run of the day before, for half an hour after the 08:00 UTC+8 delivery.
      await eventually(async () => (await job()) !== undefined, 10_000);
      expect(Number((await job())?.due_at)).toBe(deliveryTime(delivery) + 30 * 60_000);
      await moveTo(deliveryTime(delivery) + HOUR);
      await eventually(async () => (await linesOf(payment)).length > 0, 10_000);
      expect((await linesOf(payment)).map((l) => l.outcome)).toEqual(['MATCHED']);
      await eventually(async () => (await job())?.status === 'DONE', 10_000);
      const next = await db()
        .selectFrom('jobs')
        .select('status')
        .where('dedupe_key', '=', `settlement.fetch:${addDays(delivery, 1)}`)
        .executeTakeFirst();
      expect(next?.status).toBe('PENDING');
    });

    /** Puts a file of our own making on the sandbox's SFTP server, in the folder of `date`. */
    function place(date: string, name: string, content: string | Buffer): void {
      const folder = join(root, reportDirectory('transactionItems', source.participantId, date));
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, name), content);
    }

    function items(date: string, overrides: Partial<TransactionItem>, participantId = source.participantId) {
      const batchId = clearingBatchId(addDays(date, -1));
      return writeReport({
        name: {
          kind: 'transactionItems',
          participantId,
          settlementCurrency: overrides.settlementCurrency ?? 'JPY',
          batchId,
          participantAgreementId: 'AGR001',
          seq: 2,
        },
        kind: 'transactionItems',
        items: [
          {
            participantId,
            pspId: 'GCASH',
            transactionId: `T${date.replaceAll('-', '')}UNKNOWN`,
            originalTransactionId: '',
            transactionRequestId: `NOT-OURS-${date}`,
            transactionType: 'PAYMENT',
            transactionTime: new Date(deliveryTime(date) - 10 * HOUR).toISOString(),
            transactionAmountValue: 700,
            transactionCurrency: 'JPY',
            settlementAmountValue: 700,
            settlementCurrency: 'JPY',
            quoteCurrencyPair: '',
            quotePrice: '',
            clearingBatchId: batchId,
            ...overrides,
          },
        ],
      });
    }

    const storedCount = async () =>
      Number(
        (
          await db()
            .selectFrom('settlement_report_files')
            .select((eb) => eb.fn.countAll<string | number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('finds a line we have no record of, and a line in another currency', async () => {
      const date = addDays(today(), 1);
      const unknown = items(date, {});
      place(date, unknown.fileName, unknown.content);
      const dollars = items(date, {
        transactionId: `T${date.replaceAll('-', '')}USD`,
        settlementCurrency: 'USD',
        transactionCurrency: 'USD',
      });
      place(date, dollars.fileName, dollars.content);
      await moveTo(deliveryTime(date) + HOUR);
      await fetchDate(date);
      expect((await openOf('MISSING_OURS')).map((d) => d.subject)).toContain(
        `T${date.replaceAll('-', '')}UNKNOWN`,
      );
      // Not ours either: the currency is checked only against a transaction we know.
      expect((await openOf('MISSING_OURS')).map((d) => d.subject)).toContain(
        `T${date.replaceAll('-', '')}USD`,
      );
    });

    // The daily job fetches each date as well, as soon as the gateway's clock passes it: the files
    // are put in place before the clock moves, and the assertions hold whoever fetched first.
    it('refuses a corrupt, a truncated or another participant’s file, storing nothing of the date', async () => {
      const date = addDays(today(), 1);
      const good = items(date, { transactionId: 'GOODLINE' });
      place(date, good.fileName, good.content);
      const corrupt = items(date, { transactionId: 'CORRUPT' });
      const corruptName = corrupt.fileName.replace('_002.csv', '_003.csv');
      place(date, corruptName, corrupt.content.replace(',700,JPY,700,', ',7x0,JPY,700,'));
      const before = await storedCount();
      await moveTo(deliveryTime(date) + HOUR);

      await expect(fetchDate(date)).rejects.toThrow(/nothing stored.*not a valid amount/);
      expect(await storedCount()).toBe(before);
      place(date, corruptName, good.content.replace('GOODLINE', 'TRUNC').replace('<END>\n', ''));
      await expect(fetchDate(date)).rejects.toThrow(/the file is incomplete/);
      expect(await storedCount()).toBe(before);

      const stranger = items(date, { transactionId: 'STRANGER' }, '1022188000000009999');
      place(date, stranger.fileName, stranger.content);
      place(date, corruptName, good.content);
      await expect(fetchDate(date)).rejects.toThrow(/participant 1022188000000009999 is not ours/);
      expect(await storedCount()).toBe(before);
    });

    it('refuses a file that changed under the same name, keeping the stored one', async () => {
      const date = addDays(today(), 1);
      const original = items(date, { transactionId: 'ORIGINAL' });
      place(date, original.fileName, original.content);
      await moveTo(deliveryTime(date) + HOUR);
      await fetchDate(date);
      const stored = () =>
        db()
          .selectFrom('settlement_report_files')
          .select('content')
          .where('file_name', '=', original.fileName)
          .executeTakeFirstOrThrow();
      expect((await stored()).content).toContain('ORIGINAL');
      place(date, original.fileName, items(date, { transactionId: 'CHANGED' }).content);
      await expect(fetchDate(date)).rejects.toThrow(/already stored with other content/);
      expect((await stored()).content).toContain('ORIGINAL');
      expect((await openOf('FILE_CHANGED')).some((d) => d.subject.startsWith(original.fileName))).toBe(true);
    });

    it('says so clearly when the SFTP server is down, refuses the login or is not the one we know', async () => {
      const before = await storedCount();
      const closed = await freePort();
      await expect(
        fetchReports(db(), { ...source, port: closed }, today(), stack.clock.now()),
      ).rejects.toThrow(/cannot fetch reports from .*:\d+/);
      await expect(
        fetchReports(db(), { ...source, password: 'wrong-password' }, today(), stack.clock.now()),
      ).rejects.toThrow(/refused the login/);
      // A server with another host key never gets the password.
      const impostor = `SHA256:${'A'.repeat(43)}`;
      await expect(
        fetchReports(db(), { ...source, hostKeyFingerprint: impostor }, today(), stack.clock.now()),
      ).rejects.toThrow(/presented a host key other than SHA256:A+: not connected/);
      expect(await storedCount()).toBe(before);
    });

    it('`kessai settlement fetch --date` fetches a date, and refuses an impossible one', async () => {
      const run = async (...args: string[]) => {
        let text = '';
        const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
        registerReportCommands(program, {
          withDatabase: (work) => work(db()),
          source: () => source,
          now: () => stack.clock.now(),
          out: (t) => {
            text += t;
          },
        });
        await program.parseAsync(['node', 'kessai', 'settlement', 'fetch', ...args]);
        return text;
      };
      const date = addDays(today(), 1);
      const placed = items(date, { transactionId: 'FROMCLI' });
      place(date, placed.fileName, placed.content);
      await moveTo(deliveryTime(date) + HOUR);
      expect(await run('--date', date)).toMatch(new RegExp(`^${date}: stored .*; already stored `));
      expect(await run('--date', date)).toMatch(
        new RegExp(`^${date}: stored none; already stored .*${placed.fileName}`),
      );
      await expect(run('--date', '2026-02-30')).rejects.toThrow(/expected a date YYYY-MM-DD/);
      await expect(fetchDate('2026-02-30')).rejects.toThrow(/is not a date/);
    });

    it('shows the reports to operators only, and an operator resolves a discrepancy with a note (audited)', async () => {
      const users = await seedConsole(db(), `reports-${dialect}`);
      await recordDiscrepancy(
        db(),
        {
          kind: 'MISSING_OURS',
          subject: `console-${dialect}`,
          detail: 'a line <script>x</script> of nobody',
        },
        stack.clock.now(),
      );
      const id = (await open()).find((d) => d.subject === `console-${dialect}`)!.discrepancy_id;
      const resolvePath = `/admin/reports/discrepancies/${id}/resolve`;

      const merchant = new ConsoleClient(stack.gatewayUrl);
      await merchant.signIn(users.admin, TEST_PASSWORD);
      expect((await merchant.page('/admin/reports')).status).toBe(403);
      expect((await merchant.post(resolvePath, { note: 'not mine to resolve' })).status).toBe(403);
      expect((await merchant.page('/admin')).html).not.toContain('/admin/reports');

      const operator = new ConsoleClient(stack.gatewayUrl);
      await operator.signIn(users.operator, TEST_PASSWORD);
      const screen = await operator.page('/admin/reports');
      expect(screen.status).toBe(200);
      expect(screen.html).toContain('手数料差額'); // FEE_DIFFERENCE, in the console's default Japanese
      expect(screen.html).toContain(`id="discrepancy-${id}"`);
      expect(screen.html).toContain('id="report-files"');
      expect(screen.html).toContain('transactionItems_');
      expect(screen.html).toContain('a line &lt;script>x&lt;/script> of nobody');

      // Without the session's CSRF token, without a note, or for no discrepancy: nothing changes.
      const forged = await operator.fetch(resolvePath, { form: { _csrf: 'forged', note: 'forged' } });
      expect(forged.status).toBe(403);
      expect((await operator.post(resolvePath, { note: '  ' })).status).toBe(422);
      expect((await operator.post('/admin/reports/discrepancies/999999/resolve', { note: 'x' })).status).toBe(
        404,
      );
      expect((await open()).some((d) => d.discrepancy_id === id)).toBe(true);

      const note = 'Alipay+ confirmed <b>by mail</b>';
      const done = await operator.post(resolvePath, { note });
      expect(done.status).toBe(200);
      const html = await done.text();
      expect(html).toContain('Alipay+ confirmed &lt;b>by mail&lt;/b>');
      expect((await open()).some((d) => d.discrepancy_id === id)).toBe(false);
      expect((await operator.post(resolvePath, { note: 'again' })).status).toBe(422);
      const audit = await db()
        .selectFrom('admin_audit')
        .select(['actor_email', 'target', 'detail'])
        .where('action', '=', 'settlement.discrepancy.resolve')
        .where('target', '=', `discrepancy ${id}`)
        .execute();
      expect(audit.map((a) => a.actor_email)).toEqual([users.operator]);
      expect(audit[0]!.detail).toContain('by mail');
    });

    it('`kessai ledger adjust` clears the suspense with an audited entry; a bad adjustment changes nothing', async () => {
      const run = async (...args: string[]) => {
        let text = '';
        const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
        registerSettlementCommands(program, {
          withDatabase: (work) => work(db()),
          out: (t) => {
            text += t;
          },
          now: () => stack.clock.now(),
        });
        await program.parseAsync(['node', 'kessai', 'ledger', 'adjust', ...args]);
        return text;
      };
      const suspense = await accountBalance(db(), ACCOUNTS.settlementSuspense);
      expect(suspense).not.toBe(0); // the fault modes above left differences in it
      const bank = await accountBalance(db(), ACCOUNTS.bank);
      const entries = async () =>
        Number(
          (
            await db()
              .selectFrom('ledger_entries')
              .select((eb) => eb.fn.countAll<string | number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await entries();
      const refusals: Array<[string[], RegExp]> = [
        [
          ['--debit', 'merchant_payable:30000', '--credit', 'bank', '--amount', '5', '--note', 'x'],
          /"merchant_payable:30000" cannot be adjusted/,
        ],
        [
          ['--debit', 'bank', '--credit', 'bank', '--amount', '5', '--note', 'x'],
          /debit and credit are both bank/,
        ],
        [
          ['--debit', 'bank', '--credit', 'settlement_suspense', '--amount', '-5', '--note', 'x'],
          /positive whole yen amount \(got -5\)/,
        ],
        [
          ['--debit', 'bank', '--credit', 'settlement_suspense', '--amount', '1.5', '--note', 'x'],
          /positive whole yen amount/,
        ],
        [
          ['--debit', 'bank', '--credit', 'settlement_suspense', '--amount', '5', '--note', '  '],
          /a note of 1–1000 characters/,
        ],
      ];
      for (const [args, error] of refusals) await expect(run(...args)).rejects.toThrow(error);
      expect(await entries()).toBe(before);

      // A credit balance is money Alipay+ overpaid: returned to it from the bank.
      const [debit, credit] =
        suspense < 0 ? ['settlement_suspense', 'bank'] : ['bank', 'settlement_suspense'];
      const note = 'Alipay+ overpayments returned by transfer';
      expect(
        await run(
          '--debit',
          debit,
          '--credit',
          credit,
          '--amount',
          String(Math.abs(suspense)),
          '--note',
          note,
        ),
      ).toMatch(/^Adjustment entry \d+: Dr /);
      expect(await accountBalance(db(), ACCOUNTS.settlementSuspense)).toBe(0);
      expect(await accountBalance(db(), ACCOUNTS.bank)).toBe(bank + suspense);
      const audit = await db()
        .selectFrom('admin_audit')
        .select(['actor_email', 'detail'])
        .where('action', '=', 'ledger.adjust')
        .execute();
      expect(audit.map((a) => a.actor_email)).toEqual(['cli']);
      expect(JSON.parse(audit[0]!.detail)).toEqual({ debit, credit, amount: Math.abs(suspense), note });
      await expectLedgerHolds();
    });

    it('`kessai reconcile --reports` lists the open ones and exits 1 until each is resolved with a note', async () => {
      const run = async (...args: string[]) => {
        let text = '';
        let code = 0;
        const program = new Command().exitOverride();
        registerReconcileCommand(program, {
          open: async () => ({ db: db(), dialect, close: async () => {} }),
          ledger: () => {
            throw new Error('no inquiries with --reports');
          },
          out: (t) => {
            text += t;
          },
          exitWith: (c) => {
            code = c;
          },
        });
        await program.parseAsync(['node', 'kessai', 'reconcile', ...args]);
        return { text, code };
      };
      const listed = await run('--reports');
      const openNow = await open();
      expect(openNow.length).toBeGreaterThan(0);
      expect(listed.code).toBe(1);
      expect(listed.text).toContain(`#${openNow[0]!.discrepancy_id} ${openNow[0]!.kind}`);
      // The fee lines' findings are listed like the others.
      expect(listed.text).toMatch(/ FEE_DIFFERENCE: settlement \S+ .* takes a fee of ¥20/);
      expect(listed.text).toMatch(
        / AMOUNT_MISMATCH: Alipay\+'s TRANSACTION_FEE fee on \S+: Alipay\+ charges ¥7/,
      );

      await expect(run('--reports', '--resolve', String(openNow[0]!.discrepancy_id))).rejects.toThrow(
        /--note/,
      );
      await expect(
        run('--reports', '--resolve', String(openNow[0]!.discrepancy_id), '--note', '   '),
      ).rejects.toThrow(/resolution note/);
      for (const d of openNow) {
        await run(
          '--reports',
          '--resolve',
          String(d.discrepancy_id),
          '--note',
          `checked with Alipay+ (${d.kind})`,
        );
      }
      await expect(
        run('--reports', '--resolve', String(openNow[0]!.discrepancy_id), '--note', 'again'),
      ).rejects.toThrow(/already resolved/);
      const after = await run('--reports');
      expect(after.code).toBe(0);
      expect(after.text).toContain('0 open report discrepancies');
      const audit = await db()
        .selectFrom('admin_audit')
        .select(['action', 'detail'])
        .where('action', '=', 'settlement.discrepancy.resolve')
        .execute();
      expect(audit.length).toBe(openNow.length + 1);
      expect(audit.at(-1)!.detail).toContain('checked with Alipay+');
      await expectLedgerHolds();
    });
  });
}
