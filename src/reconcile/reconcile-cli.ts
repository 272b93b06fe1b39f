import { Presets, SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import type { Connection } from '../db/connection';
import type { Database } from '../db/database';
import { jstDateStartIso } from '../kernel/jst';
import {
  listDiscrepancies,
  type Discrepancy as ReportDiscrepancy,
  resolveDiscrepancy,
} from '../settlement/discrepancy.repository';
import { type PaymentLedger, type ReconcileReport, reconcile } from './reconcile.service';
import type { Discrepancy } from './reconcile-rules';

/**
 * `kessai reconcile [--since] [--json]`: prints each discrepancy between the gateway and Alipay+
 * and exits 1 when there is any, so that a scheduler can alert on it (operations.md, Reconcile).
 * `kessai reconcile --reports` does the same for the open discrepancies found in Alipay+'s
 * settlement reports, and `--reports --resolve <id> --note <text>` resolves one (audited).
 */
export interface ReconcileCliDeps {
  /** The configured database, migrated. */
  open(): Promise<Connection<Database>>;
  /** The configured connector to Alipay+. */
  ledger(): PaymentLedger;
  now?: () => Date;
  out?: (text: string) => void;
  /** Where the progress bar is drawn; none when it is not a terminal. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Sets the exit status (the process's, unless a test watches). */
  exitWith?: (code: number) => void;
}

const DEFAULT_WINDOW = '24h';
const UNITS_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `--since`: a span back from now (`30m`, `24h`, `7d`), a JST calendar day (`2026-12-01`), or an
 * instant with its offset (`2026-12-01T09:00+09:00`). A time without an offset is refused rather
 * than guessed.
 */
export function parseSince(text: string, now: Date): Date {
  const span = /^(\d{1,6})([mhd])$/.exec(text);
  if (span) return new Date(now.getTime() - Number(span[1]) * UNITS_MS[span[2] as keyof typeof UNITS_MS]);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? jstDateStartIso(text)
    : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
      ? text
      : undefined;
  const instant = iso === undefined ? undefined : new Date(iso);
  if (!instant || Number.isNaN(instant.getTime()) || instant.getTime() > now.getTime()) {
    throw new InvalidArgumentError(
      'expected a span back from now (30m, 24h, 7d), a JST day (2026-12-01) or an instant with its offset (2026-12-01T09:00+09:00), not in the future',
    );
  }
  return instant;
}

function parseConcurrency(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 64) throw new InvalidArgumentError('expected 1 to 64');
  return value;
}

function describe(d: Discrepancy): string {
  const refund = d.refundRequestId ? ` refund ${d.refundRequestId}` : '';
  return (
    `${d.kind}: payment ${d.trackingId} (merchant ${d.merchantId}-${d.serviceId}, order ${d.orderId}, ` +
    `paymentRequestId ${d.paymentRequestId})${refund} — gateway: ${d.gateway}; Alipay+: ${d.alipayplus}\n`
  );
}

function summary(report: ReconcileReport): string {
  const { payments, inquired, pending, discrepancies } = report;
  return (
    `${payments} payment(s) since ${report.since.toISOString()}: ${inquired} checked with Alipay+, ` +
    `${pending} still in progress, ${discrepancies.length} discrepanc${discrepancies.length === 1 ? 'y' : 'ies'}\n`
  );
}

function parseId(text: string): number {
  const value = Number(text);
  if (!/^\d{1,15}$/.test(text) || value < 1) throw new InvalidArgumentError('expected a discrepancy id');
  return value;
}

interface ReconcileOptions {
  since?: Date;
  json?: boolean;
  concurrency: number;
  reports?: boolean;
  resolve?: number;
  note?: string;
}

function describeReportDiscrepancy(d: ReportDiscrepancy): string {
  return `#${d.discrepancy_id} ${d.kind}: ${d.detail}\n`;
}

async function reportDiscrepancies(
  deps: ReconcileCliDeps,
  options: ReconcileOptions,
  out: (text: string) => void,
  exitWith: (code: number) => void,
): Promise<void> {
  if ((options.resolve === undefined) !== (options.note === undefined)) {
    throw new InvalidArgumentError('--resolve <id> needs --note <text>, and --note needs --resolve');
  }
  const now = deps.now ?? (() => new Date());
  const connection = await deps.open();
  try {
    if (options.resolve !== undefined) {
      const { resolve, note = '' } = options;
      await connection.db
        .transaction()
        .execute((tx) =>
          resolveDiscrepancy(tx, resolve, note, { actorUserId: null, actorEmail: 'cli', ip: 'local' }, now()),
        );
      out(`discrepancy ${options.resolve} resolved\n`);
    }
    const open = await listDiscrepancies(connection.db, { status: 'OPEN' });
    if (options.json) {
      out(`${JSON.stringify({ open }, null, 2)}\n`);
    } else {
      for (const d of open) out(describeReportDiscrepancy(d));
      out(`${open.length} open report discrepanc${open.length === 1 ? 'y' : 'ies'}\n`);
    }
    if (open.length) exitWith(1);
  } finally {
    await connection.close();
  }
}

export function registerReconcileCommand(program: Command, deps: ReconcileCliDeps): void {
  const out = deps.out ?? ((text: string) => process.stdout.write(text));
  const now = deps.now ?? (() => new Date());
  const exitWith =
    deps.exitWith ??
    ((code: number) => {
      process.exitCode = code;
    });
  program
    .command('reconcile')
    .description(
      "compare the payments and refunds of a window with Alipay+'s view (inquiryPayment), or with --reports list the reports' open discrepancies",
    )
    .option(
      '--since <when>',
      'start of the window: 30m, 24h (default), 7d, a JST day or an ISO instant',
      (text) => parseSince(text, now()),
    )
    .option('--json', 'print the report as JSON (no progress bar)')
    .option('--concurrency <n>', 'inquiries in flight at once (1-64)', parseConcurrency, 8)
    .option('--reports', "the open discrepancies found in Alipay+'s settlement reports (no inquiries)")
    .option('--resolve <id>', 'with --reports: resolve this discrepancy (needs --note)', parseId)
    .option('--note <text>', 'with --resolve: why it is resolved (kept in the audit log)')
    .action(async (options: ReconcileOptions) => {
      if (options.reports) return reportDiscrepancies(deps, options, out, exitWith);
      if (options.resolve !== undefined || options.note !== undefined) {
        throw new InvalidArgumentError('--resolve and --note go with --reports');
      }
      const since = options.since ?? parseSince(DEFAULT_WINDOW, now());
      const ledger = deps.ledger();
      const connection = await deps.open();
      const bar =
        deps.progress?.isTTY && !options.json
          ? new SingleBar(
              { stream: deps.progress, format: 'reconcile [{bar}] {value}/{total}' },
              Presets.shades_classic,
            )
          : undefined;
      let report: ReconcileReport;
      try {
        report = await reconcile({
          db: connection.db,
          ledger,
          since,
          concurrency: options.concurrency,
          onStart: (total) => bar?.start(total, 0),
          onPaymentDone: () => bar?.increment(),
        });
      } finally {
        bar?.stop();
        await connection.close();
      }
      if (options.json) {
        out(`${JSON.stringify({ ...report, since: since.toISOString() }, null, 2)}\n`);
      } else {
        for (const discrepancy of report.discrepancies) out(describe(discrepancy));
        out(summary(report));
      }
      if (report.discrepancies.length) exitWith(1);
    });
}
