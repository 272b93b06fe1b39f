import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

/**
 * The placeholder of a query's `i`-th argument, while the query is built; typed `never` so that it
 * fits wherever a value of any type goes.
 */
export type Arg = (i: number) => never;

/** A compiled query's parameter: the call's argument at `arg`, or a value fixed in the query. */
type Slot = { arg: number } | { value: unknown };

const PLACEHOLDER = '\u0000kessai-arg-';

/**
 * Queries built and compiled once, then run again with each call's arguments: Kysely builds and
 * compiles every query anew on each call, which cost the sandbox more CPU per payment than
 * running its statements (bench/README.md, Changes). One instance per database dialect.
 */
export class CompiledQueries {
  private readonly queries = new Map<string, { query: CompiledQuery; slots: Slot[] }>();

  /**
   * Runs on `db` the query `build` makes, compiled the first time `key` is seen: `key` names the
   * query and everything that shapes its SQL (the columns set, the length of a list). `build`
   * puts `arg(i)` where `args[i]` goes.
   */
  run<O, DB>(
    db: Kysely<DB>,
    key: string,
    build: (arg: Arg) => Compilable<O>,
    args: readonly unknown[],
  ): Promise<QueryResult<O>> {
    let compiled = this.queries.get(key);
    if (!compiled) {
      const query = build((i) => `${PLACEHOLDER}${i}` as never).compile();
      const slots = query.parameters.map(
        (value): Slot =>
          typeof value === 'string' && value.startsWith(PLACEHOLDER)
            ? { arg: Number(value.slice(PLACEHOLDER.length)) }
            : { value },
      );
      compiled = { query, slots };
      this.queries.set(key, compiled);
    }
    const { query, slots } = compiled;
    return db.executeQuery<O>({
      ...query,
      parameters: slots.map((slot) => ('arg' in slot ? args[slot.arg] : slot.value)),
    });
  }
}

/**
 * A row's columns for a compiled insert or update: those with a value (Kysely leaves out
 * `undefined` ones), their values in order, and the row with placeholders from `arg(first)` on.
 */
export function columnsOf<R extends object>(row: R) {
  const entries = Object.entries(row).filter(([, value]) => value !== undefined);
  return {
    names: entries.map(([name]) => name).join(','),
    values: entries.map(([, value]) => value as unknown),
    placeholders: (arg: Arg, first = 0) =>
      Object.fromEntries(entries.map(([name], i) => [name, arg(first + i)])) as R,
  };
}
