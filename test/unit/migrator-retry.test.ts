import type { MigrationResultSet } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateMigrator } from '../../src/db/migrator-retry';

/** A migrator that answers the given outcomes in turn and counts its runs. */
function scripted(...outcomes: MigrationResultSet[]) {
  let runs = 0;
  return {
    get runs() {
      return runs;
    },
    async migrateToLatest() {
      return outcomes[Math.min(runs++, outcomes.length - 1)]!;
    },
  };
}

const gone = (code: string) => Object.assign(new Error('schema "t_x" does not exist'), { code });
const done: MigrationResultSet = { results: [] };

describe('migrateMigrator', () => {
  it('tries again when the first look at the catalog met a schema dropped meanwhile', async () => {
    for (const code of ['3F000', '42P01', '42703']) {
      const migrator = scripted({ error: gone(code) }, done);
      expect(await migrateMigrator(migrator)).toBe(done);
      expect(migrator.runs).toBe(2);
    }
  });

  it('gives up after five tries', async () => {
    const migrator = scripted({ error: gone('3F000') });
    expect((await migrateMigrator(migrator)).error).toEqual(gone('3F000'));
    expect(migrator.runs).toBe(5);
  });

  it('does not try again once a migration ran, or for any other error', async () => {
    const ran: MigrationResultSet = {
      error: gone('42P01'),
      results: [{ migrationName: '001', direction: 'Up', status: 'Error' }],
    };
    const other: MigrationResultSet = { error: Object.assign(new Error('syntax'), { code: '42601' }) };
    for (const outcome of [ran, other]) {
      const migrator = scripted(outcome, done);
      expect(await migrateMigrator(migrator)).toBe(outcome);
      expect(migrator.runs).toBe(1);
    }
  });
});
