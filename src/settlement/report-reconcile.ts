import { sql } from 'kysely';
import {
  addDays,
  clearingDayStart,
  type FeeItem,
  type Report,
  type SettlementBatchLine,
  type TransactionItem,
} from '../alipayplus/settlement-reports';
import type { Db } from '../db/database';
import { yen } from '../kernel/money';
import { CAPTURED_STATUSES, isCaptured } from '../payments/payment-states';
import { type NewDiscrepancy, recordDiscrepancy } from './discrepancy.repository';
import { feeMovement } from './fee-rule';
import { ACCOUNTS, postEntry } from './ledger.repository';

/**
 * Reconciles a stored report (settlement.md, What the gateway does with them). Every line of a
 * `transactionItems` file is matched against our payments (by paymentRequestId) and refunds (by
 * refundRequestId): matched, missing on our side, amount or currency mismatch, duplicate; then our
 * payments and refunds of the clearing day that no report lists are missing in the report. Every
 * line of a `feeItems` file is matched against the fee we expect on the payment it names. A
 * `settlement` file posts what was received. Runs in the transaction that stores the file.
 */
const CURRENCY = 'JPY';

export type LineOutcome = 'MATCHED' | 'MISSING_OURS' | 'AMOUNT_MISMATCH' | 'CURRENCY_MISMATCH' | 'DUPLICATE';

interface Ours {
  trackingId: string;
  refundId: string | null;
  amount: number;
}

async function ourTransaction(db: Db, item: TransactionItem): Promise<Ours | null> {
  if (item.transactionType === 'PAYMENT') {
    const p = await db
      .selectFrom('payments')
      .select(['tracking_id', 'amount', 'status'])
      .where('payment_request_id', '=', item.transactionRequestId)
      .executeTakeFirst();
    return p && isCaptured(p.status) ? { trackingId: p.tracking_id, refundId: null, amount: p.amount } : null;
  }
  const r = await db
    .selectFrom('refunds')
    .select(['refund_id', 'tracking_id', 'amount', 'status'])
    .where('refund_request_id', '=', item.transactionRequestId)
    .executeTakeFirst();
  return r?.status === 'SUCCEEDED'
    ? { trackingId: r.tracking_id, refundId: r.refund_id, amount: r.amount }
    : null;
}

/** Whether an earlier stored line already stands for this transaction. */
async function seenBefore(db: Db, item: TransactionItem, fileId: number): Promise<boolean> {
  const row = await db
    .selectFrom('settlement_report_lines')
    .select('line_id')
    .where('transaction_id', '=', item.transactionId)
    .where('transaction_type', '=', item.transactionType)
    .where((eb) => eb.or([eb('file_id', '<>', fileId), eb('outcome', '<>', 'DUPLICATE')]))
    .executeTakeFirst();
  return row !== undefined;
}

function describe(item: TransactionItem): string {
  return `${item.transactionType} ${item.transactionRequestId} (Alipay+ ${item.transactionId})`;
}

export async function reconcileTransactionItems(
  db: Db,
  fileId: number,
  fileName: string,
  report: Extract<Report, { kind: 'transactionItems' }>,
  feeBps: number,
  now: Date,
): Promise<void> {
  for (const [i, item] of report.items.entries()) {
    const lineNo = i + 4;
    const ours = await ourTransaction(db, item);
    const found: Omit<NewDiscrepancy, 'kind' | 'subject' | 'detail'> = {
      fileId,
      trackingId: ours?.trackingId ?? null,
      refundId: ours?.refundId ?? null,
    };
    let outcome: LineOutcome = 'MATCHED';
    if (await seenBefore(db, item, fileId)) {
      outcome = 'DUPLICATE';
      await recordDiscrepancy(
        db,
        {
          kind: 'DUPLICATE',
          subject: `${fileName}:${lineNo}`,
          detail: `${describe(item)} is listed again on line ${lineNo} of ${fileName}`,
          ...found,
        },
        now,
      );
    } else if (!ours) {
      outcome = 'MISSING_OURS';
      await recordDiscrepancy(
        db,
        {
          kind: 'MISSING_OURS',
          subject: item.transactionId,
          detail: `${describe(item)} of ¥${item.settlementAmountValue} (line ${lineNo} of ${fileName}) has no settled record of ours`,
          theirs: `${item.settlementAmountValue} ${item.settlementCurrency}`,
          ...found,
        },
        now,
      );
    } else if (item.settlementCurrency !== CURRENCY || item.transactionCurrency !== CURRENCY) {
      outcome = 'CURRENCY_MISMATCH';
      await recordDiscrepancy(
        db,
        {
          kind: 'CURRENCY_MISMATCH',
          subject: item.transactionId,
          detail: `${describe(item)} is in ${item.transactionCurrency}/${item.settlementCurrency}, ours in ${CURRENCY}`,
          ours: CURRENCY,
          theirs: `${item.transactionCurrency}/${item.settlementCurrency}`,
          ...found,
        },
        now,
      );
    } else if (item.settlementAmountValue !== ours.amount || item.transactionAmountValue !== ours.amount) {
      outcome = 'AMOUNT_MISMATCH';
      await recordDiscrepancy(
        db,
        {
          kind: 'AMOUNT_MISMATCH',
          subject: item.transactionId,
          detail: `${describe(item)}: Alipay+ reports ¥${item.settlementAmountValue}, ours is ¥${ours.amount}`,
          ours: String(ours.amount),
          theirs: String(item.settlementAmountValue),
          ...found,
        },
        now,
      );
    }
    await db
      .insertInto('settlement_report_lines')
      .values({
        file_id: fileId,
        line_no: lineNo,
        batch_id: item.clearingBatchId,
        transaction_id: item.transactionId,
        request_id: item.transactionRequestId,
        transaction_type: item.transactionType,
        amount: item.settlementAmountValue,
        currency: item.settlementCurrency,
        tracking_id: ours?.trackingId ?? null,
        refund_id: ours?.refundId ?? null,
        outcome,
      })
      .execute();
  }
  await findMissingInReport(db, fileId, report.name.batchId, now);
  await findUnchargedPayments(db, fileId, report.name.batchId, feeBps, now);
}

/** Alipay+'s fee on a payment under its contracted rate: the one rounding rule, no fixed part. */
export function alipayPlusFee(amount: number, feeBps: number): number {
  return feeMovement({ kind: 'capture', amount: yen(amount), rate: { rateBps: feeBps, fixedFee: 0 } });
}

/**
 * The settled payment of ours a fee line is for: Alipay+'s paymentId is the fee line's
 * transactionId, as we recorded it at payment or as its transaction items listed it (matched
 * there by our paymentRequestId) — so the order in which the two files arrive does not matter.
 */
async function paymentOfFee(db: Db, item: FeeItem): Promise<{ trackingId: string; amount: number } | null> {
  const p = await db
    .selectFrom('payments as p')
    .select(['p.tracking_id', 'p.amount'])
    .where('p.status', 'in', CAPTURED_STATUSES)
    .where((eb) =>
      eb.or([
        eb('p.alipay_payment_id', '=', item.transactionId),
        eb(
          'p.tracking_id',
          'in',
          eb
            .selectFrom('settlement_report_lines as l')
            .select('l.tracking_id')
            .where('l.transaction_id', '=', item.transactionId)
            .where('l.transaction_type', '=', 'PAYMENT'),
        ),
      ]),
    )
    .executeTakeFirst();
  return p ? { trackingId: p.tracking_id, amount: p.amount } : null;
}

/**
 * Reconciles a `feeItems` file: each line is Alipay+'s fee on one payment, and is matched against
 * the fee we expect on it (`alipayPlusFee` at the contracted `feeBps`): matched, missing on our
 * side (no payment of ours under that transactionId), currency or amount mismatch, duplicate. Then
 * payments Alipay+ cleared in the batch without a fee line are missing in the report.
 */
export async function reconcileFeeItems(
  db: Db,
  fileId: number,
  fileName: string,
  report: Extract<Report, { kind: 'feeItems' }>,
  feeBps: number,
  now: Date,
): Promise<void> {
  for (const [i, item] of report.items.entries()) {
    const lineNo = i + 4;
    const ours = await paymentOfFee(db, item);
    const expected = ours ? alipayPlusFee(ours.amount, feeBps) : null;
    const what = `Alipay+'s ${item.feeType} fee on ${item.transactionId}`;
    const found = { fileId, trackingId: ours?.trackingId ?? null };
    const earlier = await db
      .selectFrom('settlement_fee_lines')
      .select('line_id')
      .where('transaction_id', '=', item.transactionId)
      .where('fee_type', '=', item.feeType)
      .executeTakeFirst();
    let outcome: LineOutcome = 'MATCHED';
    let discrepancy: Omit<NewDiscrepancy, 'fileId' | 'trackingId'> | null = null;
    if (earlier) {
      outcome = 'DUPLICATE';
      discrepancy = {
        kind: 'DUPLICATE',
        subject: `fee:${fileName}:${lineNo}`,
        detail: `${what} is listed again on line ${lineNo} of ${fileName}`,
      };
    } else if (!ours || expected === null) {
      outcome = 'MISSING_OURS';
      discrepancy = {
        kind: 'MISSING_OURS',
        subject: `fee:${item.transactionId}`,
        detail: `${what} of ¥${item.feeAmountValue} (line ${lineNo} of ${fileName}) is for no settled payment of ours`,
        theirs: `${item.feeAmountValue} ${item.feeCurrency}`,
      };
    } else if (item.feeCurrency !== CURRENCY) {
      outcome = 'CURRENCY_MISMATCH';
      discrepancy = {
        kind: 'CURRENCY_MISMATCH',
        subject: `fee:${item.transactionId}`,
        detail: `${what} is in ${item.feeCurrency}, ours in ${CURRENCY}`,
        ours: CURRENCY,
        theirs: item.feeCurrency,
      };
    } else if (item.feeAmountValue !== expected) {
      outcome = 'AMOUNT_MISMATCH';
      discrepancy = {
        kind: 'AMOUNT_MISMATCH',
        subject: `fee:${item.transactionId}`,
        detail: `${what}: Alipay+ charges ¥${item.feeAmountValue}, ${feeBps} bp of our ¥${ours.amount} is ¥${expected}`,
        ours: String(expected),
        theirs: String(item.feeAmountValue),
      };
    }
    if (discrepancy) await recordDiscrepancy(db, { ...discrepancy, ...found }, now);
    await db
      .insertInto('settlement_fee_lines')
      .values({
        file_id: fileId,
        line_no: lineNo,
        batch_id: report.name.batchId,
        transaction_id: item.transactionId,
        fee_type: item.feeType,
        amount: item.feeAmountValue,
        currency: item.feeCurrency,
        tracking_id: ours?.trackingId ?? null,
        expected,
        outcome,
      })
      .execute();
  }
  await findUnchargedPayments(db, fileId, report.name.batchId, feeBps, now);
}

/**
 * Once both clearing files of a batch are stored (in either order), the payments of ours Alipay+
 * cleared in it with no fee line, where our expectation is a fee, are missing in the fee report.
 */
async function findUnchargedPayments(
  db: Db,
  fileId: number,
  batchId: string,
  feeBps: number,
  now: Date,
): Promise<void> {
  const files = await db
    .selectFrom('settlement_report_files')
    .select('kind')
    .distinct()
    .where('batch_id', '=', batchId)
    .where('kind', 'in', ['transactionItems', 'feeItems'])
    .execute();
  if (files.length < 2) return;
  const uncharged = await db
    .selectFrom('settlement_report_lines as l')
    .innerJoin('payments as p', 'p.tracking_id', 'l.tracking_id')
    .select(['p.tracking_id', 'p.amount', 'p.payment_request_id', 'l.transaction_id'])
    .distinct()
    .where('l.batch_id', '=', batchId)
    .where('l.transaction_type', '=', 'PAYMENT')
    .where('p.status', 'in', CAPTURED_STATUSES)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('settlement_fee_lines as f')
            .select('f.line_id')
            .whereRef('f.transaction_id', '=', 'l.transaction_id'),
        ),
      ),
    )
    .execute();
  for (const p of uncharged) {
    const expected = alipayPlusFee(p.amount, feeBps);
    if (expected === 0) continue;
    await recordDiscrepancy(
      db,
      {
        kind: 'MISSING_IN_REPORT',
        subject: `fee:payment:${p.tracking_id}`,
        detail: `payment ${p.payment_request_id} of ¥${p.amount} (Alipay+ ${p.transaction_id}) is cleared in batch ${batchId} with no fee line; ${feeBps} bp of it is ¥${expected}`,
        fileId,
        trackingId: p.tracking_id,
        ours: String(expected),
      },
      now,
    );
  }
}

/** The clearing day of a batch id (`2026120400001` → `2026-12-04`). */
export function batchDay(batchId: string): string {
  return `${batchId.slice(0, 4)}-${batchId.slice(4, 6)}-${batchId.slice(6, 8)}`;
}

/** Our payments and refunds of the clearing day that no stored report line stands for. */
async function findMissingInReport(db: Db, fileId: number, batchId: string, now: Date): Promise<void> {
  const day = batchDay(batchId);
  const from = clearingDayStart(day);
  const to = clearingDayStart(addDays(day, 1));
  const listed = (column: 'tracking_id' | 'refund_id', type: string) =>
    sql<boolean>`EXISTS (SELECT 1 FROM settlement_report_lines l
      WHERE l.${sql.ref(column)} = ${sql.ref(column === 'tracking_id' ? 'p.tracking_id' : 'r.refund_id')}
        AND l.transaction_type = ${type})`;
  const payments = await db
    .selectFrom('payments as p')
    .select(['p.tracking_id', 'p.amount', 'p.payment_request_id'])
    .where('p.status', 'in', CAPTURED_STATUSES)
    .where('p.paid_at', '>=', from)
    .where('p.paid_at', '<', to)
    .where((eb) => eb.not(listed('tracking_id', 'PAYMENT')))
    .execute();
  for (const p of payments) {
    await recordDiscrepancy(
      db,
      {
        kind: 'MISSING_IN_REPORT',
        subject: `payment:${p.tracking_id}`,
        detail: `payment ${p.payment_request_id} of ¥${p.amount} (paid ${day} UTC+8) is not in clearing batch ${batchId}`,
        fileId,
        trackingId: p.tracking_id,
        ours: String(p.amount),
      },
      now,
    );
  }
  const refunds = await db
    .selectFrom('refunds as r')
    .select(['r.refund_id', 'r.tracking_id', 'r.amount', 'r.refund_request_id'])
    .where('r.status', '=', 'SUCCEEDED')
    .where('r.completed_at', '>=', from)
    .where('r.completed_at', '<', to)
    .where((eb) => eb.not(listed('refund_id', 'REFUND')))
    .execute();
  for (const r of refunds) {
    await recordDiscrepancy(
      db,
      {
        kind: 'MISSING_IN_REPORT',
        subject: `refund:${r.refund_id}`,
        detail: `refund ${r.refund_request_id} of ¥${r.amount} (${day} UTC+8) is not in clearing batch ${batchId}`,
        fileId,
        trackingId: r.tracking_id,
        refundId: r.refund_id,
        ours: String(r.amount),
      },
      now,
    );
  }
}

/**
 * What our records say the reported lines of some clearing batches are worth, and the fee Alipay+
 * may take on them (on each payment of ours listed, once).
 */
async function ourValueOfBatches(db: Db, batches: readonly SettlementBatchLine[], feeBps: number) {
  const ids = batches.map((b) => b.clearingBatchId);
  if (ids.length === 0) return { payments: 0, refunds: 0, fees: 0 };
  // Each transaction of ours once, at our amount, however Alipay+ listed it.
  const { rows } = await sql<{ transaction_type: string; tracking_id: string; amount: string | number }>`
    SELECT DISTINCT l.transaction_type, l.tracking_id, l.refund_id,
           CASE WHEN l.refund_id IS NULL THEN p.amount ELSE r.amount END AS amount
    FROM settlement_report_lines l
    JOIN payments p ON p.tracking_id = l.tracking_id
    LEFT JOIN refunds r ON r.refund_id = l.refund_id
    WHERE l.batch_id IN (${sql.join(ids)}) AND l.tracking_id IS NOT NULL`.execute(db);
  const of = (type: string) => rows.filter((r) => r.transaction_type === type).map((r) => Number(r.amount));
  const sum = (values: number[]) => values.reduce((s, v) => s + v, 0);
  return {
    payments: sum(of('PAYMENT')),
    refunds: sum(of('REFUND')),
    fees: sum(of('PAYMENT').map((amount) => alipayPlusFee(amount, feeBps))),
  };
}

/**
 * A settlement received: the bank got `netAmount`, and the receivable and refund clearing of the
 * transactions it settled are cleared at our amounts, Alipay+'s fee at what we expect on them.
 * Whatever does not agree — a line we do not know, an amount off, a batch whose items never
 * arrived, a fee other than the contracted one — goes to `settlement_suspense` and is a
 * discrepancy, never absorbed silently.
 *   Dr bank                   net
 *   Dr alipayplus_fees        our expected fee
 *   Dr refund_clearing        our refunds
 *   Cr alipayplus_receivable  our payments
 *   Dr/Cr settlement_suspense the difference
 */
export async function postSettlement(
  db: Db,
  fileId: number,
  report: Extract<Report, { kind: 'settlement' }>,
  feeBps: number,
  now: Date,
): Promise<void> {
  const { summary, batches } = report;
  const ours = await ourValueOfBatches(db, batches, feeBps);
  const grossDifference = ours.payments - ours.refunds - summary.grossAmount;
  const feeDifference = summary.feeAmount - ours.fees;
  // A settlement of nothing (batches without transactions) moves no money.
  if (summary.netAmount === 0 && summary.feeAmount === 0 && ours.payments === 0 && ours.refunds === 0) return;
  await postEntry(db, {
    kind: 'SETTLEMENT',
    sourceKey: `settlement:${summary.settlementBatchId}`,
    merchantId: null,
    memo: `Alipay+ settlement ${summary.settlementBatchId} (${summary.valueDate}): net ¥${summary.netAmount}, fee ¥${summary.feeAmount}`,
    lines: [
      { account: ACCOUNTS.bank, amount: summary.netAmount },
      { account: ACCOUNTS.alipayplusFees, amount: ours.fees },
      { account: ACCOUNTS.refundClearing, amount: ours.refunds },
      { account: ACCOUNTS.alipayplusReceivable, amount: -ours.payments },
      { account: ACCOUNTS.settlementSuspense, amount: grossDifference + feeDifference },
    ],
    at: now,
  });
  if (feeDifference !== 0) {
    await recordDiscrepancy(
      db,
      {
        kind: 'FEE_DIFFERENCE',
        subject: summary.settlementBatchId,
        detail:
          `settlement ${summary.settlementBatchId} (${summary.valueDate}) takes a fee of ¥${summary.feeAmount} ` +
          `for batches ${batches.map((b) => b.clearingBatchId).join(', ')}; ${feeBps} bp of our payments listed ` +
          `in them is ¥${ours.fees}: the difference of ¥${feeDifference} is in settlement_suspense`,
        fileId,
        ours: String(ours.fees),
        theirs: String(summary.feeAmount),
      },
      now,
    );
  }
  if (grossDifference !== 0) {
    await recordDiscrepancy(
      db,
      {
        kind: 'SETTLEMENT_DIFFERENCE',
        subject: summary.settlementBatchId,
        detail:
          `settlement ${summary.settlementBatchId} (${summary.valueDate}) pays gross ¥${summary.grossAmount} ` +
          `for batches ${batches.map((b) => b.clearingBatchId).join(', ')}; our records of their lines give ` +
          `¥${ours.payments - ours.refunds}: the difference of ¥${-grossDifference} is in settlement_suspense`,
        fileId,
        ours: String(ours.payments - ours.refunds),
        theirs: String(summary.grossAmount),
      },
      now,
    );
  }
}
