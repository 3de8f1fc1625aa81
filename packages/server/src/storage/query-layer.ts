import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Compilable,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  type Driver,
} from 'kysely';
import type { Dialect, SqlDriver, SqlExecutor, StatementOptions } from './driver';
import type { Database } from './schema';

/*
 * Kysely builds and compiles typed queries here; it never holds a connection. The compiled
 * SQL and its parameters run through our own drivers (SqliteDriver, PostgresDriver), which
 * keep what the server depends on: the writer queue and reader connection of SQLite, WAL
 * retries, PostgreSQL's timeouts, reconnection and LISTEN.
 */

/**
 * A query built with {@link queryBuilder}'s `db` was run by Kysely itself (`.execute()`),
 * where it has no connection. Run it through a driver or transaction instead.
 *
 * @example
 * ```ts
 * await db.selectFrom('projects').selectAll().execute(); // rejects with QueryBuilderCannotRunError
 * await fetchAll(driver, db.selectFrom('projects').selectAll()); // runs
 * ```
 */
export class QueryBuilderCannotRunError extends Error {
  constructor() {
    super(
      'This query builder only compiles SQL; it has no database connection. ' +
        'Pass the query to fetchAll(), fetchFirst() or execute() from storage/query-layer ' +
        'with the driver, or with the transaction from driver.transaction().',
    );
    this.name = 'QueryBuilderCannotRunError';
  }
}

/** Kysely's driver for a builder that never runs: every attempt to connect says why. */
class BuildOnlyDriver implements Driver {
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    throw new QueryBuilderCannotRunError();
  }
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

/** Each engine's Kysely adapter and compiler, with no connection behind them. */
const KYSELY_DIALECTS: Record<Dialect, KyselyDialect> = {
  sqlite: {
    createDriver: () => new BuildOnlyDriver(),
    createAdapter: () => new SqliteAdapter(),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db) => new SqliteIntrospector(db),
  },
  postgres: {
    createDriver: () => new BuildOnlyDriver(),
    createAdapter: () => new PostgresAdapter(),
    createQueryCompiler: () => new PostgresQueryCompiler(),
    createIntrospector: (db) => new PostgresIntrospector(db),
  },
};

const builders = new Map<Dialect, Kysely<Database>>();

/**
 * The typed query builder for one engine: table and column names are checked against
 * {@link Database} by the compiler. It only builds: run what it builds with
 * {@link fetchAll}, {@link fetchFirst} or {@link execute}. One shared instance per engine
 * (builders are immutable).
 *
 * @example
 * ```ts
 * const db = queryBuilder(driver.dialect);
 * const key = await fetchFirst(driver, db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash));
 * ```
 */
export function queryBuilder(dialect: Dialect): Kysely<Database> {
  let db = builders.get(dialect);
  if (db === undefined) {
    db = new Kysely<Database>({ dialect: KYSELY_DIALECTS[dialect] });
    builders.set(dialect, db);
  }
  return db;
}

/**
 * What the query layer runs: a query from {@link queryBuilder}, or one already compiled,
 * such as hand-shaped SQL written with Kysely's `sql` tag (`sql\`…\`.compile(db)`).
 *
 * @example
 * ```ts
 * const q: Query<{ n: number }> = sql<{ n: number }>`SELECT COUNT(*) AS n FROM events`.compile(db);
 * ```
 */
export type Query<O> = Compilable<O> | CompiledQuery<O>;

/** The compiled SQL comes in the engine's own placeholder style. */
const COMPILED: StatementOptions = Object.freeze({ nativePlaceholders: true });

/** Statements that change rows; with RETURNING they must reach the writer (see fetchAll). */
const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

function compile<O>(query: Query<O>): CompiledQuery<O> {
  return 'compile' in query ? query.compile() : query;
}

/**
 * Runs a query and resolves to its rows, typed by the query. A write that returns rows
 * (`INSERT … RETURNING`) given the driver itself, outside a transaction, runs in a
 * transaction of its own: the SQLite driver answers reads from its read connection, which
 * must not write.
 *
 * @example
 * ```ts
 * const rows = await fetchAll(driver, db.selectFrom('projects').select(['id', 'name']).orderBy('name'));
 * const ids = await driver.transaction((tx) =>
 *   fetchAll(tx, db.insertInto('projects').values(row).returning('id')),
 * );
 * ```
 */
export async function fetchAll<O>(executor: SqlExecutor, query: Query<O>): Promise<O[]> {
  const { sql, parameters, query: node } = compile(query);
  if (WRITES.has(node.kind) && isDriver(executor))
    return executor.transaction((tx) => tx.all<O>(sql, parameters, COMPILED));
  return executor.all<O>(sql, parameters, COMPILED);
}

/**
 * Runs a query and resolves to its first row, or undefined when it has none.
 *
 * @example
 * ```ts
 * const key = await fetchFirst(driver, db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash));
 * if (!key || key.revoked_at !== null) return undefined;
 * ```
 */
export async function fetchFirst<O>(executor: SqlExecutor, query: Query<O>): Promise<O | undefined> {
  return (await fetchAll(executor, query))[0];
}

/**
 * Runs a statement that returns no rows (an insert, update or delete without RETURNING, or
 * DDL) and resolves to how many rows it changed.
 *
 * @example
 * ```ts
 * const revoked = await execute(driver, db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', id));
 * ```
 */
export async function execute(executor: SqlExecutor, query: Query<unknown>): Promise<number> {
  const { sql, parameters } = compile(query);
  return executor.run(sql, parameters, COMPILED);
}

/**
 * A query given to {@link reusableQuery} does not carry one of its arguments as a
 * parameter, so its compiled SQL cannot be reused with other values.
 *
 * @example
 * ```ts
 * reusableQuery((n: number) => db.selectFrom('events').selectAll().$if(n > 0, (q) => q.where('seq', '>', 0)));
 * // throws: argument 1 is not a parameter of the query
 * ```
 */
export class NotReusableQueryError extends Error {
  constructor(
    /** Which argument (1-based) never reached the query's parameters. */
    readonly argument: number,
  ) {
    super(
      `Argument ${argument} of this reusable query is not a parameter of the SQL it builds: it was used ` +
        'to shape the query, or turned into something else. Pass it only as a value (where, values, set, ' +
        'limit), or build the query per call with fetchAll() instead.',
    );
    this.name = 'NotReusableQueryError';
  }
}

/** Stands in for one argument while a reusable query is compiled, so its parameter slots can be found. */
class ArgumentSlot {
  constructor(readonly index: number) {}
}

/**
 * Compiles a query once and returns a function that gives the same SQL with new values:
 * typed like a query built per call, at the cost of an array copy instead of a compile.
 * For fixed-shape statements on hot paths (a key lookup per request). `build` must use its
 * arguments only as values in the query, never to decide its shape; an argument that never
 * becomes a parameter is refused with {@link NotReusableQueryError}.
 *
 * @example
 * ```ts
 * const keyByHash = reusableQuery((hash: string) =>
 *   db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash),
 * );
 * const key = await fetchFirst(driver, keyByHash(hashKey(presented)));
 * ```
 */
export function reusableQuery<A extends unknown[], O>(
  build: (...args: A) => Compilable<O>,
): (...args: A) => CompiledQuery<O> {
  const slots = Array.from({ length: build.length }, (_, i) => new ArgumentSlot(i));
  const template = build(...(slots as unknown as A)).compile();
  const positions = template.parameters.map((p) => (p instanceof ArgumentSlot ? p.index : -1));
  for (const slot of slots)
    if (!positions.includes(slot.index)) throw new NotReusableQueryError(slot.index + 1);
  return (...args) => ({
    ...template,
    parameters: positions.map((at, i) => (at < 0 ? template.parameters[i] : args[at])),
  });
}

/** The driver itself, rather than one of its transactions. */
function isDriver(executor: SqlExecutor): executor is SqlExecutor & Pick<SqlDriver, 'transaction'> {
  return typeof (executor as { transaction?: unknown }).transaction === 'function';
}
