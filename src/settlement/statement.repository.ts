import { sql } from 'kysely';
import { isUniqueViolation } from '../db/connection';
import type { Db, StatementLineTable, StatementTable } from '../db/database';
import { DomainError } from '../kernel/errors';
import { jstDate } from '../kernel/jst';
import { ACCOUNTS, merchantPayable } from './ledger.repository';
import { addDays, type PayoutCycle, periodOf, type SettlementPeriod } from './payout-calendar';
import { payoutCycleOf } from './payout-terms.repository';

/**
 * Merchant statements (settlement.md, Paying merchants). At the close of a merchant's period the
 * ledger entries that moved its payable (captures, refunds and their reversals) and are on no
 * statement yet become the statement's lines; an entry posted after the close is on the next
 * statement, which is how a correction appears. A negative balance is carried to the next
 * statement instead of being paid.
 */
export type StatementRow = Omit<StatementTable, 'statement_id'> & { statement_id: number };
export type StatementLineRow = Omit<StatementLineTable, 'line_id'> & { line_id: number };

export interface StatementTotals {
  captured: number;
  refunded: number;
  fees: number;
  net: number;
  carriedIn: number;
  payoutAmount: number;
  carriedOut: number;
}

type LineFigures = Pick<StatementLineTable, 'kind' | 'gross' | 'fee' | 'amount'>;

/** The statement's figures from its lines and the balance carried in (≤ 0). */
export function statementTotals(lines: readonly LineFigures[], carriedIn: number): StatementTotals {
  const sum = (pick: (l: LineFigures) => number) => lines.reduce((s, l) => s + pick(l), 0);
  const captured = sum((l) => (l.kind === 'CAPTURE' ? l.gross : 0));
  const refunded = -sum((l) => (l.kind === 'REFUND' ? l.gross : 0));
  const fees = sum((l) => l.fee);
  const net = sum((l) => l.amount);
  const balance = net + carriedIn;
  return {
    captured,
    refunded,
    fees,
    net,
    carriedIn,
    payoutAmount: Math.max(balance, 0),
    carriedOut: Math.min(balance, 0),
  };
}

/** The last period of a cycle that closes on or before `date`. */
export function lastPeriodClosedBy(cycle: PayoutCycle, date: string): SettlementPeriod {
  const current = periodOf(cycle, date);
  return current.close === date ? current : periodOf(cycle, addDays(current.from, -1));
}

/** Ledger entries of a merchant's payable, through `close`, on no statement yet. */
async function unstatedLines(db: Db, merchantId: string, close: string) {
  const { rows } = await sql<{
    entry_id: number;
    kind: string;
    business_date: string;
    tracking_id: string | null;
    refund_id: string | null;
    payable: string | number;
    fee: string | number;
  }>`
    SELECT e.entry_id, e.kind, e.business_date, e.tracking_id, e.refund_id,
           sum(CASE WHEN l.account_id = ${merchantPayable(merchantId)} THEN l.amount ELSE 0 END) AS payable,
           -sum(CASE WHEN l.account_id = ${ACCOUNTS.feeRevenue} THEN l.amount ELSE 0 END) AS fee
    FROM ledger_entries e JOIN ledger_lines l ON l.entry_id = e.entry_id
    WHERE e.merchant_id = ${merchantId} AND e.kind IN ('CAPTURE', 'REFUND') AND e.business_date <= ${close}
      AND NOT EXISTS (SELECT 1 FROM statement_lines s WHERE s.entry_id = e.entry_id)
    GROUP BY e.entry_id, e.kind, e.business_date, e.tracking_id, e.refund_id
    ORDER BY e.business_date, e.entry_id`.execute(db);
  return rows.map((r) => {
    const amount = -Number(r.payable);
    const fee = Number(r.fee);
    return {
      entry_id: Number(r.entry_id),
      kind: r.kind,
      business_date: r.business_date,
      tracking_id: r.tracking_id,
      refund_id: r.refund_id,
      gross: amount + fee,
      fee,
      amount,
    };
  });
}

async function statementOf(db: Db, merchantId: string, close: string): Promise<StatementRow | undefined> {
  return db
    .selectFrom('statements')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('period_close', '=', close)
    .executeTakeFirst();
}

export type IssueResult =
  | { kind: 'issued'; statement: StatementRow }
  | { kind: 'already-issued'; statement: StatementRow }
  /** Nothing moved and nothing is carried: no statement. */
  | { kind: 'nothing' }
  /** A later period is already closed; its statement took these entries. */
  | { kind: 'superseded' };

async function issueIn(
  db: Db,
  merchantId: string,
  period: SettlementPeriod,
  now: Date,
): Promise<IssueResult> {
  // Closes of one merchant take turns: this no-op update holds the merchant's row lock on
  // PostgreSQL until commit, so a concurrent close reads the statement this one issued instead of
  // finding its entries gone (SQLite runs one write transaction at a time anyway).
  await db
    .updateTable('merchants')
    .set({ merchant_id: merchantId })
    .where('merchant_id', '=', merchantId)
    .execute();
  const existing = await statementOf(db, merchantId, period.close);
  if (existing) return { kind: 'already-issued', statement: existing };
  const previous = await db
    .selectFrom('statements')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .orderBy('period_close', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (previous && previous.period_close > period.close) return { kind: 'superseded' };
  const lines = await unstatedLines(db, merchantId, period.close);
  const carriedIn = previous ? Number(previous.carried_out) : 0;
  if (lines.length === 0 && carriedIn === 0) return { kind: 'nothing' };
  const t = statementTotals(lines, carriedIn);
  const { statement_id } = await db
    .insertInto('statements')
    .values({
      merchant_id: merchantId,
      period_from: period.from,
      period_close: period.close,
      payout_date: period.payoutDate,
      captured: t.captured,
      refunded: t.refunded,
      fees: t.fees,
      net: t.net,
      carried_in: t.carriedIn,
      payout_amount: t.payoutAmount,
      carried_out: t.carriedOut,
      issued_at: now.getTime(),
    })
    .returning('statement_id')
    .executeTakeFirstOrThrow();
  const id = Number(statement_id);
  // Bound parameters per INSERT stay under SQLite's limit (10 columns a line).
  for (let i = 0; i < lines.length; i += 1_000) {
    await db
      .insertInto('statement_lines')
      .values(lines.slice(i, i + 1_000).map((l) => ({ ...l, statement_id: id })))
      .execute();
  }
  if (t.payoutAmount > 0) {
    await db
      .insertInto('payouts')
      .values({
        statement_id: id,
        merchant_id: merchantId,
        amount: t.payoutAmount,
        payout_date: period.payoutDate,
        status: 'SCHEDULED',
        created_at: now.getTime(),
      })
      .execute();
  }
  const statement = await statementOf(db, merchantId, period.close);
  if (!statement) throw new Error(`statement ${id} not found after insert`);
  return { kind: 'issued', statement };
}

/**
 * Issues a merchant's statement for a period, with its payout when positive, in one transaction.
 * Closing again answers the statement already issued; a concurrent close of the same period fails
 * on the (merchant, close) unique index and answers the winner's statement.
 */
export async function issueStatement(
  db: Db,
  merchantId: string,
  period: SettlementPeriod,
  now: Date,
): Promise<IssueResult> {
  try {
    return await db.transaction().execute((tx) => issueIn(tx, merchantId, period, now));
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const statement = await statementOf(db, merchantId, period.close);
    if (!statement) throw error;
    return { kind: 'already-issued', statement };
  }
}

export interface CloseOutcome {
  merchantId: string;
  period: SettlementPeriod;
  result: IssueResult;
}

/**
 * Closes, for every merchant, the last period of its cycle that ended on or before `through` (a
 * JST date before today: a period still running cannot be closed).
 */
export async function closeStatements(db: Db, through: string, now: Date): Promise<CloseOutcome[]> {
  const parsed = new Date(`${through}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(through) ||
    Number.isNaN(parsed.getTime()) ||
    parsed.toISOString().slice(0, 10) !== through
  ) {
    throw new DomainError('CLOSE_REFUSED', `"${through}" is not a date (YYYY-MM-DD)`);
  }
  const today = jstDate(now);
  if (through >= today) {
    throw new DomainError(
      'CLOSE_REFUSED',
      `periods can be closed only through a day that is over (JST): ${through} is not before ${today}`,
    );
  }
  const merchants = await db.selectFrom('merchants').select('merchant_id').orderBy('merchant_id').execute();
  const out: CloseOutcome[] = [];
  for (const { merchant_id } of merchants) {
    const period = lastPeriodClosedBy(await payoutCycleOf(db, merchant_id), through);
    out.push({ merchantId: merchant_id, period, result: await issueStatement(db, merchant_id, period, now) });
  }
  return out;
}

export async function listStatements(
  db: Db,
  scope: { merchantId: string | null },
  limit = 100,
): Promise<StatementRow[]> {
  let q = db.selectFrom('statements').selectAll();
  if (scope.merchantId !== null) q = q.where('merchant_id', '=', scope.merchantId);
  return q.orderBy('period_close', 'desc').orderBy('merchant_id').limit(limit).execute();
}

/** A statement within the actor's scope, with its lines; undefined when absent or out of scope. */
export async function findStatement(
  db: Db,
  scope: { merchantId: string | null },
  statementId: number,
): Promise<{ statement: StatementRow; lines: StatementLineRow[] } | undefined> {
  let q = db.selectFrom('statements').selectAll().where('statement_id', '=', statementId);
  if (scope.merchantId !== null) q = q.where('merchant_id', '=', scope.merchantId);
  const statement = await q.executeTakeFirst();
  if (!statement) return undefined;
  const lines = await db
    .selectFrom('statement_lines')
    .selectAll()
    .where('statement_id', '=', statementId)
    .orderBy('line_id')
    .execute();
  return { statement, lines };
}
