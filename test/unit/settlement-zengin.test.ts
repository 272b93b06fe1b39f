import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  toZenginText,
  writeZenginTransferFile,
  type ZenginFile,
  ZenginFormatError,
} from '../../src/settlement/zengin';

/**
 * The 全銀協 総合振込 layout, field by field (name, bytes, N = zero-padded digits, C = text),
 * written out from the published format, to read back what the writer produced.
 */
type Layout = ReadonlyArray<readonly [string, number, 'N' | 'C']>;
const HEADER: Layout = [
  ['データ区分', 1, 'N'],
  ['種別コード', 2, 'N'],
  ['コード区分', 1, 'N'],
  ['振込依頼人コード', 10, 'N'],
  ['振込依頼人名', 40, 'C'],
  ['取組日', 4, 'N'],
  ['仕向銀行番号', 4, 'N'],
  ['仕向銀行名', 15, 'C'],
  ['仕向支店番号', 3, 'N'],
  ['仕向支店名', 15, 'C'],
  ['預金種目', 1, 'N'],
  ['口座番号', 7, 'N'],
  ['ダミー', 17, 'C'],
];
const DATA: Layout = [
  ['データ区分', 1, 'N'],
  ['被仕向銀行番号', 4, 'N'],
  ['被仕向銀行名', 15, 'C'],
  ['被仕向支店番号', 3, 'N'],
  ['被仕向支店名', 15, 'C'],
  ['手形交換所番号', 4, 'C'],
  ['預金種目', 1, 'N'],
  ['口座番号', 7, 'N'],
  ['受取人名', 30, 'C'],
  ['振込金額', 10, 'N'],
  ['新規コード', 1, 'N'],
  ['顧客コード1', 10, 'C'],
  ['顧客コード2', 10, 'C'],
  ['振込指定区分', 1, 'C'],
  ['識別表示', 1, 'C'],
  ['ダミー', 7, 'C'],
];
const TRAILER: Layout = [
  ['データ区分', 1, 'N'],
  ['合計件数', 6, 'N'],
  ['合計金額', 12, 'N'],
  ['ダミー', 101, 'C'],
];
const END: Layout = [
  ['データ区分', 1, 'N'],
  ['ダミー', 119, 'C'],
];

/** Splits one record's bytes by the layout, checking each N field is all digits. */
function fields(record: Buffer, layout: Layout): Record<string, string> {
  expect(layout.reduce((s, [, w]) => s + w, 0)).toBe(120);
  const out: Record<string, string> = {};
  let at = 0;
  for (const [name, width, kind] of layout) {
    const value = iconv.decode(record.subarray(at, at + width), 'Shift_JIS');
    if (kind === 'N') expect(value, name).toMatch(new RegExp(`^\\d{${width}}$`));
    out[name] = value;
    at += width;
  }
  return out;
}

const FILE: ZenginFile = {
  originator: {
    companyCode: '1234567890',
    name: 'カ）ケッサイ',
    bankCode: '0005',
    bankName: 'ミツビシユーエフジェイ',
    branchCode: '001',
    branchName: 'ホンテン',
    accountType: 'ORDINARY',
    accountNumber: '1234567',
  },
  transferDate: '2027-01-15',
  transfers: [
    {
      bankCode: '0009',
      bankName: 'ミツイスミトモ',
      branchCode: '123',
      branchName: 'ｷﾞﾝｻﾞ',
      accountType: 'ORDINARY',
      accountNumber: '0012345',
      payeeName: 'ｶ)ｹｯｻｲﾃﾞﾓｼｮｯﾌﾟ',
      amount: 1_234_567,
      customerCode: '30000',
    },
    {
      bankCode: '0001',
      bankName: 'みずほ',
      branchCode: '004',
      branchName: 'マルノウチ',
      accountType: 'CURRENT',
      accountNumber: '7654321',
      payeeName: 'ﾔﾏﾀﾞ ﾀﾛｳ',
      amount: 9_675,
    },
  ],
};

describe('Zengin transfer file (総合振込)', () => {
  const bytes = writeZenginTransferFile(FILE);
  const records: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 122) {
    expect(bytes.subarray(at + 120, at + 122).toString('latin1')).toBe('\r\n');
    records.push(bytes.subarray(at, at + 120));
  }

  it('is header, one data record per transfer, trailer and end, each 120 bytes and CR LF', () => {
    expect(bytes.length).toBe(5 * 122);
    expect(records.map((r) => r.length)).toEqual([120, 120, 120, 120, 120]);
    expect(records.map((r) => String.fromCharCode(r[0]!))).toEqual(['1', '2', '2', '8', '9']);
  });

  it('writes the header: 総合振込, Shift_JIS, the company, the date and our account', () => {
    expect(fields(records[0]!, HEADER)).toEqual({
      データ区分: '1',
      種別コード: '21',
      コード区分: '0',
      振込依頼人コード: '1234567890',
      振込依頼人名: 'ｶ)ｹﾂｻｲ'.padEnd(40),
      取組日: '0115',
      仕向銀行番号: '0005',
      仕向銀行名: 'ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ'.padEnd(15),
      仕向支店番号: '001',
      仕向支店名: 'ﾎﾝﾃﾝ'.padEnd(15),
      預金種目: '1',
      口座番号: '1234567',
      ダミー: ' '.repeat(17),
    });
  });

  it('writes each transfer with half-width kana, no small kana, and the amount zero-padded', () => {
    expect(fields(records[1]!, DATA)).toEqual({
      データ区分: '2',
      被仕向銀行番号: '0009',
      被仕向銀行名: 'ﾐﾂｲｽﾐﾄﾓ'.padEnd(15),
      被仕向支店番号: '123',
      被仕向支店名: 'ｷﾞﾝｻﾞ'.padEnd(15),
      手形交換所番号: '    ',
      預金種目: '1',
      口座番号: '0012345',
      受取人名: 'ｶ)ｹﾂｻｲﾃﾞﾓｼﾖﾂﾌﾟ'.padEnd(30),
      振込金額: '0001234567',
      新規コード: '0',
      顧客コード1: '30000     ',
      顧客コード2: ' '.repeat(10),
      振込指定区分: ' ',
      識別表示: ' ',
      ダミー: ' '.repeat(7),
    });
    expect(fields(records[2]!, DATA)).toMatchObject({
      被仕向銀行名: 'ﾐｽﾞﾎ'.padEnd(15),
      預金種目: '2',
      受取人名: 'ﾔﾏﾀﾞ ﾀﾛｳ'.padEnd(30),
      振込金額: '0000009675',
    });
  });

  it('writes half-width kana as single Shift_JIS bytes', () => {
    // The payee name starts at byte 50: ｶ = 0xB6, ) = 0x29, ｹ = 0xB9.
    expect([...records[1]!.subarray(50, 53)]).toEqual([0xb6, 0x29, 0xb9]);
    expect(records.every((r) => r.every((b) => b < 0x80 || (b >= 0xa1 && b <= 0xdf)))).toBe(true);
  });

  it('closes with the count and total in the trailer, then the end record', () => {
    expect(fields(records[3]!, TRAILER)).toEqual({
      データ区分: '8',
      合計件数: '000002',
      合計金額: '000001244242',
      ダミー: ' '.repeat(101),
    });
    expect(fields(records[4]!, END)).toEqual({ データ区分: '9', ダミー: ' '.repeat(119) });
  });

  it('refuses what does not fit or cannot be written, naming the field', () => {
    const refused = (change: (f: ZenginFile) => ZenginFile) => {
      try {
        writeZenginTransferFile(change(structuredClone(FILE) as ZenginFile));
      } catch (error) {
        if (error instanceof ZenginFormatError) return error.message;
        throw error;
      }
      return 'written';
    };
    const transfer = (patch: object) => (f: ZenginFile) => ({
      ...f,
      transfers: [{ ...f.transfers[0]!, ...patch }],
    });
    expect(refused(transfer({ payeeName: '株式会社ケッサイ' }))).toMatch(/transfer 1 payee name: "株"/);
    expect(refused(transfer({ payeeName: 'ｱ'.repeat(31) }))).toMatch(/longer than 30/);
    expect(refused(transfer({ amount: 0 }))).toMatch(/not a positive whole yen amount/);
    expect(refused(transfer({ amount: 10_000_000_000 }))).toMatch(/at most 10 digits/);
    expect(refused(transfer({ accountNumber: '123456' }))).toMatch(/exactly 7 digits/);
    expect(refused(transfer({ bankCode: '12a4' }))).toMatch(/bank code/);
    expect(refused((f) => ({ ...f, transfers: [] }))).toMatch(/at least one transfer/);
    expect(refused((f) => ({ ...f, transferDate: '20270115' }))).toMatch(/YYYY-MM-DD/);
  });
});

describe('Zengin characters', () => {
  it('turns katakana, hiragana and letters into the half-width set', () => {
    expect(toZenginText('ガッコウ ほうじん', 'name')).toBe('ｶﾞﾂｺｳ ﾎｳｼﾞﾝ');
    expect(toZenginText('ｋｅｓｓａｉ（ｶ）', 'name')).toBe('KESSAI(ｶ)');
    expect(toZenginText('パーク', 'name')).toBe('ﾊﾟ-ｸ');
  });

  it('refuses kanji and symbols outside the set', () => {
    expect(() => toZenginText('山田', 'payee')).toThrow(/payee: "山"/);
    expect(() => toZenginText('ヤマダ・タロウ', 'payee')).toThrow(/"・"/);
  });
});
