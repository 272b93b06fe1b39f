import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { Connection } from '../db/connection';
import type { Database } from '../db/database';
import { DEMO_MERCHANT_ID, DEMO_SERVICE_ID, seedDemoData } from '../merchants/demo-seed';
import { writeAudit } from './audit.repository';
import { seedPayments } from './demo-data';
import { countText } from './format';
import { createUser, findUserByEmail, resetPassword } from './user.service';

/**
 * The console's commands (admin.md: "a first operator account is created by a CLI command"):
 * `kessai user create`, `kessai user reset-password` and `kessai demo-data`. Each opens the
 * configured database through `open` (migrated) and closes it when done. Changes made here are
 * audited like the console's, by "cli" from "local".
 */
export interface AdminCliDeps {
  /** The configured database, migrated. */
  open(): Promise<Connection<Database>>;
  /** Where the commands write (tests pass their own). */
  out?: (text: string) => void;
}

async function using<T>(
  deps: AdminCliDeps,
  work: (connection: Connection<Database>) => Promise<T>,
): Promise<T> {
  const connection = await deps.open();
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}

const CLI_ACTOR = { actorUserId: null, actorEmail: 'cli', ip: 'local' } as const;

export function registerAdminCommands(program: Command, deps: AdminCliDeps): void {
  const out = deps.out ?? ((text: string) => process.stdout.write(text));
  const user = program.command('user').description('console users');

  user
    .command('create')
    .description('create a console user; a generated password is shown once')
    .requiredOption('--role <role>', 'operator | merchant_admin | merchant_viewer')
    .requiredOption('--email <email>', 'the sign-in e-mail address')
    .option('--merchant <merchant_id>', 'the merchant of a merchant_admin or merchant_viewer')
    .action((options: { role: string; email: string; merchant?: string }) =>
      using(deps, async ({ db }) => {
        const now = new Date();
        const { user: created, password } = await createUser(db, {
          email: options.email,
          role: options.role,
          merchantId: options.merchant,
          now,
        });
        await writeAudit(db, {
          ...CLI_ACTOR,
          at: now,
          merchantId: created.merchant_id,
          action: 'user.create',
          target: created.email,
          detail: { role: created.role },
        });
        out(
          `Created ${created.role} ${created.email}${created.merchant_id ? ` of merchant ${created.merchant_id}` : ''}.\n`,
        );
        out(`Password (shown once): ${password}\n`);
      }),
    );

  user
    .command('reset-password')
    .description("set a new generated password for a console user (shown once); ends the user's sessions")
    .requiredOption('--email <email>', 'the sign-in e-mail address')
    .action((options: { email: string }) =>
      using(deps, async ({ db }) => {
        const found = await findUserByEmail(db, options.email);
        if (!found) throw new Error(`no console user ${options.email}`);
        const now = new Date();
        const password = await resetPassword(db, found.user_id, now);
        await writeAudit(db, {
          ...CLI_ACTOR,
          at: now,
          merchantId: found.merchant_id,
          action: 'user.password-reset',
          target: found.email,
        });
        out(`New password for ${found.email} (shown once): ${password}\n`);
      }),
    );

  program
    .command('demo-data')
    .description('insert realistic payments of the last year for demos and benchmarks')
    .requiredOption('--payments <count>', 'how many payments', (v) => Number.parseInt(v, 10))
    .option('--merchant <merchant_id>', 'merchant', DEMO_MERCHANT_ID)
    .option('--service <service_id>', 'service', DEMO_SERVICE_ID)
    .option('--seed <n>', 'random seed (same seed, same data)', (v) => Number.parseInt(v, 10))
    .action((options: { payments: number; merchant: string; service: string; seed?: number }) =>
      using(deps, async ({ db, dialect }) => {
        if (options.merchant === DEMO_MERCHANT_ID && options.service === DEMO_SERVICE_ID) {
          await seedDemoData(db, new Date(), {});
        }
        const bar = new SingleBar(
          { format: 'payments {bar} {percentage}% | {value}/{total} | {duration_formatted}' },
          Presets.shades_classic,
        );
        bar.start(options.payments, 0);
        const started = Date.now();
        const result = await seedPayments(db, dialect, {
          count: options.payments,
          merchantId: options.merchant,
          serviceId: options.service,
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          onProgress: (done) => bar.update(done),
        }).finally(() => bar.stop());
        out(
          `Inserted ${countText(result.inserted)} payments of ${options.merchant}/${options.service} ` +
            `(${result.from.toISOString().slice(0, 10)} … ${result.to.toISOString().slice(0, 10)}) ` +
            `in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`,
        );
      }),
    );
}
