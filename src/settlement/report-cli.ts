import { type Command, InvalidArgumentError } from 'commander';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import { isCalendarDate } from './fee.repository';
import { fetchReports, type ReportSource } from './report-fetch';
import { settlementCommand } from './settlement-cli';

/**
 * `kessai settlement fetch --date YYYY-MM-DD`: fetches and reconciles the Alipay+ reports
 * delivered on that date (the daily `settlement.fetch` job's work, on demand). A refused login, an
 * unreachable server or a bad file stops it with the reason and stores nothing of the date.
 */
export interface ReportCliDeps {
  withDatabase<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** The configured report SFTP server; throws when there is none. */
  source(): ReportSource;
  out?: (text: string) => void;
  now?: () => Date;
}

function parseDate(text: string): string {
  if (!isCalendarDate(text)) {
    throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  }
  return text;
}

export function registerReportCommands(program: Command, deps: ReportCliDeps): void {
  const out = deps.out ?? ((text: string) => process.stdout.write(text));
  const now = deps.now ?? (() => new Date());
  settlementCommand(program)
    .command('fetch')
    .description(
      'fetch and reconcile the reports delivered on a date (UTC+8); see `kessai reconcile --reports`',
    )
    .requiredOption(
      '--date <YYYY-MM-DD>',
      'the delivery date: the clearing files of the day before, and that date’s settlement',
      parseDate,
    )
    .action((options: { date: string }) =>
      deps.withDatabase(async (db) => {
        const result = await fetchReports(db, deps.source(), options.date, now());
        const list = (names: string[]) => (names.length ? names.join(', ') : 'none');
        out(
          `${options.date}: stored ${list(result.stored)}; already stored ${list(result.unchanged)}` +
            (result.missing.length ? `; missing clearing files for ${result.missing.join(', ')}` : '') +
            '\n',
        );
      }),
    );
}
