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

/** The driver itself, rather than one of its transactions. */
function isDriver(executor: SqlExecutor): executor is SqlExecutor & Pick<SqlDriver, 'transaction'> {
  return typeof (executor as { transaction?: unknown }).transaction === 'function';
}
