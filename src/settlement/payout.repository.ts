import iconv from 'iconv-lite';
import { type AuditEntry, writeAudit } from '../admin/audit.repository';
import type { Db, MerchantBankAccountTable, PayoutTable } from '../db/database';
import { DomainError } from '../kernel/errors';
import { ACCOUNTS, accountBalance, merchantPayable, postEntry } from './ledger.repository';
import {
  toZenginText,
  writeZenginTransferFile,
  ZENGIN_RECORD_BYTES,
  type ZenginAccountType,
  type ZenginBankAccount,
  ZenginFormatError,
  type ZenginOriginator,
} from './zengin';

/**
 * Payouts (settlement.md, Paying merchants). A statement with a positive payout schedules one
 * payout for its payout date. Generating the day's Zengin transfer file is the moment the money
 * is committed to the bank, so it posts `merchant_payable` → `payout_clearing` for each payout in
 * the file (status SENT); the operator's confirmation, or the bank's result file, posts
 * `payout_clearing` → `bank` (status PAID).
 */
export type PayoutRow = Omit<PayoutTable, 'payout_id'> & { payout_id: number };
export type PayoutStatus = 'SCHEDULED' | 'SENT' | 'PAID';

const ACCOUNT_TYPES: readonly ZenginAccountType[] = ['ORDINARY', 'CURRENT', 'SAVINGS'];

export interface BankAccountInput {
  bankCode: string;
  bankName: string;
  branchCode: string;
  branchName: string;
  accountType: string;
  accountNumber: string;
  holderName: string;
}

export type BankAccount = ZenginBankAccount & { holderName: string };

function invalid(message: string): never {
  throw new DomainError('INVALID_BANK_ACCOUNT', message);
}

function zenginName(value: string, width: number, field: string): string {
  const trimmed = value.trim();
  if (trimmed === '') invalid(`${field} is required`);
  let converted: string;
  try {
    converted = toZenginText(trimmed, field);
  } catch (error) {
    if (error instanceof ZenginFormatError) invalid(`${error.message}: use katakana, capitals and digits`);
    throw error;
  }
  if (converted.length > width)
    invalid(`${field} "${converted}" is longer than ${width} half-width characters`);
  return converted;
}

/**
 * A bank account as the bank's transfer file needs it: codes of 4 and 3 digits, an account number
 * of up to 7 digits (zero-padded), names in the Zengin half-width kana set (converted from
 * full-width kana; kanji and other characters refused).
 */
export function validateBankAccount(input: BankAccountInput): BankAccount {
  const digits = (value: string) => value.normalize('NFKC').trim();
  const bankCode = digits(input.bankCode);
  const branchCode = digits(input.branchCode);
  const accountNumber = digits(input.accountNumber);
  if (!/^\d{4}$/.test(bankCode)) invalid(`bank code "${input.bankCode}" must be 4 digits`);
  if (!/^\d{3}$/.test(branchCode)) invalid(`branch code "${input.branchCode}" must be 3 digits`);
  if (!/^\d{1,7}$/.test(accountNumber))
    invalid(`account number "${input.accountNumber}" must be 1 to 7 digits`);
  if (!(ACCOUNT_TYPES as readonly string[]).includes(input.accountType)) {
    invalid(`account type "${input.accountType}" must be ${ACCOUNT_TYPES.join(', ')}`);
  }
  return {
    bankCode,
    bankName: zenginName(input.bankName, 15, 'bank name'),
    branchCode,
    branchName: zenginName(input.branchName, 15, 'branch name'),
    accountType: input.accountType as ZenginAccountType,
    accountNumber: accountNumber.padStart(7, '0'),
    holderName: zenginName(input.holderName, 30, 'account holder name'),
  };
}

function fromRow(row: MerchantBankAccountTable): BankAccount {
  return {
    bankCode: row.bank_code,
    bankName: row.bank_name,
    branchCode: row.branch_code,
    branchName: row.branch_name,
    accountType: row.account_type as ZenginAccountType,
    accountNumber: row.account_number,
    holderName: row.holder_name,
  };
}

export async function bankAccountOf(db: Db, merchantId: string): Promise<BankAccount | undefined> {
  const row = await db
    .selectFrom('merchant_bank_accounts')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Validates and saves (replaces) a merchant's payout account; returns it as stored. */
export async function setBankAccount(
  db: Db,
  merchantId: string,
  input: BankAccountInput,
  now: Date,
): Promise<BankAccount> {
  const a = validateBankAccount(input);
  const row = {
    bank_code: a.bankCode,
    bank_name: a.bankName,
    branch_code: a.branchCode,
    branch_name: a.branchName,
    account_type: a.accountType,
    account_number: a.accountNumber,
    holder_name: a.holderName,
    updated_at: now.getTime(),
  };
  await db
    .insertInto('merchant_bank_accounts')
    .values({ merchant_id: merchantId, ...row })
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet(row))
    .execute();
  return a;
}

/**
 * Our side of the transfer file from `KESSAI_PAYOUT_ORIGINATOR`:
 * `<company code>/<company name>/<bank code>/<bank name>/<branch code>/<branch name>/<type>/<number>`.
 */
export function parseOriginator(text: string): ZenginOriginator {
  const parts = text.split('/');
  if (parts.length !== 8) {
    throw new DomainError(
      'INVALID_BANK_ACCOUNT',
      'KESSAI_PAYOUT_ORIGINATOR is <company code>/<company name>/<bank code>/<bank name>/<branch code>/<branch name>/<ORDINARY|CURRENT|SAVINGS>/<account number>',
    );
  }
  const [companyCode, name, bankCode, bankName, branchCode, branchName, accountType, accountNumber] =
    parts as [string, string, string, string, string, string, string, string];
  if (!/^\d{10}$/.test(companyCode)) invalid(`company code "${companyCode}" must be 10 digits`);
  const account = validateBankAccount({
    bankCode,
    bankName,
    branchCode,
    branchName,
    accountType,
    accountNumber,
    holderName: name,
  });
  return { ...account, companyCode, name: zenginName(name, 40, 'company name') };
}

export async function listPayouts(
  db: Db,
  scope: { merchantId: string | null },
  filter: { status?: PayoutStatus; limit?: number } = {},
): Promise<PayoutRow[]> {
  let q = db.selectFrom('payouts').selectAll();
  if (scope.merchantId !== null) q = q.where('merchant_id', '=', scope.merchantId);
  if (filter.status) q = q.where('status', '=', filter.status);
  return q
    .orderBy('payout_date', 'desc')
    .orderBy('payout_id', 'desc')
    .limit(filter.limit ?? 200)
    .execute();
}

function refused(message: string): never {
  throw new DomainError('PAYOUT_REFUSED', message);
}

/**
 * Writes the transfer file of every scheduled payout of a date and sends them (ledger and status)
 * in one transaction: a merchant without a bank account, or whose payable no longer covers its
 * payout (refunds after the close left it short or negative), refuses the whole file and nothing
 * is posted.
 */
/** Who did it, for the audit row each payout action writes in its own transaction. */
export type PayoutActor = Pick<AuditEntry, 'actorUserId' | 'actorEmail' | 'ip'>;

export async function generateZenginFile(
  db: Db,
  input: { transferDate: string; originator: ZenginOriginator },
  actor: PayoutActor,
  now: Date,
): Promise<{ fileId: number; transfers: number; total: number }> {
  return db.transaction().execute(async (tx) => {
    const payouts = await tx
      .selectFrom('payouts')
      .selectAll()
      .where('payout_date', '=', input.transferDate)
      .where('status', '=', 'SCHEDULED')
      .orderBy('payout_id')
      .execute();
    if (payouts.length === 0) refused(`no scheduled payout for ${input.transferDate}`);
    const transfers = [];
    for (const p of payouts) {
      const account = await bankAccountOf(tx, p.merchant_id);
      if (!account) refused(`merchant ${p.merchant_id} has no bank account: add it in its settings first`);
      const owed = -(await accountBalance(tx, merchantPayable(p.merchant_id)));
      if (owed < p.amount) {
        refused(
          `payout ${p.payout_id} of ¥${p.amount} to merchant ${p.merchant_id} refused: its balance is ` +
            `¥${owed}${owed < 0 ? ' (negative)' : ''}; refunds since the close must be settled first`,
        );
      }
      transfers.push({
        ...account,
        payeeName: account.holderName,
        amount: p.amount,
        customerCode: String(p.payout_id),
      });
    }
    let content: Buffer;
    try {
      content = writeZenginTransferFile({
        originator: input.originator,
        transferDate: input.transferDate,
        transfers,
      });
    } catch (error) {
      if (error instanceof ZenginFormatError) refused(error.message);
      throw error;
    }
    const total = transfers.reduce((s, t) => s + t.amount, 0);
    const { file_id } = await tx
      .insertInto('zengin_files')
      .values({
        transfer_date: input.transferDate,
        transfers: transfers.length,
        total,
        content,
        created_by: actor.actorEmail,
        created_at: now.getTime(),
      })
      .returning('file_id')
      .executeTakeFirstOrThrow();
    for (const p of payouts) {
      const sent = await tx
        .updateTable('payouts')
        .set({ status: 'SENT', zengin_file_id: Number(file_id), sent_at: now.getTime() })
        .where('payout_id', '=', p.payout_id)
        .where('status', '=', 'SCHEDULED')
        .executeTakeFirst();
      if (Number(sent.numUpdatedRows) !== 1) refused(`payout ${p.payout_id} was sent meanwhile`);
      await postEntry(tx, {
        kind: 'PAYOUT',
        sourceKey: `payout:${p.payout_id}`,
        merchantId: p.merchant_id,
        memo: `payout ${p.payout_id} ¥${p.amount} in transfer file ${file_id}`,
        lines: [
          { account: merchantPayable(p.merchant_id), amount: p.amount },
          { account: ACCOUNTS.payoutClearing, amount: -p.amount },
        ],
        at: now,
      });
    }
    await writeAudit(tx, {
      at: now,
      ...actor,
      merchantId: null,
      action: 'payout.file',
      target: String(file_id),
      detail: { date: input.transferDate, transfers: transfers.length, total },
    });
    return { fileId: Number(file_id), transfers: transfers.length, total };
  });
}

/** Marks a sent payout paid: the bank made the transfer. */
export async function markPayoutPaid(
  db: Db,
  payoutId: number,
  actor: PayoutActor,
  now: Date,
): Promise<PayoutRow> {
  return db.transaction().execute(async (tx) => {
    const payout = await markPaidIn(tx, payoutId, now);
    await writeAudit(tx, {
      at: now,
      ...actor,
      merchantId: payout.merchant_id,
      action: 'payout.paid',
      target: String(payoutId),
      detail: { amount: payout.amount },
    });
    return payout;
  });
}

async function markPaidIn(tx: Db, payoutId: number, now: Date): Promise<PayoutRow> {
  const p = await tx.selectFrom('payouts').selectAll().where('payout_id', '=', payoutId).executeTakeFirst();
  if (!p) refused(`no payout ${payoutId}`);
  if (p.status !== 'SENT')
    refused(`payout ${payoutId} is ${p.status}: only a payout in a transfer file can be paid`);
  const paid = await tx
    .updateTable('payouts')
    .set({ status: 'PAID', paid_at: now.getTime() })
    .where('payout_id', '=', payoutId)
    .where('status', '=', 'SENT')
    .executeTakeFirst();
  if (Number(paid.numUpdatedRows) !== 1) refused(`payout ${payoutId} was marked paid meanwhile`);
  await postEntry(tx, {
    kind: 'PAYOUT',
    sourceKey: `payout-paid:${payoutId}`,
    merchantId: p.merchant_id,
    memo: `payout ${payoutId} ¥${p.amount} paid by the bank`,
    lines: [
      { account: ACCOUNTS.payoutClearing, amount: p.amount },
      { account: ACCOUNTS.bank, amount: -p.amount },
    ],
    at: now,
  });
  return { ...p, status: 'PAID', paid_at: now.getTime() };
}

export interface BankResultLine {
  payoutId: number;
  amount: number;
  /** '0': transferred; '1'–'9': the bank's reason code for not transferring. */
  resultCode: string;
  /** The data record as we sent it: the result code put back to the space we wrote. */
  sentRecord: Buffer;
}

// Offsets in a data record (zengin.ts lays them out, settlement.md documents them byte by byte):
// amount, customer code 1, and the first spare byte, where the bank's result file puts its result
// code; in the trailer, the record count and the total.
const AMOUNT_AT = 80;
const CUSTOMER_CODE_AT = 91;
const RESULT_CODE_AT = 113;
const COUNT_AT = 1;
const TOTAL_AT = 7;
const CRLF = Buffer.from('\r\n');

/** The records of a file of 120-byte records each followed by CR LF, as bytes; refuses any other. */
function zenginRecords(content: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let at = 0;
  while (at < content.length) {
    const end = content.indexOf(CRLF, at);
    const record = content.subarray(at, end === -1 ? content.length : end);
    if (record.length !== ZENGIN_RECORD_BYTES || end === -1) {
      refused(
        `bank result record ${records.length + 1} is ${record.length} bytes${end === -1 ? ' without CR LF' : ''}: ` +
          'each record is 120 bytes followed by CR LF',
      );
    }
    records.push(record);
    at = end + CRLF.length;
  }
  return records;
}

/**
 * Reads the bank's result file (settlement.md, Payouts and transfer files): our transfer file sent
 * back with a result code in each data record's first spare byte. Everything is checked before
 * anything is applied: 120-byte Shift_JIS records with CR LF, a header of kind 21, data records,
 * a trailer whose count and total are the data records', an end record; a digit as each result
 * code, each payout once. Any other file is refused, saying which record is wrong and how.
 */
export function parseBankResult(content: Buffer): BankResultLine[] {
  const records = zenginRecords(content);
  const types = records.map((r) => String.fromCharCode(r[0]!)).join('');
  if (!/^12+89$/.test(types)) {
    refused(
      `the bank result's records are of types ${types || '(none)'}: expected a header (1), data (2) ` +
        'records, a trailer (8) and an end (9) record, in that order',
    );
  }
  const text = records.map((r, i) => {
    const decoded = iconv.decode(r, 'Shift_JIS');
    if (!iconv.encode(decoded, 'Shift_JIS').equals(r))
      refused(`bank result record ${i + 1} is not Shift_JIS text`);
    return decoded;
  });
  if (text[0]!.slice(1, 3) !== '21') {
    refused(`the bank result's header is of kind "${text[0]!.slice(1, 3)}", not 21 (総合振込)`);
  }
  const out: BankResultLine[] = [];
  for (let i = 1; i < records.length - 2; i++) {
    const r = text[i]!;
    const where = `bank result record ${i + 1}`;
    const amount = r.slice(AMOUNT_AT, AMOUNT_AT + 10);
    const code = r.slice(CUSTOMER_CODE_AT, CUSTOMER_CODE_AT + 10).trimEnd();
    if (!/^\d{10}$/.test(amount)) refused(`${where}: the amount (bytes 81–90) "${amount}" is not 10 digits`);
    if (!/^\d{1,10}$/.test(code)) {
      refused(`${where}: the customer code (bytes 92–101) "${code}" is not one of our payout numbers`);
    }
    const resultCode = r[RESULT_CODE_AT]!;
    if (resultCode === ' ') {
      refused(`${where} has no result code (byte 114): this is a transfer file, not the bank's result`);
    }
    if (!/^\d$/.test(resultCode))
      refused(`${where}: the result code (byte 114) "${resultCode}" is not a digit`);
    const payoutId = Number(code);
    if (out.some((line) => line.payoutId === payoutId)) refused(`${where} lists payout ${payoutId} again`);
    const sentRecord = Buffer.from(records[i]!);
    sentRecord[RESULT_CODE_AT] = 0x20;
    out.push({ payoutId, amount: Number(amount), resultCode, sentRecord });
  }
  const trailer = text.at(-2)!;
  const count = trailer.slice(COUNT_AT, COUNT_AT + 6);
  const total = trailer.slice(TOTAL_AT, TOTAL_AT + 12);
  const sum = out.reduce((s, line) => s + line.amount, 0);
  if (count !== String(out.length).padStart(6, '0') || total !== String(sum).padStart(12, '0')) {
    refused(
      `the bank result's trailer says ${count} records for ${total} yen; its data records are ${out.length} for ¥${sum}`,
    );
  }
  return out;
}

/**
 * Applies a bank result file: each transferred payout is marked paid; one not transferred stays
 * SENT and is reported. A record naming an unknown payout, one that was never sent, another
 * amount, or any other field than the transfer file we sent for it refuses the whole file, and
 * nothing is applied.
 */
export async function importBankResult(
  db: Db,
  content: Buffer,
  actor: PayoutActor,
  now: Date,
): Promise<{
  paid: number[];
  failed: Array<{ payoutId: number; resultCode: string }>;
  alreadyPaid: number[];
}> {
  const lines = parseBankResult(content);
  return db.transaction().execute(async (tx) => {
    const paid: number[] = [];
    const alreadyPaid: number[] = [];
    const failed: Array<{ payoutId: number; resultCode: string }> = [];
    for (const line of lines) {
      const p = await tx
        .selectFrom('payouts')
        .selectAll()
        .where('payout_id', '=', line.payoutId)
        .executeTakeFirst();
      if (!p) refused(`the bank result names payout ${line.payoutId}, which does not exist`);
      if (p.amount !== line.amount) {
        refused(`the bank result has ¥${line.amount} for payout ${line.payoutId}, which is ¥${p.amount}`);
      }
      const sent = p.zengin_file_id === null ? undefined : await zenginFile(tx, p.zengin_file_id);
      if (!sent) refused(`the bank result names payout ${line.payoutId}, which is in no transfer file`);
      if (!zenginRecords(Buffer.from(sent.content)).some((r) => r.equals(line.sentRecord))) {
        refused(
          `the bank result's record for payout ${line.payoutId} differs from the one in transfer file ` +
            `${sent.file_id} (bank, account or name)`,
        );
      }
      if (line.resultCode !== '0') failed.push({ payoutId: p.payout_id, resultCode: line.resultCode });
      else if (p.status === 'PAID') alreadyPaid.push(p.payout_id);
      else {
        await markPaidIn(tx, p.payout_id, now);
        paid.push(p.payout_id);
      }
    }
    await writeAudit(tx, {
      at: now,
      ...actor,
      merchantId: null,
      action: 'payout.bank-result',
      target: 'payouts',
      detail: { paid, failed, alreadyPaid },
    });
    return { paid, failed, alreadyPaid };
  });
}

export async function zenginFile(db: Db, fileId: number) {
  return db.selectFrom('zengin_files').selectAll().where('file_id', '=', fileId).executeTakeFirst();
}

export async function listZenginFiles(db: Db, limit = 50) {
  return db
    .selectFrom('zengin_files')
    .select(['file_id', 'transfer_date', 'transfers', 'total', 'created_by', 'created_at'])
    .orderBy('file_id', 'desc')
    .limit(limit)
    .execute();
}
