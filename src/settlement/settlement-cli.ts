import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import { setServiceFee } from './fee.repository';
import { checkLedger, type LedgerCheckReport } from './ledger-check';

/**
 * Settlement's commands: `kessai ledger check` (exits 1 while any invariant is broken) and
 * `kessai fee set`. Each runs on the configured database through `withDatabase`.
 */
export interface SettlementCliDeps {
  withDatabase<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  out?: (text: string) => void;
  now?: () => Date;
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

  program
    .command('ledger')
    .description('the double-entry ledger')
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
            { actorUserId: null, actorEmail: 'cli', ip: 'local' },
            now(),
          );
          out(
            `Fee of ${options.merchant}/${options.service} from ${options.from}: ` +
              `${options.rateBps} bp + ¥${options.fixedFee} per payment.\n`,
          );
        }),
    );
}
