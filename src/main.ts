import { Command } from 'commander';
import { registerAdminCommands } from './admin/admin-cli';
import { type Config, ConfigError, loadConfig, type Mode } from './app/config';
import { type Components, startRuntime } from './app/runtime';
import { type Connection, openDatabase, redactUrl } from './db/connection';
import type { Database } from './db/database';
import { migrateToLatest } from './db/migrate';
import { issueApiPassword } from './merchants/api-password';
import { DEMO_MERCHANT_ID, DEMO_SERVICE_ID } from './merchants/demo-seed';
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
  const runtime = await startRuntime({ config: cfg, components });
  const lines = ['', 'Kessai is running.'];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(16)} ${value}`);
  if (components.gateway) row('gateway', `${cfg.gateway.publicUrl}  (hosted pages, Alipay+ notify, /admin)`);
  if (components.sandbox) row('Alipay+ sandbox', `${cfg.sandbox.publicUrl}/sandbox`);
  if (components.shop) row('demo shop', `${cfg.shop.publicUrl}/`);
  if (components.jobs) row('job worker', 'running');
  row('database', redactUrl(cfg.databaseUrl));
  // Secrets are printed only in demo mode, only here at start (configuration.md).
  if (cfg.mode === 'demo' && runtime.demo) {
    lines.push(
      '',
      `Demo merchant: merchant_id ${DEMO_MERCHANT_ID}, service_id ${DEMO_SERVICE_ID}`,
      `  hash key         ${runtime.demo.hashKey}`,
      `  API password     ${runtime.demo.apiPassword ?? '(rotated since; reset it in the console to see a new one)'}`,
      `  XML API          ${cfg.gateway.publicUrl}/api/xmlapi.do  (Basic auth user ${DEMO_MERCHANT_ID}${DEMO_SERVICE_ID})`,
      '  sandbox wallet users: alice (pays), nofunds, overlimit, risk, frozen — password "sandbox"',
    );
    if (components.gateway && runtime.demo.consoleUsers.length > 0) {
      lines.push('', `Console: ${cfg.gateway.publicUrl}/admin`);
      for (const user of runtime.demo.consoleUsers) {
        lines.push(`  ${user.role.padEnd(16)} ${user.email}  ${user.password}`);
      }
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
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

const program = new Command('kessai').description('Alipay+ payment gateway for Japanese merchants');

program
  .command('start')
  .description('all in one: gateway, job worker, Alipay+ sandbox and demo shop, on SQLite by default')
  .action(() => run(config('demo'), { gateway: true, jobs: true, sandbox: true, shop: true }));

program
  .command('serve')
  .description('the gateway (with the job worker in-process unless --no-jobs)')
  .option('--no-jobs', 'do not run jobs in this process (run `kessai worker` instead)')
  .action((options: { jobs: boolean }) =>
    run(config('production'), { gateway: true, jobs: options.jobs, sandbox: false, shop: false }),
  );

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
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  });

program
  .command('api-password')
  .description("issue (or rotate) a service's XML API password; it is shown once")
  .requiredOption('--merchant <merchant_id>', 'merchant id (5 digits)')
  .requiredOption('--service <service_id>', 'service id (3 digits)')
  .action(async (options: { merchant: string; service: string }) => {
    const password = await withDatabase((db) => issueApiPassword(db, options.merchant, options.service));
    process.stdout.write(
      `New XML API password for ${options.merchant}${options.service} (shown once, store it now):\n${password}\n`,
    );
  });

registerAdminCommands(program, { open: openMigrated });
registerSettlementCommands(program, { withDatabase: (work) => withDatabase((db) => work(db)) });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A command that cannot do its work says why in one line; the stack is for bugs in the log.
  process.stderr.write(`kessai: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
