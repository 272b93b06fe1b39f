import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import type { StatementLineRow, StatementRow } from '../settlement/statement.repository';
import { jstText, signedYenText, yenText } from './format';
import type { AdminTexts } from './i18n';
import { csvLine } from './payment-search';

/**
 * A statement as the files a merchant keeps: CSV (the figures, then one row per line) and a PDF
 * with Japanese text in an embedded font.
 */
export async function* statementCsvLines(
  statement: StatementRow,
  lines: readonly StatementLineRow[],
  t: AdminTexts,
): AsyncGenerator<string> {
  const s = t.statements;
  yield csvLine([
    s.merchant,
    s.period,
    s.captured,
    s.refunded,
    s.fees,
    s.net,
    s.carriedIn,
    s.payout,
    s.carriedOut,
    s.payoutDate,
  ]);
  yield csvLine([
    statement.merchant_id,
    `${statement.period_from}〜${statement.period_close}`,
    statement.captured,
    statement.refunded,
    statement.fees,
    statement.net,
    statement.carried_in,
    statement.payout_amount,
    statement.carried_out,
    statement.payout_date,
  ]);
  yield '\r\n';
  yield csvLine([s.date, s.kind, s.trackingId, s.gross, s.fee, s.amount]);
  for (const l of lines) {
    yield csvLine([
      l.business_date,
      s.kinds[l.kind] ?? l.kind,
      l.tracking_id ?? '',
      l.gross,
      l.fee,
      l.amount,
    ]);
  }
}

/**
 * The fonts tried for the PDF's Japanese text: IPA Gothic from the `fonts-ipafont-gothic` package
 * (Debian and Ubuntu paths), which `scripts/test.sh` installs. No npm package ships a maintained
 * Japanese font, so the gateway's host provides it.
 */
export const JAPANESE_FONT_PATHS = [
  '/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf',
  '/usr/share/fonts/truetype/fonts-japanese-gothic.ttf',
];

export class MissingFontError extends Error {
  constructor() {
    super(
      `the statement PDF needs the IPA Gothic font: install the fonts-ipafont-gothic package (looked for ${JAPANESE_FONT_PATHS.join(', ')})`,
    );
    this.name = 'MissingFontError';
  }
}

export function japaneseFontPath(): string {
  const found = JAPANESE_FONT_PATHS.find((p) => existsSync(p));
  if (!found) throw new MissingFontError();
  return found;
}

export function statementPdf(
  statement: StatementRow,
  lines: readonly StatementLineRow[],
  t: AdminTexts,
): Promise<Buffer> {
  const font = japaneseFontPath();
  const s = t.statements;
  const title = s.heading(statement.merchant_id, statement.period_from, statement.period_close);
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: title, Author: t.product } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('jp', font);
  doc.font('jp');
  doc.fontSize(16).text(title);
  doc
    .moveDown(0.5)
    .fontSize(9)
    .text(`${s.issuedAt}: ${jstText(statement.issued_at)}`);
  doc.moveDown();
  const figures: Array<[string, string]> = [
    [s.captured, yenText(statement.captured)],
    [s.refunded, yenText(statement.refunded)],
    [s.fees, signedYenText(statement.fees)],
    [s.net, signedYenText(statement.net)],
    [s.carriedIn, signedYenText(statement.carried_in)],
    [s.payout, yenText(statement.payout_amount)],
    [s.carriedOut, signedYenText(statement.carried_out)],
    [s.payoutDate, statement.payout_date],
  ];
  doc.fontSize(11);
  for (const [label, value] of figures) {
    const y = doc.y;
    doc.text(label, 50, y, { width: 200 });
    doc.text(value, 250, y, { width: 150, align: 'right' });
  }
  doc.moveDown().fontSize(12).text(s.lines, 50);
  doc.moveDown(0.3).fontSize(9);
  const columns: Array<[number, number, 'left' | 'right']> = [
    [50, 70, 'left'],
    [120, 50, 'left'],
    [170, 130, 'left'],
    [300, 80, 'right'],
    [380, 70, 'right'],
    [450, 90, 'right'],
  ];
  const row = (cells: string[]) => {
    if (doc.y > doc.page.height - 70) doc.addPage();
    const y = doc.y;
    cells.forEach((cell, i) => {
      const [x, width, align] = columns[i]!;
      doc.text(cell, x, y, { width, align, lineBreak: false });
    });
    doc.moveDown(0.4);
  };
  row([s.date, s.kind, s.trackingId, s.gross, s.fee, s.amount]);
  for (const l of lines) {
    row([
      l.business_date,
      s.kinds[l.kind] ?? l.kind,
      l.tracking_id ?? '',
      signedYenText(l.gross),
      signedYenText(l.fee),
      signedYenText(l.amount),
    ]);
  }
  const sum = (pick: (l: StatementLineRow) => number) => lines.reduce((a, l) => a + pick(l), 0);
  row([
    s.total,
    '',
    '',
    signedYenText(sum((l) => l.gross)),
    signedYenText(sum((l) => l.fee)),
    signedYenText(sum((l) => l.amount)),
  ]);
  doc.end();
  return done;
}
