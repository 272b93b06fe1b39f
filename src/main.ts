import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { registerAdminCommands } from './admin/admin-cli';
import { writeAudit } from './admin/audit.repository';
import { createAlipayPlusConnector } from './app/alipayplus-provider';
import { startBanner } from './app/banner';
import { type Config, ConfigError, loadConfig, type Mode, requireAlipayPlusSettings } from './app/config';
import { isHttpProcess, reportReady, startHttpProcesses, wakeJobsInPrimary } from './app/http-processes';
import { gatewayKeys } from './app/keys';
import { stopWithParent } from './app/parent-watch';
import { type Components, type Runtime, reportSourceOf, startRuntime } from './app/runtime';
import { rejectUnknownOptions } from './cli-options';
import { backupSqlite } from './db/backup';
import { type Connection, openDatabase, redactUrl } from './db/connection';
import type { Database } from './db/database';
import { migrateToLatest } from './db/migrate';
import { systemClock } from './kernel/clock';
import { issueApiPassword } from './merchants/api-password';
import {
  currentDemoApiPassword,
  DEMO_MERCHANT_ID,
  DEMO_SERVICE_ID,
  keepDemoApiPassword,
} from './merchants/demo-seed';
import { registerReconcileCommand } from './reconcile/reconcile-cli';
import { registerReportCommands } from './settlement/report-cli';
import { registerSettlementCommands } from './settlement/settlement-cli';

/**
 * The `kessai` command (configuration.md, Commands). `start` is the all-in-one demo; the others
 * run one part each, for production layouts.
 */
function config(defaultMode: Mode): Config {
  try {
    return loadConfig(process.env, defaultMode);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`kessai: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function run(cfg: Config, components: Components): Promise<void> {
  // The all-in-one demo shows a settled cycle at once (settlement.md).
  const runtime = await startRuntime({ config: cfg, components, seedDemoSettlement: components.shop });
  process.stdout.write(startBanner(cfg, components, runtime.demo));
  stopOnSignal(() => runtime.close());
}

/** Stops on SIGINT, SIGTERM, SIGHUP or when the parent is gone (parent-watch.ts), once. */
function stopOnSignal(close: () => Promise<void>, quiet = false): (reason: string, code?: number) => void {
  let stopping = false;
  const stop = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    if (!quiet) process.stdout.write(`\n${reason}: stopping…\n`);
    await close();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
  stopWithParent((reason) => void stop(reason));
  return (reason, code) => void stop(reason, code);
}

/**
 * `serve --processes N` (N > 1), the primary: N HTTP processes on the gateway's port
 * (http-processes.ts), then the job worker (unless `--no-jobs`). The worker starts once the gateway
 * listens, as in one process: the first jobs it runs (the demo merchant's registration) make
 * Alipay+ call the gateway back. A stop ends the HTTP processes first, then the worker.
 */
async function serveProcesses(cfg: Config, count: number, jobs: boolean): Promise<void> {
  const components = { gateway: false, jobs, sandbox: false, shop: false };
  let runtime: Runtime | undefined;
  // The schema is brought up to date once, before the HTTP processes open the database side by side.
  await (await openMigrated()).close();
  const http = startHttpProcesses(count, {
    // Until the worker runs, its first poll finds what was committed.
    wakeJobs: (kind) => runtime?.worker?.wake(kind),
    failed: (reason) => stop(reason, 1),
  });
  const stop = stopOnSignal(async () => {
    await http.stop();
    await runtime?.close();
  });
  await http.ready;
  if (jobs) runtime = await startRuntime({ config: cfg, components });
  process.stdout.write(startBanner(cfg, { ...components, gateway: true }, runtime?.demo));
  process.stdout.write(`  ${count} HTTP processes share the gateway's port\n\n`);
}

/** `serve --processes N`, one of the N HTTP processes: the gateway alone; the primary runs the jobs. */
async function serveHttp(cfg: Config): Promise<void> {
  const runtime = await startRuntime({
    config: cfg,
    components: { gateway: true, jobs: false, sandbox: false, shop: false },
    wakeJobs: wakeJobsInPrimary,
  });
  // The primary prints the banner and says when it stops.
  stopOnSignal(() => runtime.close(), true);
  reportReady();
}

function processCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new InvalidArgumentError('expected a whole number from 1 to 64');
  }
  return count;
}

/** Opens the configured database and brings its schema up to date (the admin commands' way in). */
async function openMigrated(): Promise<Connection<Database> & { applied: string[] }> {
  const cfg = config('production');
  const connection = openDatabase<Database>(cfg.databaseUrl);
  try {
    return { ...connection, applied: await migrateToLatest(connection.db, connection.dialect) };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/** Runs `work` on the configured database, migrated first, and closes it. */
async function withDatabase<T>(
  work: (db: Connection<Database>['db'], appliedMigrations: string[]) => Promise<T>,
): Promise<T> {
  const connection = await openMigrated();
  try {
    return await work(connection.db, connection.applied);
  } finally {
    await connection.close();
  }
}

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('kessai')
  .description('Alipay+ payment gateway for Japanese merchants')
  .version(version, '-V, --version', 'print the version');

program
  .command('start')
  .description('all in one: gateway, job worker, Alipay+ sandbox and demo shop, on SQLite by default')
  .action(() => run(config('demo'), { gateway: true, jobs: true, sandbox: true, shop: true }));

program
  .command('serve')
  .description('the gateway (with the job worker in-process unless --no-jobs)')
  .option('--no-jobs', 'do not run jobs in this process (run `kessai worker` instead)')
  .option(
    '--processes <n>',
    'HTTP processes sharing the gateway port, to use more cores; the job worker runs once, in the first',
    processCount,
    1,
  )
  .action((options: { jobs: boolean; processes: number }) => {
    const cfg = config('production');
    if (options.processes === 1) {
      return run(cfg, { gateway: true, jobs: options.jobs, sandbox: false, shop: false });
    }
    return isHttpProcess() ? serveHttp(cfg) : serveProcesses(cfg, options.processes, options.jobs);
  });

program
  .command('worker')
  .description('the job worker alone (notifications, deadlines, retries)')
  .action(() => run(config('production'), { gateway: false, jobs: true, sandbox: false, shop: false }));

program
  .command('sandbox')
  .description('the Alipay+ sandbox alone')
  .action(() => run(config('production'), { gateway: false, jobs: false, sandbox: true, shop: false }));

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(async () => {
    const applied = await withDatabase(async (_db, appliedMigrations) => appliedMigrations);
    const database = redactUrl(config('production').databaseUrl);
    process.stdout.write(
      applied.length ? `${database}: applied ${applied.join(', ')}\n` : `${database}: up to date\n`,
    );
  });

program
  .command('api-password')
  .description("issue (or rotate) a service's XML API password; it is shown once")
  .requiredOption('--merchant <merchant_id>', 'merchant id (5 digits)')
  .requiredOption('--service <service_id>', 'service id (3 digits)')
  .action(async (options: { merchant: string; service: string }) => {
    const cfg = config('production');
    const notes = await withDatabase(async (db) => {
      const isDemo = options.merchant === DEMO_MERCHANT_ID && options.service === DEMO_SERVICE_ID;
      // The demo shop signs its refunds with the password kept in the data folder: when this
      // database is the demo's, the new password replaces it there, so the shop keeps working.
      const demoRunsHere = isDemo && (await currentDemoApiPassword(db, cfg.dataDir, undefined)) !== null;
      const password = await issueApiPassword(db, options.merchant, options.service);
      await writeAudit(db, {
        at: new Date(),
        actorUserId: null,
        actorEmail: 'cli',
        ip: 'local',
        merchantId: options.merchant,
        action: 'api-password.reset',
        target: `${options.merchant}/${options.service}`,
      });
      process.stdout.write(
        `New XML API password for ${options.merchant}${options.service} (shown once, store it now):\n${password}\n`,
      );
      if (!isDemo) return [];
      if (cfg.demo.apiPassword) {
        return [
          'This is the demo service: `kessai start` sets KESSAI_DEMO_API_PASSWORD again at each start;',
          'change that variable to keep the new password.',
        ];
      }
      if (demoRunsHere) {
        keepDemoApiPassword(cfg.dataDir, password);
        return [
          `This is the demo service: the demo shop uses the new password from now on (${cfg.dataDir}).`,
        ];
      }
      return ['This is the demo service: give the demo shop the new password with KESSAI_DEMO_API_PASSWORD.'];
    });
    for (const note of notes) process.stderr.write(`${note}\n`);
  });

program
  .command('backup')
  .description('copy the SQLite database to <file> while the gateway keeps running (PostgreSQL: pg_dump)')
  .argument('<file>', 'the new file to write')
  .action(async (file: string) => {
    const { file: written, pages } = await backupSqlite(config('production').databaseUrl, file);
    process.stdout.write(`backed up ${pages} pages to ${written} (integrity check ok)\n`);
  });

registerAdminCommands(program, { open: openMigrated });
registerSettlementCommands(program, {
  withDatabase: (work) => withDatabase((db) => work(db)),
  originator: () => config('production').payoutOriginator,
});
registerReportCommands(program, {
  withDatabase: (work) => withDatabase((db) => work(db)),
  source: () => {
    const source = reportSourceOf(config('production'));
    if (!source) {
      throw new Error(
        'no report SFTP server: set KESSAI_ALIPAYPLUS_SFTP_HOST, _PORT, _USER, _PASSWORD and KESSAI_ALIPAYPLUS_PARTICIPANT_ID',
      );
    }
    return source;
  },
});

registerReconcileCommand(program, {
  open: openMigrated,
  ledger: () => {
    const cfg = config('production');
    requireAlipayPlusSettings(cfg);
    return createAlipayPlusConnector(cfg, gatewayKeys(cfg), systemClock);
  },
  progress: process.stderr,
});

try {
  rejectUnknownOptions(program, process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (error) {
  // A command that cannot do its work says why in one line; the stack is for bugs in the log.
  process.stderr.write(`kessai: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
