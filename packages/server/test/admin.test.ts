import Database from 'better-sqlite3';
import { Client } from 'pg';
import {
  AmbiguousKeyPrefixError,
  InvalidInputError,
  KeyNotFoundError,
  ProjectExistsError,
  ProjectNotFoundError,
  UserExistsError,
  createServer,
  hashKey,
  openStorage,
  verifyPassword,
  type AgentSudoServer,
} from '../src';
import { backends, freshDatabase, tempDir } from './helpers';

describe.each(backends())('admin functions on $name', (backend) => {
  let server: AgentSudoServer;

  beforeEach(async () => {
    server = await createServer({ ...(await backend.fresh()), port: 0 });
  });
  afterEach(() => server.close());
  afterAll(() => backend.cleanup());

  test('a project key is as_ plus 192 random bits, stored only as a hash', async () => {
    const { project, apiKey } = await server.admin.createProject('checkout');
    expect(apiKey).toMatch(/^as_[A-Za-z0-9_-]{32}$/);
    const [key] = await server.storage.accounts.listKeys(project.id);
    expect(key).toMatchObject({ kind: 'ingest', prefix: apiKey.slice(0, 11), keyHash: hashKey(apiKey) });
    expect(JSON.stringify(await server.admin.listProjects())).not.toContain(apiKey);
  });

  test('names are checked: a taken name or a bad one is refused with the value named', async () => {
    await server.admin.createProject('checkout');
    await expect(server.admin.createProject('checkout')).rejects.toThrow(ProjectExistsError);
    for (const bad of ['', ' padded', 'a/b', 'prj_123', 'x'.repeat(101)]) {
      await expect(server.admin.createProject(bad)).rejects.toMatchObject({
        constructor: InvalidInputError,
        value: bad,
      });
    }
  });

  test('rotate and revoke name projects and keys clearly when they do not exist or are ambiguous', async () => {
    await expect(server.admin.rotateKey('missing')).rejects.toThrow(ProjectNotFoundError);
    await expect(server.admin.revokeKey('as_nothing')).rejects.toThrow(KeyNotFoundError);
    const { project } = await server.admin.createProject('one');
    for (const [id, prefix] of [
      ['k-a', 'as_AAAAaaaa'],
      ['k-b', 'as_AAAAbbbb'],
    ]) {
      await server.storage.accounts.insertKey({
        id,
        projectId: project.id,
        kind: 'ingest',
        prefix,
        keyHash: `hash-${id}`,
        createdAt: 1,
      });
    }
    await expect(server.admin.revokeKey('as_')).rejects.toThrow(InvalidInputError);
    await expect(server.admin.revokeKey('as_AAAA')).rejects.toMatchObject({
      constructor: AmbiguousKeyPrefixError,
      matches: ['as_AAAAaaaa', 'as_AAAAbbbb'],
    });
    await expect(server.admin.revokeKey('as_AAAAb')).resolves.toMatchObject({
      id: 'k-b',
      revokedAt: expect.any(Number),
    });
    // Revoked keys no longer make a prefix ambiguous.
    await expect(server.admin.revokeKey('as_AAAA')).resolves.toMatchObject({ id: 'k-a' });
  });

  test('users: emails are normalised and unique, passwords hashed with scrypt', async () => {
    await server.admin.createUser(' Ops@Example.com ', 'a long password');
    const user = await server.storage.accounts.findUserByEmail('ops@example.com');
    expect(user?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('a long password', user!.passwordHash)).toBe(true);
    expect(await verifyPassword('a wrong password', user!.passwordHash)).toBe(false);
    await expect(server.admin.createUser('ops@example.com', 'another long one')).rejects.toThrow(
      UserExistsError,
    );
    await expect(server.admin.createUser('not-an-email', 'a long password')).rejects.toMatchObject({
      field: 'email',
    });
  });
});

describe('the same migrations on both databases', () => {
  test('build the same tables with the same columns', async () => {
    const dir = tempDir();
    const db = await freshDatabase();
    try {
      const file = `${dir.dir}/schema.db`;
      await (await openStorage({ db: file })).close();
      await (await openStorage({ databaseUrl: db.url })).close();

      const sqlite = new Database(file, { readonly: true });
      const sqliteTables = (
        sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
          name: string;
        }>
      ).map((r) => r.name);
      const sqliteSchema = Object.fromEntries(
        sqliteTables.map((t) => [
          t,
          (sqlite.prepare(`PRAGMA table_info(${t})`).all() as Array<{ name: string }>)
            .map((c) => c.name)
            .sort(),
        ]),
      );
      sqlite.close();

      const pg = new Client({ connectionString: db.url });
      await pg.connect();
      // A day partition of events holds events; it is not a table of its own (PostgreSQL only).
      const cols = await pg.query(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = 'public'
            AND NOT (SELECT relispartition FROM pg_class WHERE oid = quote_ident(table_name)::regclass)
          ORDER BY table_name, column_name`,
      );
      await pg.end();
      const pgSchema: Record<string, string[]> = {};
      for (const r of cols.rows) (pgSchema[r.table_name] ??= []).push(r.column_name);

      expect(Object.keys(pgSchema).sort()).toEqual(sqliteTables);
      expect(pgSchema).toEqual(sqliteSchema);
      expect(sqliteTables).toEqual(
        expect.arrayContaining(['events', 'projects', 'api_keys', 'users', 'schema_migrations']),
      );
    } finally {
      await db.drop();
      dir.remove();
    }
  });
});
