import {
  MIGRATIONS,
  migrate,
  PostgresDriver,
  SqliteDriver,
  type Migration,
  type SqlDriver,
  type StorageOptions,
} from '../src';
import { execute, fetchAll, queryBuilder } from '../src/storage/query-layer';
import { backends } from './helpers';

function driverFor(options: StorageOptions): SqlDriver {
  return options.databaseUrl ? new PostgresDriver(options.databaseUrl) : new SqliteDriver(options.db!);
}

/** The names of the tables a database holds, whichever engine. */
async function tables(driver: SqlDriver): Promise<string[]> {
  const rows = await driver.all<{ name: string }>(
    driver.dialect === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table'"
      : 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()',
  );
  return rows.map((r) => r.name).sort();
}

describe.each(backends())('migration steps written as code on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('a step built with the typed schema builder runs in order with SQL text and is recorded once', async () => {
    const driver = driverFor(await backend.fresh());
    try {
      const notes: Migration = {
        version: Math.max(...MIGRATIONS.map((m) => m.version)) + 1,
        name: 'notes, made by a step',
        statements: [
          (tx, db) =>
            execute(
              tx,
              db.schema
                .createTable('notes')
                .addColumn('id', 'text', (c) => c.primaryKey())
                .addColumn('project_id', 'text', (c) =>
                  c.notNull().references('projects.id').onDelete('cascade'),
                )
                .addColumn('created_at', 'bigint', (c) => c.notNull()),
            ),
          'CREATE INDEX notes_project ON notes (project_id)',
          // A step may also move data: the project the migration found gets a note.
          (tx) =>
            tx.run("INSERT INTO notes (id, project_id, created_at) SELECT 'n-' || id, id, 1 FROM projects"),
        ],
      };
      expect(await migrate(driver)).toEqual(MIGRATIONS.map((m) => m.version));
      await driver.run('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)', ['prj_1', 'one', 1]);

      expect(await migrate(driver, [...MIGRATIONS, notes])).toEqual([notes.version]);
      expect(await tables(driver)).toContain('notes');
      expect(await driver.all('SELECT id, project_id FROM notes')).toEqual([
        { id: 'n-prj_1', project_id: 'prj_1' },
      ]);
      // Opened again, nothing runs twice.
      expect(await migrate(driver, [...MIGRATIONS, notes])).toEqual([]);
      const recorded = await fetchAll(
        driver,
        queryBuilder(driver.dialect)
          .selectFrom('schema_migrations')
          .select(['version', 'name'])
          .where('version', '=', notes.version),
      );
      expect(recorded).toEqual([{ version: notes.version, name: 'notes, made by a step' }]);
    } finally {
      await driver.close();
    }
  }, 60_000);

  test('a step that fails undoes its whole migration, statements before it included', async () => {
    const driver = driverFor(await backend.fresh());
    try {
      await migrate(driver);
      const broken: Migration = {
        version: Math.max(...MIGRATIONS.map((m) => m.version)) + 1,
        name: 'half a migration',
        statements: [
          (tx, db) =>
            execute(
              tx,
              db.schema.createTable('notes').addColumn('id', 'text', (c) => c.primaryKey()),
            ),
          async () => {
            throw new Error('step 2 failed');
          },
        ],
      };
      await expect(migrate(driver, [...MIGRATIONS, broken])).rejects.toThrow('step 2 failed');
      expect(await tables(driver)).not.toContain('notes');
      const versions = await driver.all<{ version: number }>('SELECT version FROM schema_migrations');
      expect(versions.map((v) => Number(v.version)).sort()).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await driver.close();
    }
  }, 60_000);
});
