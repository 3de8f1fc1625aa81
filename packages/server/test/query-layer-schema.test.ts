import type { Selectable } from 'kysely';
import { migrate, PostgresDriver, SqliteDriver, type SqlDriver } from '../src';
import type { Database } from '../src/storage/schema';
import { backends } from './helpers';

/**
 * Each column of each table in the typed schema, and whether it may hold NULL, spelled out
 * so that the compiler checks this list against schema.ts (a column missing here, one too
 * many, or a wrong nullability fails to compile) and the test checks it against the tables
 * the migrations make.
 */
type Nullability<Row> = { [C in keyof Row]-?: null extends Row[C] ? 'null' : 'not null' };
type SchemaColumns = { [T in keyof Database]: Nullability<Selectable<Database[T]>> };

const SCHEMA: SchemaColumns = {
  projects: { id: 'not null', name: 'not null', created_at: 'not null' },
  api_keys: {
    id: 'not null',
    project_id: 'not null',
    kind: 'not null',
    prefix: 'not null',
    key_hash: 'not null',
    created_at: 'not null',
    revoked_at: 'null',
  },
  users: { id: 'not null', email: 'not null', password_hash: 'not null', created_at: 'not null' },
  login_sessions: {
    token_hash: 'not null',
    user_id: 'not null',
    created_at: 'not null',
    expires_at: 'not null',
  },
  login_attempts: { attempt_id: 'not null', key: 'not null', at: 'not null' },
  events: {
    seq: 'not null',
    project_id: 'not null',
    event_id: 'not null',
    ts: 'not null',
    agent_name: 'not null',
    agent_id: 'null',
    role: 'null',
    session_id: 'null',
    action: 'not null',
    scope: 'null',
    allowed: 'not null',
    function_name: 'null',
    metadata: 'null',
    sdk: 'null',
    received_at: 'not null',
    reason: 'null',
    approval_id: 'null',
    decided_by: 'null',
  },
  hourly_agent_counts: {
    project_id: 'not null',
    hour: 'not null',
    agent_name: 'not null',
    allowed_n: 'not null',
    denied_n: 'not null',
    audit_n: 'not null',
  },
  hourly_denied_scopes: { project_id: 'not null', hour: 'not null', scope: 'not null', n: 'not null' },
  hourly_audit_scopes: { project_id: 'not null', hour: 'not null', scope: 'not null', n: 'not null' },
  hourly_denied_reasons: { project_id: 'not null', hour: 'not null', reason: 'not null', n: 'not null' },
  agent_scopes: {
    project_id: 'not null',
    agent_name: 'not null',
    scope: 'not null',
    first_seen: 'not null',
    last_seen: 'not null',
    n: 'not null',
    denied_n: 'not null',
    audit_n: 'not null',
  },
  schema_migrations: { version: 'not null', name: 'not null', applied_at: 'not null' },
  approvals: {
    id: 'not null',
    project_id: 'not null',
    request_key: 'null',
    source: 'not null',
    status: 'not null',
    agent_name: 'not null',
    agent_id: 'null',
    session_id: 'null',
    scope: 'not null',
    function_name: 'not null',
    description: 'null',
    args_digest: 'null',
    channel: 'null',
    created_at: 'not null',
    expires_at: 'not null',
    decided_at: 'null',
    decided_by: 'null',
    reason: 'null',
    remember_minutes: 'null',
    same_args_only: 'null',
    grant_id: 'null',
    consumed_at: 'null',
  },
  approval_grants: {
    id: 'not null',
    project_id: 'not null',
    approval_id: 'not null',
    agent_name: 'not null',
    agent_id: 'null',
    scope: 'not null',
    args_digest: 'null',
    created_at: 'not null',
    created_by: 'not null',
    expires_at: 'not null',
    revoked_at: 'null',
    revoked_by: 'null',
  },
  integrations: {
    project_id: 'not null',
    kind: 'not null',
    config: 'not null',
    updated_at: 'not null',
    updated_by: 'not null',
  },
  slack_messages: { approval_id: 'not null', project_id: 'not null', channel: 'not null', ts: 'not null' },
};

/** Every table in the database and its columns, with their nullability, as the engine reports them. */
async function tablesIn(driver: SqlDriver): Promise<Record<string, Record<string, string>>> {
  const tables: Record<string, Record<string, string>> = {};
  const add = (table: string, column: string, nullable: boolean) =>
    ((tables[table] ??= {})[column] = nullable ? 'null' : 'not null');
  if (driver.dialect === 'postgres') {
    const rows = await driver.all<{ table_name: string; column_name: string; is_nullable: string }>(
      // The day partitions of events (partitions.ts) are storage of events, not tables.
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns
       WHERE table_schema = current_schema()
         AND NOT (SELECT relispartition FROM pg_class WHERE oid = quote_ident(table_name)::regclass)`,
    );
    for (const r of rows) add(r.table_name, r.column_name, r.is_nullable === 'YES');
  } else {
    const names = await driver.all<{ name: string }>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    );
    for (const { name } of names) {
      const columns = await driver.all<{ name: string; notnull: number; pk: number }>(
        'SELECT name, "notnull", pk FROM pragma_table_info(?)',
        [name],
      );
      // SQLite lets a TEXT primary key hold NULL (a historical quirk); no row of ours does.
      for (const c of columns) add(name, c.name, c.notnull === 0 && c.pk === 0);
    }
  }
  return tables;
}

describe.each(backends())('the typed schema on $name', (backend) => {
  let driver: SqlDriver;

  beforeEach(async () => {
    const options = await backend.fresh();
    driver = options.databaseUrl ? new PostgresDriver(options.databaseUrl) : new SqliteDriver(options.db!);
  });
  afterEach(() => driver.close());
  afterAll(() => backend.cleanup());

  test("names every table and column today's migrations make, and which columns may be NULL", async () => {
    await migrate(driver);
    expect(await tablesIn(driver)).toEqual(SCHEMA);
  });
});
