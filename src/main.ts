import { Command } from 'commander';
import { registerAdminCommands } from './admin/admin-cli';
import { startBanner } from './app/banner';
import { type Config, ConfigError, loadConfig, type Mode } from './app/config';
import { type Components, startRuntime } from './app/runtime';
import { type Connection, openDatabase } from './db/connection';
import type { Database } from './db/database';
import { migrateToLatest } from './db/migrate';
import { issueApiPassword } from './merchants/api-password';

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
  process.stdout.write(startBanner(cfg, components, runtime.demo));

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

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A command that cannot do its work says why in one line; the stack is for bugs in the log.
  process.stderr.write(`kessai: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
