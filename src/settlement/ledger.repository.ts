import { CompiledQueries, columnsOf, compiledQuery } from '../db/compiled-queries';
import type { Db } from '../db/database';
import { jstDate } from '../kernel/jst';

/**
 * The double-entry ledger in integer yen (settlement.md, Money model). An entry is a set of lines
 * on accounts whose signed amounts (debit > 0, credit < 0) sum to zero; entries are only ever
 * added (the database refuses updates and deletes) and a mistake is undone by a reversing entry.
 */
export const ACCOUNTS = {
  alipayplusReceivable: 'alipayplus_receivable',
  feeRevenue: 'fee_revenue',
  refundClearing: 'refund_clearing',
  bank: 'bank',
  payoutClearing: 'payout_clearing',
  alipayplusFees: 'alipayplus_fees',
  settlementSuspense: 'settlement_suspense',
} as const;

export const MERCHANT_PAYABLE = 'merchant_payable';

export function merchantPayable(merchantId: string): string {
  return `${MERCHANT_PAYABLE}:${merchantId}`;
}

/** What an entry books; a reversal keeps the kind of the entry it reverses. */
export type EntryKind = 'CAPTURE' | 'REFUND' | 'PAYOUT' | 'SETTLEMENT' | 'ADJUSTMENT';

export interface LedgerLine {
  account: string;
  /** Signed yen: debit > 0, credit < 0. Zero lines are left out of the entry. */
  amount: number;
}

export interface NewEntry {
  kind: EntryKind;
  /** The event the entry books, unique for ever ("capture:<tracking id>"). */
  sourceKey: string;
  merchantId: string | null;
  trackingId?: string | null;
  refundId?: string | null;
  memo: string;
  lines: readonly LedgerLine[];
  at: Date;
}

/** A posting that does not balance or is not in whole yen is a bug in the caller: nothing is written. */
export class UnbalancedEntryError extends Error {
  constructor(sourceKey: string, detail: string) {
    super(`ledger entry ${sourceKey} refused: ${detail}`);
    this.name = 'UnbalancedEntryError';
  }
}

function checkedLines(entry: Pick<NewEntry, 'sourceKey' | 'lines'>): LedgerLine[] {
  for (const line of entry.lines) {
    if (!Number.isSafeInteger(line.amount)) {
      throw new UnbalancedEntryError(entry.sourceKey, `${line.account} ${line.amount} is not whole yen`);
    }
  }
  const lines = entry.lines.filter((l) => l.amount !== 0);
  const sum = lines.reduce((s, l) => s + l.amount, 0);
  if (sum !== 0) throw new UnbalancedEntryError(entry.sourceKey, `lines sum to ${sum}, not 0`);
  if (lines.length < 2) throw new UnbalancedEntryError(entry.sourceKey, 'an entry needs two non-zero lines');
  return lines;
}

// Every capture and refund posts an entry: its statements are compiled once (compiled-queries.ts).
const insertMerchantAccount = compiledQuery((db: Db, arg) =>
  db
    .insertInto('ledger_accounts')
    .values({ account_id: arg(0), kind: MERCHANT_PAYABLE, merchant_id: arg(1), created_at: arg(2) })
    .onConflict((oc) => oc.column('account_id').doNothing()),
);

/** The statements whose shape varies: an entry's columns, and the number of its lines. */
const entryQueries = new CompiledQueries();

async function openMerchantAccount(db: Db, merchantId: string, at: Date): Promise<void> {
  await insertMerchantAccount(db, merchantPayable(merchantId), merchantId, at.getTime());
}

function entryRow(entry: NewEntry, reversesEntryId: number | null) {
  return {
    kind: entry.kind,
    source_key: entry.sourceKey,
    merchant_id: entry.merchantId,
    tracking_id: entry.trackingId ?? null,
    refund_id: entry.refundId ?? null,
    reverses_entry_id: reversesEntryId,
    business_date: jstDate(entry.at),
    memo: entry.memo,
    posted_at: entry.at.getTime(),
  };
}

function lineRows(entryId: number, lines: readonly LedgerLine[]) {
  return lines.map((l) => ({ entry_id: entryId, account_id: l.account, amount: l.amount }));
}

async function insertEntry(db: Db, entry: NewEntry, reversesEntryId: number | null): Promise<number> {
  const lines = checkedLines(entry);
  if (entry.merchantId !== null) await openMerchantAccount(db, entry.merchantId, entry.at);
  const row = columnsOf(entryRow(entry, reversesEntryId));
  const { rows } = await entryQueries.run(
    db,
    `insertEntry ${row.names}`,
    (arg) => db.insertInto('ledger_entries').values(row.placeholders(arg)).returning('entry_id'),
    row.values,
  );
  const inserted = rows[0];
  if (!inserted) throw new Error(`ledger entry ${entry.sourceKey} was not inserted`);
  const entryId = Number(inserted.entry_id);
  // One statement for all the lines: its shape is their number; arg(0) is the entry's id.
  await entryQueries.run(
    db,
    `insertLines ${lines.length}`,
    (arg) =>
      db
        .insertInto('ledger_lines')
        .values(
          lines.map((_, i) => ({ entry_id: arg(0), account_id: arg(1 + 2 * i), amount: arg(2 + 2 * i) })),
        ),
    [entryId, ...lines.flatMap((l) => [l.account, l.amount])],
  );
  return entryId;
}

// Rows per INSERT, under SQLite's 32,766 bound parameters (an entry has 9 columns, a line 3).
const ENTRIES_PER_STATEMENT = 1_000;
const LINES_PER_STATEMENT = 5_000;

/**
 * Posts many balanced entries with a few multi-row statements (bulk loads and backfills); the
 * entries' ids are read back by their unique source keys.
 */
export async function postEntries(db: Db, entries: readonly NewEntry[]): Promise<void> {
  const checked = entries.map((entry) => ({ entry, lines: checkedLines(entry) }));
  const merchants = new Map<string, Date>();
  for (const { entry } of checked) if (entry.merchantId !== null) merchants.set(entry.merchantId, entry.at);
  for (const [merchantId, at] of merchants) await openMerchantAccount(db, merchantId, at);
  for (let i = 0; i < checked.length; i += ENTRIES_PER_STATEMENT) {
    const slice = checked.slice(i, i + ENTRIES_PER_STATEMENT);
    await db
      .insertInto('ledger_entries')
      .values(slice.map(({ entry }) => entryRow(entry, null)))
      .execute();
    const ids = await db
      .selectFrom('ledger_entries')
      .select(['entry_id', 'source_key'])
      .where(
        'source_key',
        'in',
        slice.map(({ entry }) => entry.sourceKey),
      )
      .execute();
    const idOf = new Map(ids.map((r) => [r.source_key, Number(r.entry_id)]));
    const lines = slice.flatMap(({ entry, lines }) => lineRows(idOf.get(entry.sourceKey)!, lines));
    for (let j = 0; j < lines.length; j += LINES_PER_STATEMENT) {
      await db
        .insertInto('ledger_lines')
        .values(lines.slice(j, j + LINES_PER_STATEMENT))
        .execute();
    }
  }
}

/**
 * Posts one balanced entry. Call it with the transaction of the state change that causes it, so
 * the entry and the change commit or roll back together; a second posting of the same source key
 * fails on its unique index and takes that transaction down with it.
 */
export async function postEntry(db: Db, entry: NewEntry): Promise<number> {
  return insertEntry(db, entry, null);
}

/** Posts the mirror image of an entry (each line negated); an entry can be reversed only once. */
export async function reverseEntry(db: Db, entryId: number, memo: string, at: Date): Promise<number> {
  const original = await db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('entry_id', '=', entryId)
    .executeTakeFirstOrThrow();
  const lines = await db
    .selectFrom('ledger_lines')
    .select(['account_id', 'amount'])
    .where('entry_id', '=', entryId)
    .orderBy('line_id')
    .execute();
  const reversal: NewEntry = {
    kind: original.kind as EntryKind,
    sourceKey: `reversal:${entryId}`,
    merchantId: original.merchant_id,
    trackingId: original.tracking_id,
    refundId: original.refund_id,
    memo,
    lines: lines.map((l) => ({ account: l.account_id, amount: -Number(l.amount) })),
    at,
  };
  return insertEntry(db, reversal, entryId);
}

/** The signed balance of an account (credit-normal accounts such as a merchant's payable are < 0). */
export async function accountBalance(db: Db, account: string): Promise<number> {
  const row = await db
    .selectFrom('ledger_lines')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string | number>('amount'), eb.lit(0)).as('balance'))
    .where('account_id', '=', account)
    .executeTakeFirstOrThrow();
  return Number(row.balance);
}
