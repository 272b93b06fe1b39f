import type { Compilable, CompiledQuery, Kysely, QueryResult, Transaction } from 'kysely';

/**
 * The placeholder of a query's `i`-th argument, while the query is built; typed `never` so that it
 * fits wherever a value of any type goes.
 */
export type Arg = (i: number) => never;

/** A compiled query's parameter: the call's argument at `arg`, or a value fixed in the query. */
type Slot = { arg: number } | { value: unknown };

interface Compiled {
  query: CompiledQuery;
  slots: Slot[];
}

const PLACEHOLDER = '\u0000kessai-arg-';
const placeholder: Arg = (i) => `${PLACEHOLDER}${i}` as never;

function compile(query: Compilable<unknown>): Compiled {
  const compiled = query.compile();
  const slots = compiled.parameters.map(
    (value): Slot =>
      typeof value === 'string' && value.startsWith(PLACEHOLDER)
        ? { arg: Number(value.slice(PLACEHOLDER.length)) }
        : { value },
  );
  return { query: compiled, slots };
}

function execute<O, DB>(db: Kysely<DB>, { query, slots }: Compiled, args: readonly unknown[]) {
  return db.executeQuery<O>({
    ...query,
    parameters: slots.map((slot) => ('arg' in slot ? args[slot.arg] : slot.value)),
  });
}

/**
 * What a query's SQL text depends on besides the query itself: the dialect's compiler (SQLite's
 * `?` or PostgreSQL's `$1`). A transaction shares its database's adapter.
 */
// biome-ignore lint/suspicious/noExplicitAny: any database schema; only the adapter is read.
const dialectOf = (db: Kysely<any>): object => db.getExecutor().adapter.constructor;

/**
 * Queries built and compiled once per dialect, then run again with each call's arguments: Kysely
 * builds and compiles every query anew on each call, which cost the gateway and the sandbox more
 * CPU per payment than running their statements (bench/README.md, Changes). For queries whose
 * shape varies (the columns of an insert); a query of one shape is a `compiledQuery`.
 */
export class CompiledQueries {
  private readonly queries = new WeakMap<object, Map<string, Compiled>>();

  /**
   * Runs on `db` the query `build` makes, compiled the first time `key` is seen: `key` names the
   * query and everything that shapes its SQL (the columns set, the length of a list). `build`
   * puts `arg(i)` where `args[i]` goes.
   */
  run<O, DB>(
    // The union lets TypeScript infer DB from a repository's `Kysely<DB> | Transaction<DB>`.
    db: Kysely<DB> | Transaction<DB>,
    key: string,
    build: (arg: Arg) => Compilable<O>,
    args: readonly unknown[],
  ): Promise<QueryResult<O>> {
    const dialect = dialectOf(db);
    let byKey = this.queries.get(dialect);
    if (!byKey) {
      byKey = new Map();
      this.queries.set(dialect, byKey);
    }
    let compiled = byKey.get(key);
    if (!compiled) {
      compiled = compile(build(placeholder));
      byKey.set(key, compiled);
    }
    return execute<O, DB>(db, compiled, args);
  }
}

/**
 * A query of one shape, built by `build` and compiled the first time it runs on each dialect;
 * `build` puts `arg(i)` where the call's `i`-th argument goes. Defined once at module level:
 *
 *   const paymentByTrackingId = compiledQuery((db: Db, arg) =>
 *     db.selectFrom('payments').selectAll().where('tracking_id', '=', arg(0)));
 *   const { rows } = await paymentByTrackingId(db, trackingId);
 */
export function compiledQuery<DB, O, A extends unknown[]>(
  build: (db: Kysely<DB>, arg: Arg) => Compilable<O>,
): (db: Kysely<DB>, ...args: A) => Promise<QueryResult<O>> {
  const byDialect = new WeakMap<object, Compiled>();
  return (db, ...args) => {
    const dialect = dialectOf(db);
    let compiled = byDialect.get(dialect);
    if (!compiled) {
      compiled = compile(build(db, placeholder));
      byDialect.set(dialect, compiled);
    }
    return execute<O, DB>(db, compiled, args);
  };
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
