import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import { setServiceFee } from './fee.repository';
import { ADJUSTABLE_ACCOUNTS, postAdjustment } from './ledger-adjustment';
import { checkLedger, type LedgerCheckReport } from './ledger-check';
import { generateZenginFile, importBankResult, markPayoutPaid } from './payout.repository';
import { closeStatements } from './statement.repository';
import type { ZenginOriginator } from './zengin';

/**
 * Settlement's commands: `kessai ledger check` (exits 1 while any invariant is broken), `kessai
 * ledger adjust`, `kessai fee set`, statements and payouts. Each runs on the configured database through `withDatabase`.
 */
export interface SettlementCliDeps {
  withDatabase<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  out?: (text: string) => void;
  now?: () => Date;
  /** `KESSAI_PAYOUT_ORIGINATOR`, read only by the commands that write transfer files. */
  originator?: () => ZenginOriginator | undefined;
}

/** Who the audit rows of the commands name. */
const CLI_ACTOR = { actorUserId: null, actorEmail: 'cli', ip: 'local' };

/** The `settlement` command group, shared by every module that adds a subcommand to it. */
export function settlementCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'settlement') ??
    program.command('settlement').description('settlement: statements, reports')
  );
}

export function formatLedgerReport(report: LedgerCheckReport, seconds: number): string {
  const lines = [
    `checked ${report.entries} entries (${report.lines} lines) against ${report.payments} payments ` +
      `and ${report.refunds} refunds in ${seconds.toFixed(2)} s`,
    'balances (debit > 0, credit < 0):',
    ...Object.entries(report.balances).map(([kind, total]) => `  ${kind.padEnd(24)} ${total}`),
  ];
  if (report.violations.length === 0) {
    lines.push('OK: every entry balances; the ledger agrees with payments and refunds to the yen');
  } else {
    lines.push(`FAILED: ${report.violations.length} violation(s)`);
    for (const v of report.violations) lines.push(`  ${v.rule}  ${v.subject}  ${v.detail}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerSettlementCommands(program: Command, deps: SettlementCliDeps): void {
  const out = deps.out ?? ((text: string) => process.stdout.write(text));
  const now = deps.now ?? (() => new Date());

  const ledger = program.command('ledger').description('the double-entry ledger');
  ledger
    .command('check')
    .description('prove the ledger invariants; exits 1 if any is broken')
    .option('--limit <n>', 'list at most this many violations per rule', (v) => Number.parseInt(v, 10), 100)
    .action((options: { limit: number }) =>
      deps.withDatabase(async (db) => {
        const started = performance.now();
        const report = await checkLedger(db, { limit: options.limit });
        out(formatLedgerReport(report, (performance.now() - started) / 1000));
        if (report.violations.length > 0) process.exitCode = 1;
      }),
    );

  ledger
    .command('adjust')
    .description(`move yen between two of ${ADJUSTABLE_ACCOUNTS.join(', ')}, with a note; audited`)
    .requiredOption('--debit <account>', 'the account debited (e.g. bank for money Alipay+ paid back)')
    .requiredOption('--credit <account>', 'the account credited (e.g. settlement_suspense)')
    .requiredOption('--amount <yen>', 'whole yen, > 0', Number)
    .requiredOption('--note <text>', 'why (the discrepancy it settles)')
    .action((options: { debit: string; credit: string; amount: number; note: string }) =>
      deps.withDatabase(async (db) => {
        const entryId = await postAdjustment(db, options, CLI_ACTOR, now());
        out(`Adjustment entry ${entryId}: Dr ${options.debit} ¥${options.amount}, Cr ${options.credit}.\n`);
      }),
    );

  program
    .command('fee')
    .description("services' fees")
    .command('set')
    .description('set the fee of a service from a date (JST, today or later); audited')
    .requiredOption('--merchant <merchant_id>', 'merchant id')
    .requiredOption('--service <service_id>', 'service id')
    .requiredOption('--rate-bps <n>', 'merchant discount rate in basis points (325 = 3.25 %)', Number)
    .option('--fixed-fee <yen>', 'fixed fee per payment in yen', Number, 0)
    .requiredOption('--from <YYYY-MM-DD>', 'first JST date the setting applies to')
    .action(
      (options: { merchant: string; service: string; rateBps: number; fixedFee: number; from: string }) =>
        deps.withDatabase(async (db) => {
          await setServiceFee(
            db,
            {
              merchantId: options.merchant,
              serviceId: options.service,
              effectiveFrom: options.from,
              rateBps: options.rateBps,
              fixedFee: options.fixedFee,
              createdBy: 'cli',
            },
            CLI_ACTOR,
            now(),
          );
          out(
            `Fee of ${options.merchant}/${options.service} from ${options.from}: ` +
              `${options.rateBps} bp + ¥${options.fixedFee} per payment.\n`,
          );
        }),
    );

  settlementCommand(program)
    .command('close')
    .description("issue each merchant's statement for the last period of its cycle that ended by a date")
    .requiredOption('--date <YYYY-MM-DD>', 'a JST date that is over (e.g. the month-end)')
    .action((options: { date: string }) =>
      deps.withDatabase(async (db) => {
        for (const o of await closeStatements(db, options.date, now())) {
          const s =
            o.result.kind === 'issued' || o.result.kind === 'already-issued' ? o.result.statement : null;
          out(
            `${o.merchantId} ${o.period.from}..${o.period.close}: ${o.result.kind}` +
              (s
                ? ` (statement ${s.statement_id}: net ¥${s.net}, carried in ¥${s.carried_in}, ` +
                  `payout ¥${s.payout_amount} on ${s.payout_date})`
                : '') +
              '\n',
          );
        }
      }),
    );

  const payout = program.command('payout').description('payouts to merchants');
  payout
    .command('file')
    .description("write the Zengin transfer file of a payout date's scheduled payouts and send them")
    .requiredOption('--date <YYYY-MM-DD>', 'the payout (transfer) date')
    .requiredOption('--out <file>', 'where to write the file (Shift_JIS)')
    .action((options: { date: string; out: string }) =>
      deps.withDatabase(async (db) => {
        const originator = deps.originator?.();
        if (!originator) throw new Error('set KESSAI_PAYOUT_ORIGINATOR to make transfer files');
        const file = await generateZenginFile(
          db,
          { transferDate: options.date, originator },
          CLI_ACTOR,
          now(),
        );
        const stored = await db
          .selectFrom('zengin_files')
          .select('content')
          .where('file_id', '=', file.fileId)
          .executeTakeFirstOrThrow();
        writeFileSync(options.out, stored.content);
        out(
          `Transfer file ${file.fileId}: ${file.transfers} transfer(s), ¥${file.total}, written to ${options.out}\n`,
        );
      }),
    );
  payout
    .command('paid')
    .description('mark a sent payout paid (the bank made the transfer)')
    .requiredOption('--id <payout_id>', 'payout number', Number)
    .action((options: { id: number }) =>
      deps.withDatabase(async (db) => {
        const p = await markPayoutPaid(db, options.id, CLI_ACTOR, now());
        out(`Payout ${p.payout_id} of ¥${p.amount} to merchant ${p.merchant_id} is paid.\n`);
      }),
    );
  payout
    .command('import-result')
    .description("apply the bank's result file: transferred payouts become paid")
    .requiredOption('--file <file>', "the bank's result file")
    .action((options: { file: string }) =>
      deps.withDatabase(async (db) => {
        const r = await importBankResult(db, readFileSync(options.file), CLI_ACTOR, now());
        out(
          `paid: ${r.paid.join(', ') || 'none'}; already paid: ${r.alreadyPaid.join(', ') || 'none'}; ` +
            `not transferred: ${r.failed.map((f) => `${f.payoutId} (code ${f.resultCode})`).join(', ') || 'none'}\n`,
        );
        if (r.failed.length) process.exitCode = 1;
      }),
    );
}
