import { type ColumnDataType, type ColumnDefinitionBuilder, type Expression, type Kysely, sql } from 'kysely';
import type { DialectName } from '../connection';

/**
 * The one place where the two dialects' DDL differs: auto-numbered primary keys (and the dialect,
 * for the few statements, such as triggers, that exist only as raw SQL).
 */
export interface ColumnKit {
  dialect: DialectName;
  id: ColumnDataType | Expression<unknown>;
  idConstraints(c: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}

export function columnKit(dialect: DialectName): ColumnKit {
  if (dialect === 'sqlite') {
    return { dialect, id: 'integer', idConstraints: (c) => c.primaryKey().autoIncrement() };
  }
  return { dialect, id: sql`bigint`, idConstraints: (c) => c.primaryKey().generatedByDefaultAsIdentity() };
}

/**
 * Makes the database itself refuse `UPDATE` and `DELETE` on rows of `tables` (triggers), with the
 * message "<what>: <op> on <table> refused (<instead>)"; `fn` names the PostgreSQL trigger function.
 */
export async function refuseChanges(
  db: Kysely<unknown>,
  col: ColumnKit,
  rule: { fn: string; what: string; instead: string; tables: readonly string[] },
): Promise<void> {
  if (col.dialect === 'postgres') {
    await sql`CREATE FUNCTION ${sql.raw(rule.fn)}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '${sql.raw(`${rule.what}: % on % refused (${rule.instead})`)}', TG_OP, TG_TABLE_NAME;
      END $$`.execute(db);
  }
  for (const table of rule.tables) {
    for (const op of ['UPDATE', 'DELETE'] as const) {
      const name = sql.raw(`${table}_no_${op.toLowerCase()}`);
      const target = sql.raw(table);
      const event = sql.raw(op);
      if (col.dialect === 'postgres') {
        await sql`CREATE TRIGGER ${name} BEFORE ${event} ON ${target}
                  FOR EACH ROW EXECUTE FUNCTION ${sql.raw(rule.fn)}()`.execute(db);
      } else {
        const message = sql.raw(`'${rule.what}: ${op} on ${table} refused (${rule.instead})'`);
        await sql`CREATE TRIGGER ${name} BEFORE ${event} ON ${target}
                  BEGIN SELECT RAISE(ABORT, ${message}); END`.execute(db);
      }
    }
  }
}
