import { describe, expect, it } from 'vitest';
import {
  parseReport,
  type Report,
  ReportError,
  type ReportErrorReason,
  reportDirectory,
  type TransactionItem,
  writeReport,
} from '../../src/alipayplus/settlement-reports';

/** The Alipay+ clearing and settlement CSV files: written by the sandbox, read strictly by the gateway. */
const PARTICIPANT = '1022188000000000001';
const OURS = new Set([PARTICIPANT]);
const name = (kind: Report['kind'], batchId = '2026120400001') => ({
  kind,
  participantId: PARTICIPANT,
  settlementCurrency: 'JPY',
  batchId,
  participantAgreementId: 'AGR001',
  seq: 1,
});

const item = (overrides: Partial<TransactionItem> = {}): TransactionItem => ({
  participantId: PARTICIPANT,
  pspId: '1022170000000000000',
  transactionId: '202612041100000001',
  originalTransactionId: '',
  transactionRequestId: 'KSPABCDEF0123456789',
  transactionType: 'PAYMENT',
  transactionTime: '2026-12-04T10:30:00+08:00',
  transactionAmountValue: 10_000,
  transactionCurrency: 'JPY',
  settlementAmountValue: 10_000,
  settlementCurrency: 'JPY',
  quoteCurrencyPair: 'JPY/PHP',
  quotePrice: '0.3871',
  clearingBatchId: '2026120400001',
  ...overrides,
});

const TRANSACTIONS: Report = {
  name: name('transactionItems'),
  kind: 'transactionItems',
  items: [
    item(),
    item({
      transactionId: '202612041100000002',
      originalTransactionId: '202612041100000001',
      transactionRequestId: 'KSRREFUND000000001',
      transactionType: 'REFUND',
      transactionAmountValue: 3_000,
      settlementAmountValue: 3_000,
    }),
  ],
};

function refusal(file: string, content: string, participants = OURS): ReportErrorReason | 'parsed' {
  try {
    parseReport(file, Buffer.from(content, 'utf8'), participants);
  } catch (error) {
    if (error instanceof ReportError) return error.reason;
    throw error;
  }
  return 'parsed';
}

describe('Alipay+ report files', () => {
  it('names and places the files as documented', () => {
    const { fileName } = writeReport(TRANSACTIONS);
    expect(fileName).toBe(`transactionItems_${PARTICIPANT}_JPY_2026120400001_AGR001_001.csv`);
    expect(reportDirectory('feeItems', PARTICIPANT, '2026-12-05')).toBe(
      `/v1/settlements/clearing/${PARTICIPANT}/20261205`,
    );
    expect(reportDirectory('settlement', PARTICIPANT, '2026-12-05')).toBe(
      `/v1/settlements/settlement/${PARTICIPANT}/20261205`,
    );
  });

  it('writes a summary, the lines and <END>, and reads back exactly what was written', () => {
    const { fileName, content } = writeReport(TRANSACTIONS);
    const lines = content.split('\n');
    expect(lines[0]).toBe('totalCount,netSettlementAmountValue,settlementCurrency');
    expect(lines[1]).toBe('2,7000,JPY');
    expect(lines.at(-2)).toBe('<END>');
    expect(parseReport(fileName, Buffer.from(content), OURS)).toEqual(TRANSACTIONS);
  });

  it('round-trips fee items and a settlement report', () => {
    const fees: Report = {
      name: name('feeItems'),
      kind: 'feeItems',
      items: [
        {
          transactionId: '202612041100000001',
          feeType: 'TRANSACTION_FEE',
          feeAmountValue: 180,
          feeCurrency: 'JPY',
        },
      ],
    };
    const settlement: Report = {
      name: name('settlement', 'S2026120500001'),
      kind: 'settlement',
      summary: {
        settlementBatchId: 'S2026120500001',
        valueDate: '2026-12-07',
        settlementCurrency: 'JPY',
        grossAmount: 7_000,
        feeAmount: 180,
        netAmount: 6_820,
      },
      batches: [
        {
          clearingBatchId: '2026120400001',
          transactionCount: 2,
          grossAmount: 7_000,
          feeAmount: 180,
          netAmount: 6_820,
        },
      ],
    };
    for (const report of [fees, settlement]) {
      const { fileName, content } = writeReport(report);
      expect(parseReport(fileName, Buffer.from(content), OURS)).toEqual(report);
    }
  });

  it('reads a quoted field with a comma and a CR LF file with a BOM', () => {
    const { fileName, content } = writeReport(TRANSACTIONS);
    const crlf = `\uFEFF${content.replaceAll('\n', '\r\n')}`;
    expect(refusal(fileName, crlf)).toBe('parsed');
    expect(refusal(fileName, content.replace(',PAYMENT,', ',"PAYMENT",'))).toBe('parsed');
  });

  it('refuses a truncated file: no <END>, or a line cut short', () => {
    const { fileName, content } = writeReport(TRANSACTIONS);
    expect(refusal(fileName, content.replace('<END>\n', ''))).toBe('TRUNCATED');
    expect(refusal(fileName, content.slice(0, content.indexOf('JPY/PHP')))).toBe('TRUNCATED');
    expect(refusal(fileName, '')).toBe('TRUNCATED');
  });

  it('refuses a report for a participant that is not ours', () => {
    const { fileName, content } = writeReport(TRANSACTIONS);
    expect(refusal(fileName, content, new Set(['1022188000000000999']))).toBe('UNKNOWN_PARTICIPANT');
    // Named for us, but a line belongs to someone else.
    expect(
      refusal(fileName, content.replace(`\n${PARTICIPANT},1022170`, '\n1022188000000000999,1022170')),
    ).toBe('CORRUPT');
  });

  it('refuses a corrupt file, saying where', () => {
    const { fileName, content } = writeReport(TRANSACTIONS);
    const corrupt = (text: string) => {
      try {
        parseReport(fileName, Buffer.from(text), OURS);
      } catch (error) {
        if (error instanceof ReportError && error.reason === 'CORRUPT') return error.message;
        throw error;
      }
      return 'parsed';
    };
    expect(corrupt(content.replace('2,7000,JPY', '2,7001,JPY'))).toMatch(
      /netSettlementAmountValue is 7001 but the lines give 7000/,
    );
    expect(corrupt(content.replace('2,7000,JPY', '3,7000,JPY'))).toMatch(
      /totalCount is 3 but the lines give 2/,
    );
    expect(corrupt(content.replace(',10000,JPY,10000,', ',10000,JPY,1e4,'))).toMatch(
      /line 4: settlementAmountValue "1e4"/,
    );
    expect(corrupt(content.replace(',PAYMENT,', ',CAPTURE,'))).toMatch(/transactionType "CAPTURE"/);
    expect(corrupt(content.replace('transactionType', 'txnType'))).toMatch(/the detail header/);
    expect(corrupt(content.replace(',JPY/PHP,0.3871,', ',JPY/PHP,'))).toMatch(
      /line 4 has 13 fields, expected 14/,
    );
    expect(corrupt(content.replace('2026-12-04T10:30:00+08:00', '2026-13-45T10:30:00+08:00'))).toMatch(
      /transactionTime/,
    );
    expect(corrupt(content.replace('<END>\n', '<END>\nmore\n'))).toMatch(/lines follow the <END> line/);
    expect(refusal(fileName, `${content}"unclosed\n<END>\n`)).toBe('CORRUPT');
    const bad = Buffer.concat([
      Buffer.from(content.slice(0, 10)),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(content.slice(10)),
    ]);
    expect(() => parseReport(fileName, bad, OURS)).toThrow(/not UTF-8/);
  });

  it('refuses a file that is not a report by its name', () => {
    expect(refusal('transactions.csv', '<END>\n')).toBe('BAD_NAME');
    expect(refusal(`statement_${PARTICIPANT}_JPY_1_AGR_001.csv`, '<END>\n')).toBe('BAD_NAME');
  });
});
