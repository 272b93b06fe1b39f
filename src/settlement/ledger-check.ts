import { sql } from 'kysely';
import type { Db } from '../db/database';
import { CAPTURED_STATUSES } from '../payments/payment-states';
import { ACCOUNTS, MERCHANT_PAYABLE } from './ledger.repository';

/**
 * `kessai ledger check` (settlement.md, Money model): proves, with a few aggregate queries that
 * return only the rows in breach, that
 * 1. every entry has at least two lines and sums to zero;
 * 2. the ledger agrees with the payments and refunds tables to the yen: a payment's receivable is
 *    its amount exactly when it was captured (else nothing), a refund is booked for its amount
 *    exactly when it succeeded, and a payment's net fee lies between 0 and its amount (0 once
 *    fully refunded);
 * 3. each merchant's payable = captured − refunded − fees − paid out.
 */
export interface LedgerViolation {
  rule: 'unbalanced-entry' | 'payment-mismatch' | 'refund-mismatch' | 'merchant-payable-mismatch';
  subject: string;
  detail: string;
}

export interface LedgerCheckReport {
  entries: number;
  lines: number;
  payments: number;
  refunds: number;
  /** Signed balance (debit > 0) per account kind. */
  balances: Record<string, number>;
  /** The breaches found, at most `limit` per rule; none means every invariant holds. */
  violations: LedgerViolation[];
}

const CAPTURED_STATES = sql`(${sql.join(CAPTURED_STATUSES.map((status) => sql.lit(status)))})`;

type Count = { n: string | number };

async function count(
  db: Db,
  table: 'ledger_entries' | 'ledger_lines' | 'payments' | 'refunds',
): Promise<number> {
  const { rows } = await sql<Count>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

async function unbalancedEntries(db: Db, limit: number): Promise<LedgerViolation[]> {
  const { rows } = await sql<{ entry_id: number; total: string | number; lines: string | number }>`
    SELECT e.entry_id, coalesce(sum(l.amount), 0) AS total, count(l.line_id) AS lines
    FROM ledger_entries e LEFT JOIN ledger_lines l ON l.entry_id = e.entry_id
    GROUP BY e.entry_id
    HAVING coalesce(sum(l.amount), 0) <> 0 OR count(l.line_id) < 2
    ORDER BY e.entry_id LIMIT ${limit}`.execute(db);
  return rows.map((r) => ({
    rule: 'unbalanced-entry',
    subject: `entry ${r.entry_id}`,
    detail: `${r.lines} line(s) summing to ${r.total}`,
  }));
}

async function paymentMismatches(db: Db, limit: number): Promise<LedgerViolation[]> {
  const { rows } = await sql<{
    tracking_id: string;
    status: string;
    amount: number;
    receivable: string | number;
    fee: string | number;
  }>`
    WITH booked AS (
      SELECT e.tracking_id,
             sum(CASE WHEN l.account_id = ${ACCOUNTS.alipayplusReceivable} THEN l.amount ELSE 0 END) AS receivable,
             -sum(CASE WHEN l.account_id = ${ACCOUNTS.feeRevenue} THEN l.amount ELSE 0 END) AS fee
      FROM ledger_entries e JOIN ledger_lines l ON l.entry_id = e.entry_id
      WHERE e.tracking_id IS NOT NULL
      GROUP BY e.tracking_id
    )
    SELECT p.tracking_id, p.status, p.amount,
           coalesce(b.receivable, 0) AS receivable, coalesce(b.fee, 0) AS fee
    FROM payments p LEFT JOIN booked b ON b.tracking_id = p.tracking_id
    WHERE coalesce(b.receivable, 0) <> CASE WHEN p.status IN ${CAPTURED_STATES} THEN p.amount ELSE 0 END
       OR coalesce(b.fee, 0) < 0
       OR coalesce(b.fee, 0) > p.amount
       OR (p.status = 'REFUNDED' AND coalesce(b.fee, 0) <> 0)
    ORDER BY p.tracking_id LIMIT ${limit}`.execute(db);
  return rows.map((r) => ({
    rule: 'payment-mismatch',
    subject: `payment ${r.tracking_id}`,
    detail: `${r.status} ¥${r.amount}: ledger has receivable ¥${r.receivable}, net fee ¥${r.fee}`,
  }));
}

async function refundMismatches(db: Db, limit: number): Promise<LedgerViolation[]> {
  const { rows } = await sql<{ refund_id: string; status: string; amount: number; booked: string | number }>`
    WITH booked AS (
      SELECT e.refund_id, e.tracking_id,
             -sum(CASE WHEN l.account_id = ${ACCOUNTS.refundClearing} THEN l.amount ELSE 0 END) AS refunded
      FROM ledger_entries e JOIN ledger_lines l ON l.entry_id = e.entry_id
      WHERE e.refund_id IS NOT NULL
      GROUP BY e.refund_id, e.tracking_id
    )
    SELECT r.refund_id, r.status, r.amount, coalesce(b.refunded, 0) AS booked
    FROM refunds r LEFT JOIN booked b ON b.refund_id = r.refund_id
    WHERE coalesce(b.refunded, 0) <> CASE WHEN r.status = 'SUCCEEDED' THEN r.amount ELSE 0 END
       OR b.tracking_id <> r.tracking_id
    ORDER BY r.refund_id LIMIT ${limit}`.execute(db);
  return rows.map((r) => ({
    rule: 'refund-mismatch',
    subject: `refund ${r.refund_id}`,
    detail: `${r.status} ¥${r.amount}: ledger has ¥${r.booked} refunded`,
  }));
}

type PerMerchant = { merchant_id: string; total: string | number };

function byMerchant(rows: PerMerchant[]): Map<string, number> {
  return new Map(rows.map((r) => [r.merchant_id, Number(r.total)]));
}

async function merchantPayableMismatches(db: Db): Promise<LedgerViolation[]> {
  const perMerchant = async (query: ReturnType<typeof sql<PerMerchant>>) =>
    byMerchant((await query.execute(db)).rows);
  const captured = await perMerchant(sql<PerMerchant>`SELECT merchant_id, sum(amount) AS total FROM payments
    WHERE status IN ${CAPTURED_STATES} GROUP BY merchant_id`);
  const refunded = await perMerchant(sql<PerMerchant>`SELECT merchant_id, sum(amount) AS total FROM refunds
    WHERE status = 'SUCCEEDED' GROUP BY merchant_id`);
  const fees = await perMerchant(sql<PerMerchant>`SELECT e.merchant_id, -sum(l.amount) AS total
    FROM ledger_entries e JOIN ledger_lines l ON l.entry_id = e.entry_id
    WHERE l.account_id = ${ACCOUNTS.feeRevenue} AND e.merchant_id IS NOT NULL GROUP BY e.merchant_id`);
  const paidOut = await perMerchant(sql<PerMerchant>`SELECT e.merchant_id, sum(l.amount) AS total
    FROM ledger_entries e JOIN ledger_lines l ON l.entry_id = e.entry_id
    JOIN ledger_accounts a ON a.account_id = l.account_id
    WHERE e.kind = 'PAYOUT' AND a.kind = ${MERCHANT_PAYABLE} AND a.merchant_id = e.merchant_id
    GROUP BY e.merchant_id`);
  const payable = await perMerchant(sql<PerMerchant>`SELECT a.merchant_id, -sum(l.amount) AS total
    FROM ledger_lines l JOIN ledger_accounts a ON a.account_id = l.account_id
    WHERE a.kind = ${MERCHANT_PAYABLE} GROUP BY a.merchant_id`);
  const merchants = new Set([...captured.keys(), ...refunded.keys(), ...payable.keys()]);
  const violations: LedgerViolation[] = [];
  for (const m of [...merchants].sort()) {
    const get = (map: Map<string, number>) => map.get(m) ?? 0;
    const expected = get(captured) - get(refunded) - get(fees) - get(paidOut);
    if (get(payable) !== expected) {
      violations.push({
        rule: 'merchant-payable-mismatch',
        subject: `merchant ${m}`,
        detail:
          `payable ¥${get(payable)} ≠ captured ¥${get(captured)} − refunded ¥${get(refunded)} ` +
          `− fees ¥${get(fees)} − paid out ¥${get(paidOut)} = ¥${expected}`,
      });
    }
  }
  return violations;
}

async function balances(db: Db): Promise<Record<string, number>> {
  const { rows } = await sql<{ kind: string; total: string | number }>`
    SELECT a.kind, sum(l.amount) AS total
    FROM ledger_lines l JOIN ledger_accounts a ON a.account_id = l.account_id
    GROUP BY a.kind ORDER BY a.kind`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.total)]));
}

export async function checkLedger(db: Db, options: { limit?: number } = {}): Promise<LedgerCheckReport> {
  const limit = options.limit ?? 100;
  const violations = [
    ...(await unbalancedEntries(db, limit)),
    ...(await paymentMismatches(db, limit)),
    ...(await refundMismatches(db, limit)),
    ...(await merchantPayableMismatches(db)),
  ];
  return {
    entries: await count(db, 'ledger_entries'),
    lines: await count(db, 'ledger_lines'),
    payments: await count(db, 'payments'),
    refunds: await count(db, 'refunds'),
    balances: await balances(db),
    violations,
  };
}
