import { type ColumnDataType, type ColumnDefinitionBuilder, type Expression, sql } from 'kysely';
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
