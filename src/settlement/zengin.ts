import iconv from 'iconv-lite';

/**
 * The Zengin (全銀協) "総合振込" transfer file the bank takes for our payouts (settlement.md,
 * Paying merchants): 120-byte fixed-width records in Shift_JIS with half-width kana —
 * one header (1), a data record (2) per transfer, a trailer (8) with the count and total, and an
 * end record (9) — each followed by CR LF. Numeric fields are right-aligned and zero-padded, text
 * fields left-aligned and space-padded. A value that does not fit its field is refused, never cut:
 * a truncated name or number is a transfer to the wrong place.
 */
export const ZENGIN_RECORD_BYTES = 120;

export type ZenginAccountType = 'ORDINARY' | 'CURRENT' | 'SAVINGS';
const ACCOUNT_TYPE_CODES: Record<ZenginAccountType, string> = { ORDINARY: '1', CURRENT: '2', SAVINGS: '4' };

export interface ZenginBankAccount {
  bankCode: string;
  bankName: string;
  branchCode: string;
  branchName: string;
  accountType: ZenginAccountType;
  accountNumber: string;
}

/** Us, the payer: the company code the bank gave us and our settlement account. */
export interface ZenginOriginator extends ZenginBankAccount {
  companyCode: string;
  name: string;
}

export interface ZenginTransfer extends ZenginBankAccount {
  /** The account holder's name as the bank has it, in kana. */
  payeeName: string;
  amount: number;
  /** Our reference for the merchant (shown on the bank's result). */
  customerCode?: string;
}

export interface ZenginFile {
  originator: ZenginOriginator;
  /** `YYYY-MM-DD`: the day the bank is to make the transfers. */
  transferDate: string;
  transfers: readonly ZenginTransfer[];
}

export class ZenginFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZenginFormatError';
  }
}

// Half-width kana from their full-width forms, built from Unicode's own compatibility mapping
// (U+FF61–U+FF9F), so no table is kept by hand; ﾞ and ﾟ come from the combining marks NFD leaves.
const HALF_WIDTH_OF = new Map<string, string>();
for (let cp = 0xff61; cp <= 0xff9f; cp++) {
  const half = String.fromCharCode(cp);
  HALF_WIDTH_OF.set(half.normalize('NFKC'), half);
}
// Zengin has no small kana and no long-vowel mark: banks read them as the large kana and "-".
const LARGE_KANA: Record<string, string> = {
  ァ: 'ア',
  ィ: 'イ',
  ゥ: 'ウ',
  ェ: 'エ',
  ォ: 'オ',
  ャ: 'ヤ',
  ュ: 'ユ',
  ョ: 'ヨ',
  ッ: 'ツ',
  ヮ: 'ワ',
  ヵ: 'カ',
  ヶ: 'ケ',
  ー: '-',
};
const ALLOWED_ASCII = /^[0-9A-Z ()\-./,¥]$/;
const ALLOWED_KANA = /^[ｦｱ-ﾝﾞﾟ｢｣]$/;

/**
 * Converts a name to the characters Zengin allows: full-width or half-width katakana (and
 * hiragana) become half-width kana with separate voicing marks, letters become capitals; anything
 * else (kanji, "・", lower-level symbols) is refused with the field and the character.
 */
export function toZenginText(text: string, field: string): string {
  const katakana = text
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))
    .replace(/[ァィゥェォャュョッヮヵヶー]/g, (c) => LARGE_KANA[c] ?? c)
    .normalize('NFD');
  let out = '';
  for (const c of katakana) {
    const half = HALF_WIDTH_OF.get(c) ?? c;
    if (!ALLOWED_ASCII.test(half) && !ALLOWED_KANA.test(half)) {
      throw new ZenginFormatError(`${field}: "${c}" cannot be written in a Zengin file (in "${text}")`);
    }
    out += half;
  }
  return out;
}

function digits(value: string | number, width: number, field: string): string {
  const text = String(value);
  if (!/^\d+$/.test(text) || text.length > width) {
    throw new ZenginFormatError(`${field}: "${text}" is not a number of at most ${width} digits`);
  }
  return text.padStart(width, '0');
}

function exactDigits(value: string, width: number, field: string): string {
  if (!new RegExp(`^\\d{${width}}$`).test(value)) {
    throw new ZenginFormatError(`${field}: "${value}" must be exactly ${width} digits`);
  }
  return value;
}

function text(value: string, width: number, field: string): string {
  const converted = toZenginText(value, field);
  if (converted.length > width) {
    throw new ZenginFormatError(`${field}: "${converted}" is longer than ${width} characters`);
  }
  return converted.padEnd(width, ' ');
}

function record(fields: readonly string[]): string {
  const line = fields.join('');
  // Every field is single-byte after conversion; a mismatch here is a bug in the layout.
  if (line.length !== ZENGIN_RECORD_BYTES) throw new Error(`Zengin record of ${line.length} characters`);
  return line;
}

function account(a: ZenginBankAccount, who: string): { bank: string[]; type: string; number: string } {
  return {
    bank: [
      exactDigits(a.bankCode, 4, `${who} bank code`),
      text(a.bankName, 15, `${who} bank name`),
      exactDigits(a.branchCode, 3, `${who} branch code`),
      text(a.branchName, 15, `${who} branch name`),
    ],
    type: ACCOUNT_TYPE_CODES[a.accountType],
    number: exactDigits(a.accountNumber, 7, `${who} account number`),
  };
}

/** The file's bytes; refuses an empty file, a date that is not one, and any value that does not fit. */
export function writeZenginTransferFile(file: ZenginFile): Buffer {
  const { originator, transferDate, transfers } = file;
  if (transfers.length === 0) throw new ZenginFormatError('a transfer file needs at least one transfer');
  const date = /^\d{4}-(\d{2})-(\d{2})$/.exec(transferDate);
  if (!date || Number.isNaN(Date.parse(`${transferDate}T00:00:00Z`))) {
    throw new ZenginFormatError(`transfer date "${transferDate}" is not YYYY-MM-DD`);
  }
  const from = account(originator, 'originator');
  const header = record([
    '1', // data type: header
    '21', // kind: 総合振込
    '0', // code set: JIS / Shift_JIS
    exactDigits(originator.companyCode, 10, 'company code'),
    text(originator.name, 40, 'originator name'),
    `${date[1]}${date[2]}`,
    ...from.bank,
    from.type,
    from.number,
    ' '.repeat(17),
  ]);
  let total = 0;
  const data = transfers.map((t, i) => {
    const who = `transfer ${i + 1}`;
    if (!Number.isSafeInteger(t.amount) || t.amount < 1) {
      throw new ZenginFormatError(`${who}: amount ${t.amount} is not a positive whole yen amount`);
    }
    total += t.amount;
    const to = account(t, who);
    return record([
      '2', // data type: data
      ...to.bank,
      ' '.repeat(4), // clearing house number: unused for transfers
      to.type,
      to.number,
      text(t.payeeName, 30, `${who} payee name`),
      digits(t.amount, 10, `${who} amount`),
      '0', // new-payee code: none
      text(t.customerCode ?? '', 10, `${who} customer code`),
      ' '.repeat(10), // customer code 2
      ' ', // transfer method: the bank's default
      ' ', // EDI marker: customer codes, not EDI data
      ' '.repeat(7),
    ]);
  });
  const trailer = record([
    '8',
    digits(transfers.length, 6, 'record count'),
    digits(total, 12, 'total amount'),
    ' '.repeat(101),
  ]);
  const end = record(['9', ' '.repeat(119)]);
  const lines = [header, ...data, trailer, end];
  return iconv.encode(`${lines.join('\r\n')}\r\n`, 'Shift_JIS');
}
