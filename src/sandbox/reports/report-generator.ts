import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addDays,
  clearingBatchId,
  clearingDay,
  clearingDayStart,
  deliveryTime,
  type FeeItem,
  type ReportKind,
  type ReportName,
  reportDirectory,
  reportFileName,
  type SettlementBatchLine,
  settlementBatchId,
  settlementDate,
  type TransactionItem,
  writeReport,
} from '../../alipayplus/settlement-reports';
import type { Clock } from '../../kernel/clock';
import type { Fault, FaultTable } from '../faults';
import type { SandboxStore } from '../store';

/**
 * Writes the clearing and settlement reports on the sandbox's clock (settlement.md, What Alipay+
 * sends the acquirer): for each clearing day (UTC+8) from the first payment on, its
 * `transactionItems` and `feeItems` files at 08:00 UTC+8 the next day in
 * `clearing/<participant>/<delivery date>/`, and on each settlement date (`lagDays` business days
 * after a clearing day) a `settlement` file paying the net of the days it settles. Files are
 * written once, whole (to a temporary name, then renamed), so a client never reads half a file.
 */
export interface ReportGeneratorOptions {
  store: SandboxStore;
  clock: Clock;
  faults: FaultTable;
  /** The participant's tree, served by the SFTP server as `/`. */
  root: string;
  participantId: string;
  participantAgreementId?: string;
  /** Alipay+'s fee on payments, in basis points, floored to the yen per payment. */
  feeBps: number;
  settlementLagDays: number;
}

const CURRENCY = 'JPY';
const FEE_TYPE = 'TRANSACTION_FEE';
/** A clock moved years ahead does not make the sandbox write years of empty files. */
const MAX_DAYS_BACK = 400;

interface ClearingDay {
  items: TransactionItem[];
  fees: FeeItem[];
}

export class ReportGenerator {
  /** The report fault each clearing day drew (in memory, like the faults themselves). */
  private readonly dayFaults = new Map<string, Fault | null>();
  private running: Promise<string[]> | null = null;

  constructor(private readonly options: ReportGeneratorOptions) {
    if (!Number.isSafeInteger(options.feeBps) || options.feeBps < 0 || options.feeBps > 10_000) {
      throw new Error(`report fee must be 0–10000 basis points, got ${options.feeBps}`);
    }
    if (!Number.isSafeInteger(options.settlementLagDays) || options.settlementLagDays < 1) {
      throw new Error(`settlement lag must be 1 or more business days, got ${options.settlementLagDays}`);
    }
  }

  /** Writes every file that is due and not yet written; returns their paths (client view). */
  run(): Promise<string[]> {
    // One run at a time: the timer and the control API may ask together.
    this.running ??= this.writeDue().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves once no run is in progress (before the store closes). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async writeDue(): Promise<string[]> {
    const now = this.options.clock.now().getTime();
    const first = await this.options.store.firstPaidAt();
    if (first === null) return [];
    const today = clearingDay(now);
    const start = [clearingDay(first), addDays(today, -MAX_DAYS_BACK)].sort().at(-1)!;
    const written: string[] = [];
    const settlements = new Map<string, string[]>();
    for (let day = start; day < today; day = addDays(day, 1)) {
      const delivery = addDays(day, 1);
      if (deliveryTime(delivery) <= now) {
        const cleared = await this.clearingDay(day, true);
        const fault = this.dayFaults.get(day);
        const lateBy = fault?.mode === 'lateFile' ? fault.delayMs : 0;
        if (fault?.mode !== 'missingFile' && deliveryTime(delivery) + lateBy <= now) {
          written.push(...this.writeClearing(day, delivery, cleared));
        }
      }
      const date = settlementDate(day, this.options.settlementLagDays);
      settlements.set(date, [...(settlements.get(date) ?? []), day]);
    }
    // With a lag of a business day or more, every clearing day a settlement date pays is over by then.
    for (const [date, days] of settlements) {
      if (date > today || deliveryTime(date) > now) continue;
      const path = await this.writeSettlement(date, days);
      if (path) written.push(path);
    }
    return written;
  }

  /**
   * The day's lines as Alipay+ reports them. When its files fall due (`due`), a day with
   * transactions draws its fault once — unless its files already exist from an earlier run — and
   * the line faults apply to it from then on.
   */
  private async clearingDay(day: string, due = false): Promise<ClearingDay> {
    const items = await this.transactionItems(day);
    if (due && !this.dayFaults.has(day) && items.length > 0) {
      const written = existsSync(
        join(this.options.root, this.clientPath('transactionItems', clearingBatchId(day), addDays(day, 1))),
      );
      this.dayFaults.set(day, written ? null : this.options.faults.take('reports'));
    }
    const fault = this.dayFaults.get(day);
    const target = items[0];
    if (target && fault?.mode === 'missingLine') items.shift();
    if (target && fault?.mode === 'duplicateLine') items.splice(1, 0, { ...target });
    if (target && fault?.mode === 'amountOffByOne') {
      items[0] = {
        ...target,
        transactionAmountValue: target.transactionAmountValue + 1,
        settlementAmountValue: target.settlementAmountValue + 1,
      };
    }
    const fees = items
      .filter((i) => i.transactionType === 'PAYMENT')
      .map((i) => ({
        transactionId: i.transactionId,
        feeType: FEE_TYPE,
        feeAmountValue: Math.floor((i.settlementAmountValue * this.options.feeBps) / 10_000),
        feeCurrency: CURRENCY,
      }));
    return { items, fees };
  }

  private async transactionItems(day: string): Promise<TransactionItem[]> {
    const { store, participantId } = this.options;
    const from = clearingDayStart(day);
    const to = clearingDayStart(addDays(day, 1));
    const batch = clearingBatchId(day);
    const orders = await store.paidOrdersBetween(from, to);
    const refunds = await store.succeededRefundsBetween(from, to);
    const line = (
      fields: Pick<
        TransactionItem,
        | 'pspId'
        | 'transactionId'
        | 'originalTransactionId'
        | 'transactionRequestId'
        | 'transactionType'
        | 'transactionTime'
        | 'transactionAmountValue'
        | 'quoteCurrencyPair'
        | 'quotePrice'
      >,
    ): TransactionItem => ({
      participantId,
      ...fields,
      transactionCurrency: CURRENCY,
      settlementAmountValue: fields.transactionAmountValue,
      settlementCurrency: CURRENCY,
      clearingBatchId: batch,
    });
    const walletOf = new Map(orders.map((o) => [o.payment_id, o.wallet]));
    return [
      ...orders.map((o) =>
        line({
          pspId: o.wallet ?? 'UNKNOWN',
          transactionId: o.payment_id,
          originalTransactionId: '',
          transactionRequestId: o.payment_request_id,
          transactionType: 'PAYMENT',
          transactionTime: new Date(o.paid_at!).toISOString(),
          transactionAmountValue: o.amount,
          quoteCurrencyPair: o.quote_pair ?? '',
          quotePrice: o.quote_price ?? '',
        }),
      ),
      ...(await Promise.all(
        refunds.map(async (r) => {
          const wallet = walletOf.get(r.payment_id) ?? (await store.orderById(r.payment_id))?.wallet;
          return line({
            pspId: wallet ?? 'UNKNOWN',
            transactionId: r.refund_id,
            originalTransactionId: r.payment_id,
            transactionRequestId: r.refund_request_id,
            transactionType: 'REFUND',
            transactionTime: new Date(r.finished_at!).toISOString(),
            transactionAmountValue: r.amount,
            quoteCurrencyPair: '',
            quotePrice: '',
          });
        }),
      )),
    ];
  }

  private name(kind: ReportKind, batchId: string): ReportName {
    return {
      kind,
      participantId: this.options.participantId,
      settlementCurrency: CURRENCY,
      batchId,
      participantAgreementId: this.options.participantAgreementId ?? 'AGR001',
      seq: 1,
    };
  }

  private clientPath(kind: ReportKind, batchId: string, date: string): string {
    return `${reportDirectory(kind, this.options.participantId, date)}/${reportFileName(this.name(kind, batchId))}`;
  }

  private put(clientPath: string, content: string): string | null {
    const file = join(this.options.root, clientPath);
    if (existsSync(file)) return null;
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(`${file}.part`, content);
    renameSync(`${file}.part`, file);
    return clientPath;
  }

  private writeClearing(day: string, delivery: string, cleared: ClearingDay): string[] {
    const batch = clearingBatchId(day);
    const items = writeReport({
      name: this.name('transactionItems', batch),
      kind: 'transactionItems',
      items: cleared.items,
    });
    const fees = writeReport({ name: this.name('feeItems', batch), kind: 'feeItems', items: cleared.fees });
    return [
      this.put(this.clientPath('transactionItems', batch, delivery), items.content),
      this.put(this.clientPath('feeItems', batch, delivery), fees.content),
    ].filter((p): p is string => p !== null);
  }

  /** Alipay+ pays what it cleared, as it reported it: the day's lines including any line fault. */
  private async writeSettlement(date: string, days: readonly string[]): Promise<string | null> {
    const batchId = settlementBatchId(date);
    const path = this.clientPath('settlement', batchId, date);
    if (existsSync(join(this.options.root, path))) return null;
    const batches: SettlementBatchLine[] = [];
    for (const day of days) {
      const { items, fees } = await this.clearingDay(day);
      const gross = items.reduce(
        (sum, i) =>
          sum + (i.transactionType === 'REFUND' ? -i.settlementAmountValue : i.settlementAmountValue),
        0,
      );
      const fee = fees.reduce((sum, f) => sum + f.feeAmountValue, 0);
      batches.push({
        clearingBatchId: clearingBatchId(day),
        transactionCount: items.length,
        grossAmount: gross,
        feeAmount: fee,
        netAmount: gross - fee,
      });
    }
    const grossAmount = batches.reduce((s, b) => s + b.grossAmount, 0);
    const feeAmount = batches.reduce((s, b) => s + b.feeAmount, 0);
    const { content } = writeReport({
      name: this.name('settlement', batchId),
      kind: 'settlement',
      summary: {
        settlementBatchId: batchId,
        valueDate: date,
        settlementCurrency: CURRENCY,
        grossAmount,
        feeAmount,
        netAmount: grossAmount - feeAmount,
      },
      batches,
    });
    return this.put(path, content);
  }
}
