import { type ColumnDataType, type ColumnDefinitionBuilder, type Expression, sql } from 'kysely';
import type { DialectName } from '../connection';

/** The one place where the two dialects' DDL differs: auto-numbered primary keys. */
export interface ColumnKit {
  id: ColumnDataType | Expression<unknown>;
  idConstraints(c: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}

export function columnKit(dialect: DialectName): ColumnKit {
  if (dialect === 'sqlite') {
    return { id: 'integer', idConstraints: (c) => c.primaryKey().autoIncrement() };
  }
  return { id: sql`bigint`, idConstraints: (c) => c.primaryKey().generatedByDefaultAsIdentity() };
}
