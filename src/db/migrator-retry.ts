import type { MigrationResultSet, Migrator } from 'kysely';

/** PostgreSQL's codes for a schema, table or column that is not (or no longer) there. */
const CATALOG_GONE = new Set(['3F000', '42P01', '42703']);

/**
 * Runs a migrator, again when its first look failed on the catalog. Before it takes its lock,
 * Kysely's migrator lists the tables of every schema in the database; on PostgreSQL, another
 * schema dropped during that read (another tenant's, or another test's) fails it with "does not
 * exist". Nothing has run then (the result has no `results`), so trying again is safe.
 */
export async function migrateMigrator(
  migrator: Pick<Migrator, 'migrateToLatest'>,
): Promise<MigrationResultSet> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await migrator.migrateToLatest();
    const code = (outcome.error as { code?: unknown } | undefined)?.code;
    const raced = outcome.results === undefined && typeof code === 'string' && CATALOG_GONE.has(code);
    if (!raced || attempt === 5) return outcome;
  }
}
