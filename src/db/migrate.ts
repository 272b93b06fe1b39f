import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { DialectName } from './connection';
import * as m001 from './migrations/001-initial';
import * as m002 from './migrations/002-refunds';
import * as m003 from './migrations/003-admin';
import * as m004 from './migrations/004-isolation-and-late-payments';
import * as m005 from './migrations/005-settlement';
import * as m006 from './migrations/006-acquirer-id';
import * as m007 from './migrations/007-settlement-reports';
import * as m008 from './migrations/008-statements-and-payouts';
import * as m009 from './migrations/009-sub-brand-review';
import * as m010 from './migrations/010-governance-notices';
import * as m011 from './migrations/011-governance-cases';
import * as m012 from './migrations/012-merchant-registration-details';
import * as m013 from './migrations/013-settlement-fee-lines';
import * as m014 from './migrations/014-job-claim-index';
import { columnKit } from './migrations/columns';
import { migrateMigrator } from './migrator-retry';

/**
 * Migrations are TypeScript modules listed here (not discovered on disk) so they load the same way
 * from a checkout, tsx, or a bundle; each receives the dialect's column kit.
 */
const MIGRATIONS = {
  '001-initial': m001,
  '002-refunds': m002,
  '003-admin': m003,
  '004-isolation-and-late-payments': m004,
  '005-settlement': m005,
  '006-acquirer-id': m006,
  '007-settlement-reports': m007,
  '008-statements-and-payouts': m008,
  '009-sub-brand-review': m009,
  '010-governance-notices': m010,
  '011-governance-cases': m011,
  '012-merchant-registration-details': m012,
  '013-settlement-fee-lines': m013,
  '014-job-claim-index': m014,
} as const;

function provider(dialect: DialectName): MigrationProvider {
  const kit = columnKit(dialect);
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, module] of Object.entries(MIGRATIONS)) {
        out[name] = { up: (db: Kysely<unknown>) => module.up(db, kit) };
      }
      return out;
    },
  };
}

/**
 * `schema` names the PostgreSQL schema the tables live in (tests give each run its own): Kysely
 * looks for its bookkeeping tables across all schemas unless told which one is ours.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  dialect: DialectName,
  schema?: string,
): Promise<string[]> {
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider: provider(dialect),
    ...(schema && dialect === 'postgres' ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrateMigrator(migrator);
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
