import { UsageError, type OptionSpec } from '@agentsudo/command-line';
import { DEFAULT_DB_FILE, type StorageOptions } from '../storage/open';

/**
 * Where every `agentsudo-server` command finds the database: the same options for `start`
 * and for the administration commands, so a command works on the database the server runs.
 *
 * @example
 * ```ts
 * const spec = { name: 'project list', summary: 'list projects', options: { ...STORAGE_OPTIONS } };
 * ```
 */
export const STORAGE_OPTIONS = {
  db: {
    type: 'string',
    value: 'FILE',
    description: `SQLite database file (default ${DEFAULT_DB_FILE})`,
  },
  'database-url': {
    type: 'string',
    value: 'URL',
    description: 'PostgreSQL instead of SQLite: postgres://user:pass@host/db\n(or set DATABASE_URL)',
  },
} as const satisfies Record<string, OptionSpec>;

/**
 * The storage the options name: PostgreSQL when `--database-url` or `DATABASE_URL` is set,
 * else the SQLite file of `--db` (default `./agentsudo.db`).
 *
 * @example
 * ```ts
 * const storage = await openStorage(storageFrom(values));
 * ```
 * @throws UsageError when both --db and a database URL are given.
 */
export function storageFrom(values: { db?: string; 'database-url'?: string }): StorageOptions {
  const databaseUrl = values['database-url'] ?? (process.env.DATABASE_URL || undefined);
  if (databaseUrl && values.db !== undefined)
    throw new UsageError('give --db or --database-url (DATABASE_URL), not both');
  return databaseUrl ? { databaseUrl } : { db: values.db ?? DEFAULT_DB_FILE };
}

/**
 * A whole-number option checked against its range, or undefined when not given.
 *
 * @example
 * ```ts
 * intOption(values, 'port', 0, 65535); // 4319 for --port 4319
 * ```
 * @throws UsageError naming the option and the value.
 */
export function intOption(
  values: Record<string, string | true | undefined>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${String(raw)}'`);
  return n;
}
