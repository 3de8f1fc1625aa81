import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openStorage, type Storage } from '../src';
import { CLI } from './cli-process';
import { backends } from './helpers';

/** `agentsudo-server user delete <email>` in its own process, as the storage's answer. */
function deleteWithCli(
  u: { email: string },
  where: string[],
): Promise<'deleted' | 'only-user' | number | null> {
  const child = spawn(process.execPath, [CLI, 'user', 'delete', u.email, ...where], {
    env: { ...process.env, DATABASE_URL: '' },
    stdio: 'ignore',
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? 'deleted' : code === 1 ? 'only-user' : code);
    }),
  );
}

const user = (email: string) => ({
  id: randomUUID(),
  email,
  passwordHash: 'scrypt$x',
  createdAt: Date.now(),
});

describe.each(backends())('dashboard users in storage on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('two deletions at once, from another process or connection, cannot remove the last two users', async () => {
    const options = await backend.fresh();
    const where = options.databaseUrl ? ['--database-url', options.databaseUrl] : ['--db', options.db!];
    const storage = await openStorage(options);
    // PostgreSQL: through two connections of this process, so the two transactions overlap.
    // SQLite: from two processes, as two connections of one process would block each other.
    const second = backend.name === 'postgres' ? await openStorage(options) : undefined;
    try {
      // Repeated: each round starts with exactly two users and deletes both at once.
      for (let round = 0; round < 4; round++) {
        const pair = [user(`one-${round}@example.com`), user(`two-${round}@example.com`)];
        for (const u of pair) await storage.accounts.createUser(u);
        // The survivor of the round before goes first, alone.
        for (const u of await storage.accounts.listUsers())
          if (!pair.some((p) => p.id === u.id))
            expect(await storage.accounts.deleteUser(u.id)).toBe('deleted');
        const results = await Promise.all(
          second
            ? [storage.accounts.deleteUser(pair[0].id), second.accounts.deleteUser(pair[1].id)]
            : pair.map((u) => deleteWithCli(u, where)),
        );
        expect(results.sort()).toEqual(['deleted', 'only-user']);
        expect(await storage.accounts.listUsers()).toHaveLength(1);
      }
    } finally {
      await storage.close();
      await second?.close();
    }
  });

  test('deleting a user or setting its password ends its login sessions, and only its own', async () => {
    const storage: Storage = await openStorage(await backend.fresh());
    try {
      const [ops, dev] = [user('ops@example.com'), user('dev@example.com')];
      await storage.accounts.createUser(ops);
      await storage.accounts.createUser(dev);
      const far = Date.now() + 3600_000;
      await storage.accounts.createLoginSession('ops-session', ops.id, far, ops.passwordHash);
      await storage.accounts.createLoginSession('dev-session', dev.id, far, dev.passwordHash);
      expect(await storage.accounts.setUserPassword(ops.id, 'scrypt$new')).toBe(true);
      expect(await storage.accounts.findLoginSession('ops-session', Date.now())).toBeUndefined();
      expect((await storage.accounts.findUserById(ops.id))?.passwordHash).toBe('scrypt$new');
      expect(await storage.accounts.findLoginSession('dev-session', Date.now())).toMatchObject({
        id: dev.id,
      });
      expect(await storage.accounts.setUserPassword(randomUUID(), 'scrypt$x')).toBe(false);

      expect(await storage.accounts.deleteUser(dev.id)).toBe('deleted');
      expect(await storage.accounts.liveLoginSessions(['dev-session'], Date.now())).toEqual(new Set());
      expect(await storage.accounts.deleteUser(dev.id)).toBe('not-found');
      expect(await storage.accounts.deleteUser(ops.id)).toBe('only-user');
    } finally {
      await storage.close();
    }
  });

  test('a login that checked the password just reset gets no session, even when the reset commits while the session is made', async () => {
    const options = await backend.fresh();
    const storage = await openStorage(options);
    try {
      const ops = user('ops@example.com');
      await storage.accounts.createUser(ops);
      const far = Date.now() + 3600_000;
      // The reset committed before the login made its session.
      expect(await storage.accounts.setUserPassword(ops.id, 'scrypt$second')).toBe(true);
      expect(await storage.accounts.createLoginSession('late', ops.id, far, ops.passwordHash)).toBe(false);
      expect(await storage.accounts.findLoginSession('late', Date.now())).toBeUndefined();
      if (!options.databaseUrl) return; // SQLite runs write transactions one at a time.

      // PostgreSQL: the reset holds the user's row, uncommitted, while the login makes its session.
      const reset = new pg.Client({ connectionString: options.databaseUrl });
      await reset.connect();
      try {
        await reset.query('BEGIN');
        await reset.query('UPDATE users SET password_hash = $1 WHERE id = $2', ['scrypt$third', ops.id]);
        const login = storage.accounts.createLoginSession('racing', ops.id, far, 'scrypt$second');
        const blocked = async () =>
          Number(
            (
              await reset.query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
              )
            ).rows[0].n,
          ) > 0;
        for (let i = 0; i < 200 && !(await blocked()); i++) await new Promise((r) => setTimeout(r, 50));
        await reset.query('DELETE FROM login_sessions WHERE user_id = $1', [ops.id]);
        await reset.query('COMMIT');
        expect(await login).toBe(false);
        expect(await storage.accounts.findLoginSession('racing', Date.now())).toBeUndefined();
      } finally {
        await reset.end();
      }
    } finally {
      await storage.close();
    }
  });
});
