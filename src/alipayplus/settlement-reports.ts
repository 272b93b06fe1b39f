import { parse } from 'csv-parse/sync';

/**
 * The clearing and settlement reports Alipay+ delivers to us over SFTP (settlement.md, What
 * Alipay+ sends the acquirer): UTF-8 CSV files named
 * `<kind>_<participantId>_<settlementCurrency>_<batchId>_<participantAgreementId>_<seq>.csv`,
 * each a summary section (header + one line), a detail section (header + lines) and a last line
 * `<END>`. The sandbox writes them and the gateway reads them with this one definition. The
 * columns follow the spec's model (the exact ACQP columns are unconfirmed); `transactionRequestId`
 * carries the paymentRequestId or refundRequestId, and refunds are positive amounts of type REFUND.
 */
export const REPORT_KINDS = ['transactionItems', 'feeItems', 'settlement'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export const END_LINE = '<END>';

export interface ReportName {
  kind: ReportKind;
  participantId: string;
  settlementCurrency: string;
  /** The clearing batch (transaction and fee items) or the settlement batch. */
  batchId: string;
  participantAgreementId: string;
  seq: number;
}

export interface TransactionItem {
  participantId: string;
  pspId: string;
  transactionId: string;
  originalTransactionId: string;
  transactionRequestId: string;
  transactionType: 'PAYMENT' | 'REFUND';
  transactionTime: string;
  transactionAmountValue: number;
  transactionCurrency: string;
  settlementAmountValue: number;
  settlementCurrency: string;
  quoteCurrencyPair: string;
  quotePrice: string;
  clearingBatchId: string;
}

export interface FeeItem {
  transactionId: string;
  feeType: string;
  feeAmountValue: number;
  feeCurrency: string;
}

export interface SettlementSummary {
  settlementBatchId: string;
  valueDate: string;
  settlementCurrency: string;
  grossAmount: number;
  feeAmount: number;
  netAmount: number;
}

export interface SettlementBatchLine {
  clearingBatchId: string;
  transactionCount: number;
  grossAmount: number;
  feeAmount: number;
  netAmount: number;
}

export type Report =
  | { name: ReportName; kind: 'transactionItems'; items: TransactionItem[] }
  | { name: ReportName; kind: 'feeItems'; items: FeeItem[] }
  | { name: ReportName; kind: 'settlement'; summary: SettlementSummary; batches: SettlementBatchLine[] };

export type ReportErrorReason = 'BAD_NAME' | 'UNKNOWN_PARTICIPANT' | 'TRUNCATED' | 'CORRUPT';

/** A file the gateway must not take in; `reason` says which way it is wrong. */
export class ReportError extends Error {
  constructor(
    readonly reason: ReportErrorReason,
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ReportError';
  }
}

type ColumnType =
  | 'id'
  | 'optional'
  | 'amount'
  | 'signed'
  | 'currency'
  | 'pair'
  | 'decimal'
  | 'type'
  | 'instant'
  | 'date';
type Columns = ReadonlyArray<readonly [string, ColumnType]>;

const FORMATS: Record<ReportKind, { summary: Columns; detail: Columns }> = {
  transactionItems: {
    summary: [
      ['totalCount', 'amount'],
      ['netSettlementAmountValue', 'signed'],
      ['settlementCurrency', 'currency'],
    ],
    detail: [
      ['participantId', 'id'],
      ['pspId', 'id'],
      ['transactionId', 'id'],
      ['originalTransactionId', 'optional'],
      ['transactionRequestId', 'id'],
      ['transactionType', 'type'],
      ['transactionTime', 'instant'],
      ['transactionAmountValue', 'amount'],
      ['transactionCurrency', 'currency'],
      ['settlementAmountValue', 'amount'],
      ['settlementCurrency', 'currency'],
      ['quoteCurrencyPair', 'pair'],
      ['quotePrice', 'decimal'],
      ['clearingBatchId', 'id'],
    ],
  },
  feeItems: {
    summary: [
      ['totalCount', 'amount'],
      ['totalFeeAmountValue', 'amount'],
      ['feeCurrency', 'currency'],
    ],
    detail: [
      ['transactionId', 'id'],
      ['feeType', 'id'],
      ['feeAmountValue', 'amount'],
      ['feeCurrency', 'currency'],
    ],
  },
  settlement: {
    summary: [
      ['settlementBatchId', 'id'],
      ['valueDate', 'date'],
      ['settlementCurrency', 'currency'],
      ['grossAmount', 'signed'],
      ['feeAmount', 'amount'],
      ['netAmount', 'signed'],
    ],
    detail: [
      ['clearingBatchId', 'id'],
      ['transactionCount', 'amount'],
      ['grossAmount', 'signed'],
      ['feeAmount', 'amount'],
      ['netAmount', 'signed'],
    ],
  },
};

const VALUE_PATTERNS: Record<ColumnType, RegExp> = {
  id: /^[A-Za-z0-9_-]{1,64}$/,
  optional: /^[A-Za-z0-9_-]{0,64}$/,
  amount: /^(0|[1-9]\d{0,14})$/,
  signed: /^(0|-?[1-9]\d{0,14})$/,
  currency: /^[A-Z]{3}$/,
  pair: /^([A-Z]{3}\/[A-Z]{3})?$/,
  decimal: /^(\d{1,12}(\.\d{1,12})?)?$/,
  type: /^(PAYMENT|REFUND)$/,
  instant: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
};

const NUMERIC: ReadonlySet<ColumnType> = new Set(['amount', 'signed']);

const NAME_PATTERN =
  /^(transactionItems|feeItems|settlement)_([A-Za-z0-9-]+)_([A-Z]{3})_([A-Za-z0-9-]+)_([A-Za-z0-9-]+)_(\d{3})\.csv$/;

/**
 * Alipay+ clears by the day in UTC+8 (00:00–23:59:59) and delivers that day's clearing files at
 * 08:00 UTC+8 the next day; settlement follows on business days (settlement.md).
 */
const UTC8_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
export const DELIVERY_HOUR_UTC8 = 8;

/** The clearing day (`YYYY-MM-DD`, UTC+8) of an instant. */
export function clearingDay(instant: number): string {
  return new Date(instant + UTC8_MS).toISOString().slice(0, 10);
}

/** The first instant of a UTC+8 day. */
export function clearingDayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) - UTC8_MS;
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** When the files of a delivery date appear: 08:00 UTC+8 that day. */
export function deliveryTime(day: string): number {
  return clearingDayStart(day) + DELIVERY_HOUR_UTC8 * 3_600_000;
}

/** The settlement date of a clearing day: `lagDays` business days (Monday–Friday) later. */
export function settlementDate(day: string, lagDays: number): string {
  let date = day;
  for (let left = lagDays; left > 0; ) {
    date = addDays(date, 1);
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return date;
}

/** The clearing batch of a day (`20261204` → `2026120400001`), and the settlement batch of a date. */
export function clearingBatchId(day: string): string {
  return `${day.replaceAll('-', '')}00001`;
}

export function settlementBatchId(date: string): string {
  return `${date.replaceAll('-', '')}S0001`;
}

export function reportFileName(name: ReportName): string {
  const seq = String(name.seq).padStart(3, '0');
  return `${name.kind}_${name.participantId}_${name.settlementCurrency}_${name.batchId}_${name.participantAgreementId}_${seq}.csv`;
}

/** `/v1/settlements/clearing/<participantId>/<YYYYMMDD>` (items) or `/v1/settlements/settlement/…`. */
export function reportDirectory(kind: ReportKind, participantId: string, date: string): string {
  const area = kind === 'settlement' ? 'settlement' : 'clearing';
  return `/v1/settlements/${area}/${participantId}/${date.replaceAll('-', '')}`;
}

export function parseReportFileName(file: string): ReportName {
  const m = NAME_PATTERN.exec(file);
  if (!m)
    throw new ReportError(
      'BAD_NAME',
      file,
      'not a report file name (<kind>_<participant>_<currency>_<batch>_<agreement>_<seq>.csv)',
    );
  const [, kind, participantId, settlementCurrency, batchId, participantAgreementId, seq] =
    m as unknown as string[];
  return {
    kind: kind as ReportKind,
    participantId: participantId!,
    settlementCurrency: settlementCurrency!,
    batchId: batchId!,
    participantAgreementId: participantAgreementId!,
    seq: Number(seq),
  };
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(values: ReadonlyArray<string | number>): string {
  return values.map(csvField).join(',');
}

function section(columns: Columns, rows: ReadonlyArray<object>): string[] {
  return [
    csvLine(columns.map(([c]) => c)),
    ...rows.map((row) => csvLine(columns.map(([c]) => (row as Record<string, string | number>)[c] ?? ''))),
  ];
}

const sum = (values: readonly number[]) => values.reduce((s, v) => s + v, 0);

function signedSettlement(item: TransactionItem): number {
  return item.transactionType === 'REFUND' ? -item.settlementAmountValue : item.settlementAmountValue;
}

/** The file's text; the summary line is computed from the lines given, as Alipay+ would. */
export function writeReport(report: Report): { fileName: string; content: string } {
  const format = FORMATS[report.kind];
  let summary: object;
  let details: ReadonlyArray<object>;
  if (report.kind === 'transactionItems') {
    summary = {
      totalCount: report.items.length,
      netSettlementAmountValue: sum(report.items.map(signedSettlement)),
      settlementCurrency: report.name.settlementCurrency,
    };
    details = report.items;
  } else if (report.kind === 'feeItems') {
    summary = {
      totalCount: report.items.length,
      totalFeeAmountValue: sum(report.items.map((i) => i.feeAmountValue)),
      feeCurrency: report.name.settlementCurrency,
    };
    details = report.items;
  } else {
    summary = report.summary;
    details = report.batches;
  }
  const lines = [...section(format.summary, [summary]), ...section(format.detail, details), END_LINE];
  return { fileName: reportFileName(report.name), content: `${lines.join('\n')}\n` };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(file: string, bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new ReportError('CORRUPT', file, 'not UTF-8 text');
  }
}

function records(file: string, text: string): string[][] {
  try {
    return parse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
  } catch (error) {
    throw new ReportError('CORRUPT', file, `not well-formed CSV (${(error as Error).message})`);
  }
}

function readRow(
  file: string,
  columns: Columns,
  row: string[],
  where: string,
): Record<string, string | number> {
  if (row.length !== columns.length) {
    throw new ReportError('CORRUPT', file, `${where} has ${row.length} fields, expected ${columns.length}`);
  }
  const out: Record<string, string | number> = {};
  columns.forEach(([name, type], i) => {
    const value = row[i]!;
    if (!VALUE_PATTERNS[type].test(value) || (type === 'instant' && Number.isNaN(Date.parse(value)))) {
      throw new ReportError('CORRUPT', file, `${where}: ${name} "${value}" is not a valid ${type}`);
    }
    out[name] = NUMERIC.has(type) ? Number(value) : value;
  });
  return out;
}

function expectHeader(file: string, columns: Columns, row: string[] | undefined, which: string): void {
  const expected = columns.map(([c]) => c).join(',');
  if (!row || row.join(',') !== expected) {
    throw new ReportError(
      'CORRUPT',
      file,
      `the ${which} header is "${row?.join(',') ?? ''}", expected "${expected}"`,
    );
  }
}

function agree(file: string, what: string, stated: number | string, computed: number | string): void {
  if (stated !== computed)
    throw new ReportError('CORRUPT', file, `${what} is ${stated} but the lines give ${computed}`);
}

/**
 * Reads a report strictly: its name, its participant (one of `participants`), a `<END>` last line
 * (without it the file is truncated), both headers, every value's form, and the summary against
 * its lines. Anything else is refused with a `ReportError` saying where; nothing is half-read.
 */
export function parseReport(file: string, bytes: Uint8Array, participants: ReadonlySet<string>): Report {
  const name = parseReportFileName(file);
  if (!participants.has(name.participantId)) {
    throw new ReportError('UNKNOWN_PARTICIPANT', file, `participant ${name.participantId} is not ours`);
  }
  const rows = records(file, decode(file, bytes));
  const last = rows.at(-1);
  const isEnd = (row: string[] | undefined) => row?.length === 1 && row[0] === END_LINE;
  if (!isEnd(last)) {
    if (rows.some(isEnd)) throw new ReportError('CORRUPT', file, `lines follow the ${END_LINE} line`);
    throw new ReportError('TRUNCATED', file, `the last line is not ${END_LINE}: the file is incomplete`);
  }
  const format = FORMATS[name.kind];
  expectHeader(file, format.summary, rows[0], 'summary');
  const summaryRow = rows[1];
  if (!summaryRow) throw new ReportError('CORRUPT', file, 'the summary line is missing');
  const summary = readRow(file, format.summary, summaryRow, 'line 2');
  expectHeader(file, format.detail, rows[2], 'detail');
  const details = rows.slice(3, -1).map((row, i) => readRow(file, format.detail, row, `line ${i + 4}`));

  if (name.kind === 'transactionItems') {
    const items = details as unknown as TransactionItem[];
    agree(file, 'totalCount', summary.totalCount!, items.length);
    agree(
      file,
      'netSettlementAmountValue',
      summary.netSettlementAmountValue!,
      sum(items.map(signedSettlement)),
    );
    agree(file, 'the summary currency', summary.settlementCurrency!, name.settlementCurrency);
    items.forEach((item, i) => {
      agree(file, `line ${i + 4} participantId`, item.participantId, name.participantId);
      agree(file, `line ${i + 4} clearingBatchId`, item.clearingBatchId, name.batchId);
      agree(file, `line ${i + 4} settlementCurrency`, item.settlementCurrency, name.settlementCurrency);
    });
    return { name, kind: 'transactionItems', items };
  }
  if (name.kind === 'feeItems') {
    const items = details as unknown as FeeItem[];
    agree(file, 'totalCount', summary.totalCount!, items.length);
    agree(file, 'totalFeeAmountValue', summary.totalFeeAmountValue!, sum(items.map((i) => i.feeAmountValue)));
    for (const [i, item] of items.entries()) {
      agree(file, `line ${i + 4} feeCurrency`, item.feeCurrency, name.settlementCurrency);
    }
    return { name, kind: 'feeItems', items };
  }
  const settlement = summary as unknown as SettlementSummary;
  const batches = details as unknown as SettlementBatchLine[];
  agree(file, 'settlementBatchId', settlement.settlementBatchId, name.batchId);
  agree(file, 'settlementCurrency', settlement.settlementCurrency, name.settlementCurrency);
  agree(file, 'netAmount', settlement.netAmount, settlement.grossAmount - settlement.feeAmount);
  agree(file, 'grossAmount', settlement.grossAmount, sum(batches.map((b) => b.grossAmount)));
  agree(file, 'feeAmount', settlement.feeAmount, sum(batches.map((b) => b.feeAmount)));
  batches.forEach((b, i) => {
    agree(file, `line ${i + 4} netAmount`, b.netAmount, b.grossAmount - b.feeAmount);
  });
  return { name, kind: 'settlement', summary: settlement, batches };
}
