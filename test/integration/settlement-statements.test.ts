import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger';
import { DomainError } from '../../src/kernel/errors';
import { seedDemoData } from '../../src/merchants/demo-seed';
import { addServiceFee } from '../../src/settlement/fee.repository';
import { ACCOUNTS, accountBalance, merchantPayable } from '../../src/settlement/ledger.repository';
import { checkLedger } from '../../src/settlement/ledger-check';
import {
  generateZenginFile,
  importBankResult,
  markPayoutPaid,
  parseOriginator,
  setBankAccount,
} from '../../src/settlement/payout.repository';
import { setPayoutCycle } from '../../src/settlement/payout-terms.repository';
import { registerSettlementCommands } from '../../src/settlement/settlement-cli';
import { closeStatements, findStatement, issueStatement } from '../../src/settlement/statement.repository';
import {
  SETTLEMENT_CLOSE_JOB,
  scheduleSettlementClose,
  settlementCloseJob,
} from '../../src/settlement/statement-close-job';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases';
import { capturedAt, refundedAt } from '../support/settlement-fixtures';

/**
 * Statements, carried negative balances, payouts and their Zengin files on both databases
 * (settlement.md, Paying merchants). Fee 3.25 % throughout.
 */
const MERCHANT = '30000';
const ORIGINATOR = parseOriginator('1234567890/ｹﾂｻｲ(ｶ/0005/ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ/001/ﾎﾝﾃﾝ/ORDINARY/7654321');
const at = (iso: string) => new Date(`${iso}T12:00:00+09:00`);
const ACTOR = { actorUserId: null, actorEmail: 'ops@example.com', ip: '127.0.0.1' };

for (const dialect of DIALECTS) {
  describe(`statements and payouts (${dialect})`, () => {
    let database: TestDatabase;
    const now = new Date();
    const db = () => database.db;

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      await seedDemoData(db(), now, {});
      await addServiceFee(
        db(),
        {
          merchantId: MERCHANT,
          serviceId: '001',
          effectiveFrom: '2026-09-01',
          rateBps: 325,
          fixedFee: 0,
          createdBy: 'test',
        },
        at('2026-08-01'),
      );
    });
    afterEach(async () => {
      await database?.close();
    });

    const close = (through: string) => closeStatements(db(), through, now);
    const statementFor = async (through: string) => {
      const outcome = (await close(through)).find((o) => o.merchantId === MERCHANT);
      if (outcome?.result.kind !== 'issued' && outcome?.result.kind !== 'already-issued') {
        throw new Error(`no statement through ${through}: ${outcome?.result.kind}`);
      }
      return outcome.result.statement;
    };
    const payouts = () => db().selectFrom('payouts').selectAll().orderBy('payout_id').execute();
    const account = () =>
      setBankAccount(
        db(),
        MERCHANT,
        {
          bankCode: '0001',
          bankName: 'ミズホ',
          branchCode: '123',
          branchName: 'トウキョウ',
          accountType: 'ORDINARY',
          accountNumber: '1234567',
          holderName: 'カ）デモショップ',
        },
        now,
      );
    async function expectLedgerClean() {
      expect((await checkLedger(db())).violations).toEqual([]);
    }

    it('issues a statement whose total is the sum of its lines, once, however often it is closed', async () => {
      const p = await capturedAt(db(), 10_000, at('2026-11-10'));
      await capturedAt(db(), 5_000, at('2026-11-20'));
      await refundedAt(db(), p, 3_000, at('2026-11-25'));
      await capturedAt(db(), 2_000, at('2026-12-01')); // the next period's

      const s = await statementFor('2026-11-30');
      expect(s).toMatchObject({
        period_from: '2026-11-01',
        period_close: '2026-11-30',
        payout_date: '2026-12-15',
        captured: 15_000,
        refunded: 3_000,
        fees: 325 + 162 - 97,
        net: 11_610,
        carried_in: 0,
        payout_amount: 11_610,
        carried_out: 0,
      });
      const found = await findStatement(db(), { merchantId: MERCHANT }, s.statement_id);
      expect(found?.lines).toHaveLength(3);
      const sum = (pick: (l: { gross: number; fee: number; amount: number }) => number) =>
        found?.lines.reduce((t, l) => t + pick(l), 0);
      expect(sum((l) => l.amount)).toBe(s.net);
      expect(sum((l) => l.gross)).toBe(s.captured - s.refunded);
      expect(sum((l) => l.fee)).toBe(s.fees);

      // Closing again, or the same period through a later day of the next one, issues nothing new.
      expect((await close('2026-11-30')).find((o) => o.merchantId === MERCHANT)?.result.kind).toBe(
        'already-issued',
      );
      expect((await close('2026-12-03')).find((o) => o.merchantId === MERCHANT)?.result.kind).toBe(
        'already-issued',
      );
      expect(await db().selectFrom('statements').select('statement_id').execute()).toHaveLength(1);
      expect(await payouts()).toMatchObject([
        { amount: 11_610, payout_date: '2026-12-15', status: 'SCHEDULED' },
      ]);
      // Another merchant's people never find it.
      expect(await findStatement(db(), { merchantId: '99999' }, s.statement_id)).toBeUndefined();
      await expectLedgerClean();
    });

    it('refuses to change or delete an issued statement or its lines (database triggers)', async () => {
      await capturedAt(db(), 10_000, at('2026-11-10'));
      const s = await statementFor('2026-11-30');
      await expect(
        db()
          .updateTable('statements')
          .set({ payout_amount: 1 })
          .where('statement_id', '=', s.statement_id)
          .execute(),
      ).rejects.toThrow(/immutable/);
      await expect(db().deleteFrom('statement_lines').execute()).rejects.toThrow(/immutable/);
      expect((await findStatement(db(), { merchantId: null }, s.statement_id))?.statement.payout_amount).toBe(
        9_675,
      );
    });

    it('issues one statement when closes run concurrently', async () => {
      await capturedAt(db(), 10_000, at('2026-11-10'));
      const results = await Promise.all(Array.from({ length: 6 }, () => close('2026-11-30')));
      const mine = results.map((r) => r.find((o) => o.merchantId === MERCHANT)?.result);
      expect(mine.map((r) => r?.kind).sort()).toEqual([...Array(5).fill('already-issued'), 'issued']);
      expect(mine.every((r) => r?.kind === 'issued' || r?.kind === 'already-issued')).toBe(true);
      expect(await db().selectFrom('statements').select('statement_id').execute()).toHaveLength(1);
      expect(await payouts()).toHaveLength(1);
    });

    it('carries a negative balance to the next statement instead of paying it', async () => {
      await setPayoutCycle(db(), MERCHANT, 'TWICE_MONTHLY', now);
      await account();
      const p = await capturedAt(db(), 10_000, at('2026-10-20'));
      const a = await statementFor('2026-10-31');
      expect(a).toMatchObject({ payout_amount: 9_675, payout_date: '2026-11-13' });
      await generateZenginFile(db(), { transferDate: '2026-11-13', originator: ORIGINATOR }, ACTOR, now);
      await markPayoutPaid(db(), (await payouts())[0]!.payout_id, ACTOR, now);

      await refundedAt(db(), p, 10_000, at('2026-11-05'));
      await capturedAt(db(), 2_000, at('2026-11-06'));
      const b = await statementFor('2026-11-15');
      expect(b).toMatchObject({ net: -9_675 + 1_935, carried_in: 0, payout_amount: 0, carried_out: -7_740 });

      await capturedAt(db(), 10_000, at('2026-11-20'));
      const c = await statementFor('2026-11-30');
      expect(c).toMatchObject({ net: 9_675, carried_in: -7_740, payout_amount: 1_935, carried_out: 0 });
      expect((await payouts()).map((x) => [x.amount, x.payout_date])).toEqual([
        [9_675, '2026-11-13'],
        [1_935, '2026-12-15'],
      ]);
      await expectLedgerClean();
    });

    it('refuses a payout while the merchant balance is negative, and without a bank account, changing nothing', async () => {
      const p = await capturedAt(db(), 10_000, at('2026-09-10'));
      await statementFor('2026-09-30');
      const file = { transferDate: '2026-10-15', originator: ORIGINATOR };
      await expect(generateZenginFile(db(), file, ACTOR, now)).rejects.toThrow(
        new DomainError('PAYOUT_REFUSED', 'merchant 30000 has no bank account: add it in its settings first'),
      );
      await account();
      await generateZenginFile(db(), file, ACTOR, now);

      await capturedAt(db(), 1_000, at('2026-10-20'));
      await statementFor('2026-10-31'); // pays ¥968 on 2026-11-13
      await refundedAt(db(), p, 10_000, at('2026-11-02')); // after the payout of September
      const before = await accountBalance(db(), merchantPayable(MERCHANT));
      expect(-before).toBe(968 - 9_675);
      await expect(
        generateZenginFile(db(), { ...file, transferDate: '2026-11-13' }, ACTOR, now),
      ).rejects.toThrow(/payout \d+ of ¥968 to merchant 30000 refused: its balance is ¥-8707 \(negative\)/);
      expect((await payouts()).map((x) => x.status)).toEqual(['SENT', 'SCHEDULED']);
      expect(await db().selectFrom('zengin_files').select('file_id').execute()).toHaveLength(1);
      expect(await accountBalance(db(), merchantPayable(MERCHANT))).toBe(before);
      await expectLedgerClean();
    });

    it('writes the Zengin file, posts the payout, and marks it paid from the bank result', async () => {
      await account();
      await capturedAt(db(), 10_000, at('2026-11-10'));
      await capturedAt(db(), 20_000, at('2026-11-11'));
      await statementFor('2026-11-30');
      const [payout] = await payouts();
      const { fileId, total } = await generateZenginFile(
        db(),
        { transferDate: '2026-12-15', originator: ORIGINATOR },
        ACTOR,
        now,
      );
      expect(total).toBe(9_675 + 19_350);
      expect(await accountBalance(db(), merchantPayable(MERCHANT))).toBe(0);
      expect(await accountBalance(db(), ACCOUNTS.payoutClearing)).toBe(-total);
      await expectLedgerClean();

      const stored = await db()
        .selectFrom('zengin_files')
        .selectAll()
        .where('file_id', '=', fileId)
        .executeTakeFirstOrThrow();
      const bytes = Buffer.from(stored.content);
      const records = bytes.toString('latin1').split('\r\n');
      expect(records.pop()).toBe('');
      expect(records).toHaveLength(4);
      for (const r of records) expect(r).toHaveLength(120); // bytes: Shift_JIS half-width kana are one byte
      const text = iconv.decode(bytes, 'Shift_JIS').split('\r\n');
      const [header, data, trailer, end] = text as [string, string, string, string];
      expect(header.slice(0, 4)).toBe('1210');
      expect(header.slice(4, 14)).toBe('1234567890');
      expect(header.slice(14, 54).trimEnd()).toBe('ｹﾂｻｲ(ｶ');
      expect(header.slice(54, 58)).toBe('1215');
      expect(data[0]).toBe('2');
      expect(data.slice(1, 5)).toBe('0001');
      expect(data.slice(5, 20).trimEnd()).toBe('ﾐｽﾞﾎ');
      expect(data.slice(20, 23)).toBe('123');
      expect(data.slice(23, 38).trimEnd()).toBe('ﾄｳｷﾖｳ');
      expect(data.slice(42, 43)).toBe('1');
      expect(data.slice(43, 50)).toBe('1234567');
      expect(data.slice(50, 80).trimEnd()).toBe('ｶ)ﾃﾞﾓｼﾖﾂﾌﾟ');
      expect(data.slice(80, 90)).toBe('0000029025');
      expect(data.slice(91, 101).trimEnd()).toBe(String(payout!.payout_id));
      expect(trailer).toBe(`8000001000000029025${' '.repeat(101)}`);
      expect(end).toBe(`9${' '.repeat(119)}`);

      // The bank sends the file back with result code 0 (transferred) in the data record.
      const result = Buffer.from(bytes);
      result[122 + 113] = '0'.charCodeAt(0);
      expect(await importBankResult(db(), result, ACTOR, now)).toEqual({
        paid: [payout!.payout_id],
        failed: [],
        alreadyPaid: [],
      });
      expect((await payouts())[0]?.status).toBe('PAID');
      expect(await accountBalance(db(), ACCOUNTS.payoutClearing)).toBe(0);
      expect(await accountBalance(db(), ACCOUNTS.bank)).toBe(-total);
      expect(await importBankResult(db(), result, ACTOR, now)).toMatchObject({
        alreadyPaid: [payout!.payout_id],
      });
      await expect(importBankResult(db(), Buffer.from('1'.repeat(119)), ACTOR, now)).rejects.toThrow(
        DomainError,
      );
      await expectLedgerClean();
    });

    it('refuses a bank result file that is not our transfer file with result codes, applying nothing', async () => {
      await account();
      await capturedAt(db(), 10_000, at('2026-11-10'));
      await statementFor('2026-11-30');
      const { fileId } = await generateZenginFile(
        db(),
        { transferDate: '2026-12-15', originator: ORIGINATOR },
        ACTOR,
        now,
      );
      const [payout] = await payouts();
      const sent = Buffer.from(
        (
          await db()
            .selectFrom('zengin_files')
            .select('content')
            .where('file_id', '=', fileId)
            .executeTakeFirstOrThrow()
        ).content,
      );
      const DATA = 122; // the data record's first byte: after the 120-byte header and its CR LF
      const TRAILER = 2 * 122;
      /** The transfer file with result code 0, changed in place by `change` or replaced by what it returns. */
      const result = (change: (bytes: Buffer) => unknown = () => undefined) => {
        const bytes = Buffer.from(sent);
        bytes[DATA + 113] = 0x30;
        const changed = change(bytes);
        return Buffer.isBuffer(changed) ? changed : bytes;
      };
      const put = (bytes: Buffer, at: number, text: string) => {
        bytes.write(text, at, 'latin1');
      };
      const cases: Array<[string, Buffer, RegExp]> = [
        [
          'the transfer file itself',
          Buffer.from(sent),
          /record 2 has no result code \(byte 114\): this is a transfer file/,
        ],
        [
          'a result code that is no digit',
          result((b) => put(b, DATA + 113, 'X')),
          /result code \(byte 114\) "X" is not a digit/,
        ],
        [
          'a record cut short',
          result((b) => Buffer.concat([b.subarray(0, DATA + 119), b.subarray(DATA + 120)])),
          /record 2 is 119 bytes/,
        ],
        [
          'records without CR LF',
          Buffer.from(result().toString('latin1').replaceAll('\r\n', '\n'), 'latin1'),
          /record 1 is \d+ bytes/,
        ],
        [
          'no end record',
          result((b) => b.subarray(0, 3 * 122)),
          /records are of types 128: expected a header/,
        ],
        [
          'no data record',
          Buffer.concat([result().subarray(0, DATA), result().subarray(TRAILER)]),
          /types 189/,
        ],
        ['a header of another kind', result((b) => put(b, 1, '11')), /header is of kind "11", not 21/],
        [
          'a trailer that disagrees',
          result((b) => put(b, TRAILER + 7, '000000000001')),
          /trailer says 000001 records for 000000000001 yen; its data records are 1 for ¥9675/,
        ],
        [
          'an amount that is not digits',
          result((b) => put(b, DATA + 80, '00000096X5')),
          /amount \(bytes 81–90\) "00000096X5" is not 10 digits/,
        ],
        [
          'another amount',
          result((b) => {
            put(b, DATA + 80, '0000009676');
            put(b, TRAILER + 7, '000000009676');
          }),
          /has ¥9676 for payout \d+, which is ¥9675/,
        ],
        [
          'an unknown payout',
          result((b) => put(b, DATA + 91, '999999    ')),
          /names payout 999999, which does not exist/,
        ],
        [
          'another account',
          result((b) => put(b, DATA + 43, '7654321')),
          /record for payout \d+ differs from the one in transfer file \d+/,
        ],
        [
          'bytes that are not Shift_JIS',
          result((b) => {
            b[DATA + 60] = 0xff;
          }),
          /record 2 is not Shift_JIS text/,
        ],
        [
          'the payout twice',
          Buffer.concat([
            result().subarray(0, TRAILER),
            result().subarray(DATA, TRAILER),
            result((b) => put(b, TRAILER + 1, '000002000000019350')).subarray(TRAILER),
          ]),
          /record 3 lists payout \d+ again/,
        ],
      ];
      const bankBefore = await accountBalance(db(), ACCOUNTS.bank);
      for (const [what, bytes, error] of cases) {
        await expect(importBankResult(db(), bytes, ACTOR, now), what).rejects.toThrow(error);
      }
      expect((await payouts()).map((p) => p.status)).toEqual(['SENT']);
      expect(await accountBalance(db(), ACCOUNTS.bank)).toBe(bankBefore);
      expect(await importBankResult(db(), result(), ACTOR, now)).toMatchObject({ paid: [payout!.payout_id] });
      const audited = await db()
        .selectFrom('admin_audit')
        .select('detail')
        .where('action', '=', 'payout.bank-result')
        .execute();
      expect(audited.map((a) => JSON.parse(a.detail))).toEqual([
        { paid: [payout!.payout_id], failed: [], alreadyPaid: [] },
      ]);
      await expectLedgerClean();
    });

    it('validates bank accounts: kana converted to half-width, kanji and bad codes refused', async () => {
      expect(await account()).toMatchObject({ holderName: 'ｶ)ﾃﾞﾓｼﾖﾂﾌﾟ', accountNumber: '1234567' });
      const bad = {
        bankCode: '0001',
        bankName: 'ミズホ',
        branchCode: '123',
        branchName: 'トウキョウ',
        accountType: 'ORDINARY',
        accountNumber: '42',
        holderName: '山田太郎',
      };
      await expect(setBankAccount(db(), MERCHANT, bad, now)).rejects.toThrow(
        /account holder name: "山" cannot be written/,
      );
      await expect(
        setBankAccount(db(), MERCHANT, { ...bad, holderName: 'ﾔﾏﾀﾞ', bankCode: '12' }, now),
      ).rejects.toThrow(/bank code "12" must be 4 digits/);
      expect((await account()).accountNumber).toBe('1234567');
      expect(await setBankAccount(db(), MERCHANT, { ...bad, holderName: 'ﾔﾏﾀﾞ' }, now)).toMatchObject({
        accountNumber: '0000042',
      });
    });

    it('closes, writes the transfer file and applies the bank result from the command line', async () => {
      await account();
      await capturedAt(db(), 10_000, at('2026-11-10'));
      const dir = mkdtempSync(join(tmpdir(), 'kessai-payout-'));
      const kessai = async (...args: string[]) => {
        let text = '';
        const program = new Command().exitOverride();
        registerSettlementCommands(program, {
          withDatabase: (work) => work(db()),
          out: (t) => (text += t),
          now: () => now,
          originator: () => ORIGINATOR,
        });
        process.exitCode = 0;
        await program.parseAsync(['node', 'kessai', ...args]);
        const code = process.exitCode;
        process.exitCode = 0;
        return { text, code };
      };
      try {
        expect((await kessai('settlement', 'close', '--date', '2026-12-02')).text).toMatch(
          /^30000 2026-11-01\.\.2026-11-30: issued \(statement \d+: net ¥9675, carried in ¥0, payout ¥9675 on 2026-12-15\)$/m,
        );
        const file = join(dir, 'transfer.txt');
        expect((await kessai('payout', 'file', '--date', '2026-12-15', '--out', file)).text).toMatch(
          /^Transfer file \d+: 1 transfer\(s\), ¥9675/,
        );
        await expect(kessai('payout', 'file', '--date', '2026-12-15', '--out', file)).rejects.toThrow(
          'no scheduled payout for 2026-12-15',
        );
        const bytes = readFileSync(file);
        bytes[122 + 113] = '9'.charCodeAt(0); // not transferred
        writeFileSync(join(dir, 'failed.txt'), bytes);
        const failed = await kessai('payout', 'import-result', '--file', join(dir, 'failed.txt'));
        expect(failed.code).toBe(1);
        expect(failed.text).toMatch(/not transferred: \d+ \(code 9\)/);
        const [payout] = await payouts();
        expect(payout?.status).toBe('SENT');
        expect((await kessai('payout', 'paid', '--id', String(payout?.payout_id))).text).toContain('is paid');
        await expect(kessai('payout', 'paid', '--id', String(payout?.payout_id))).rejects.toThrow(/is PAID/);
        // Each command's audit row is written with what it did, the refused one's not at all.
        const audit = await db()
          .selectFrom('admin_audit')
          .select(['action', 'actor_email'])
          .where('action', 'like', 'payout.%')
          .orderBy('id')
          .execute();
        expect(audit.map((a) => `${a.action} ${a.actor_email}`)).toEqual([
          'payout.file cli',
          'payout.bank-result cli',
          'payout.paid cli',
        ]);
        await expectLedgerClean();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('closes from the daily job, which schedules the next day first', async () => {
      await capturedAt(db(), 10_000, at('2026-11-10'));
      await scheduleSettlementClose(db(), '2026-12-01', now);
      const job = await db()
        .selectFrom('jobs')
        .selectAll()
        .where('kind', '=', SETTLEMENT_CLOSE_JOB)
        .executeTakeFirstOrThrow();
      expect(job.due_at).toBe(Date.parse('2026-12-02T00:15:00+09:00'));
      const handler = settlementCloseJob({ db: db(), logger: createLogger('silent') });
      const claimed = {
        id: Number(job.id),
        kind: job.kind,
        payload: { date: '2026-12-01' },
        dedupeKey: job.dedupe_key,
        group: null,
        dueAt: new Date(job.due_at),
        attempt: 1,
        createdAt: now,
      };
      expect(await handler(claimed, { now, signal: new AbortController().signal })).toEqual({ type: 'done' });
      expect(
        await db()
          .selectFrom('statements')
          .select(['merchant_id', 'period_close', 'payout_amount'])
          .execute(),
      ).toEqual([{ merchant_id: MERCHANT, period_close: '2026-11-30', payout_amount: 9_675 }]);
      const keys = await db()
        .selectFrom('jobs')
        .select('dedupe_key')
        .where('kind', '=', SETTLEMENT_CLOSE_JOB)
        .orderBy('id')
        .execute();
      expect(keys.map((k) => k.dedupe_key)).toEqual([
        'settlement.close:2026-12-01',
        'settlement.close:2026-12-02',
      ]);
    });

    it('refuses to close a period that is not over', async () => {
      await expect(close('2099-01-31')).rejects.toThrow(/not before/);
      await expect(close('2026-02-30')).rejects.toThrow(DomainError);
      await expect(
        issueStatement(
          db(),
          MERCHANT,
          {
            from: '2026-11-01',
            close: '2026-11-30',
            nominalPayoutDate: '2026-12-15',
            payoutDate: '2026-12-15',
          },
          now,
        ),
      ).resolves.toEqual({ kind: 'nothing' });
    });
  });
}
