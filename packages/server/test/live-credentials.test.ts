import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createServer, hashKey, SESSION_COOKIE } from '../src';
import { runCli, startCli } from './cli-process';
import { backends, freshDatabase, openLive, startServer, tempDir, wire, type LiveClient } from './helpers';

/**
 * An open live feed lasts only as long as the credential that opened it: a revoked read
 * token, a logout or an expired login ends it (after an `end` message saying why), here,
 * through another instance, or through the CLI.
 */
const PASSWORD = 'correct horse battery staple';

/** Waits (bounded) for the server to end the stream; fails naming what was expected. */
async function endedBy(live: LiveClient, what: string, timeoutMs = 20_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the live feed was still open ${timeoutMs} ms after ${what}`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([live.ended, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The session cookie and CSRF token of a real login. */
async function logIn(url: string, email: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const { csrf_token } = (await res.json()) as { csrf_token: string };
  return { cookie: res.headers.get('set-cookie')!.split(';')[0], csrf: csrf_token };
}

describe.each(backends())('live feed credentials on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('revoking the read token ends its feed; a feed of another token stays open and keeps receiving', async () => {
    const t = await startServer(await backend.fresh());
    const { token: other } = await t.server.admin.createReadToken(t.projectId);
    const feed = `${t.url}/api/projects/${t.projectId}/live`;
    const revoked = await openLive(feed, { authorization: `Bearer ${t.readToken}` });
    const kept = await openLive(feed, { authorization: `Bearer ${other}` });
    try {
      await t.ingest([wire({ agent_name: 'Before' })]);
      await revoked.waitFor(1);
      await kept.waitFor(1);

      await t.server.admin.revokeKey(t.readToken);
      await endedBy(revoked, 'its token was revoked');
      expect(revoked.named).toEqual([
        { event: 'end', data: expect.objectContaining({ reason: 'token_revoked' }) },
      ]);

      await t.ingest([wire({ agent_name: 'After' })]);
      await kept.waitFor(2);
      expect(kept.events.map((e) => e.agent_name)).toEqual(['Before', 'After']);
      await expect(openLive(feed, { authorization: `Bearer ${t.readToken}` })).rejects.toThrow(/401/);
    } finally {
      revoked.close();
      kept.close();
      await t.server.close();
    }
  });

  test('key changes that do not touch a feed’s token leave the feed open', async () => {
    const t = await startServer(await backend.fresh());
    const { token: witnessToken } = await t.server.admin.createReadToken(t.projectId);
    const feed = `${t.url}/api/projects/${t.projectId}/live`;
    const live = await openLive(feed, { authorization: `Bearer ${t.readToken}` });
    const witness = await openLive(feed, { authorization: `Bearer ${witnessToken}` });
    try {
      const { apiKey } = await t.server.admin.rotateKey(t.projectId);
      await t.server.admin.revokeKey(witnessToken);
      // Once the witness's feed has ended, the feeds were checked after both changes.
      await endedBy(witness, 'its token was revoked');
      const res = await fetch(`${t.url}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify([wire({ agent_name: 'AfterRotation' })]),
      });
      expect(res.status).toBe(200);
      await live.waitFor(1);
      expect(live.named).toEqual([]);
    } finally {
      live.close();
      witness.close();
      await t.server.close();
    }
  });

  test('logging out ends the feeds of that session, not those of the same user’s other session', async () => {
    const t = await startServer(await backend.fresh());
    await t.server.admin.createUser('ops@example.com', PASSWORD);
    const { cookie, csrf } = await logIn(t.url, 'ops@example.com');
    const otherSession = (await logIn(t.url, 'ops@example.com')).cookie;
    const feed = `${t.url}/api/projects/${t.projectId}/live`;
    const ended = await openLive(feed, { cookie });
    const kept = await openLive(feed, { cookie: otherSession });
    try {
      const logout = await fetch(`${t.url}/api/auth/logout`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrf },
      });
      expect(logout.status).toBe(200);
      await endedBy(ended, 'its session logged out');
      expect(ended.named).toEqual([
        { event: 'end', data: expect.objectContaining({ reason: 'session_ended' }) },
      ]);
      await t.ingest([wire({ agent_name: 'StillFollowed' })]);
      await kept.waitFor(1);
    } finally {
      ended.close();
      kept.close();
      await t.server.close();
    }
  });

  test('a login that expires ends its feed', async () => {
    const t = await startServer(await backend.fresh());
    const user = await t.server.admin.createUser('ops@example.com', PASSWORD);
    // A session as login creates it, but ending a few seconds from now.
    const token = randomBytes(32).toString('base64url');
    await t.server.storage.accounts.createLoginSession(
      hashKey(token),
      user.id,
      Date.now() + 4000,
      (await t.server.storage.accounts.findUserById(user.id))!.passwordHash,
    );
    const live = await openLive(`${t.url}/api/projects/${t.projectId}/live`, {
      cookie: `${SESSION_COOKIE}=${token}`,
    });
    try {
      await endedBy(live, 'its session expired');
      expect(live.named).toEqual([
        { event: 'end', data: expect.objectContaining({ reason: 'session_ended' }) },
      ]);
    } finally {
      live.close();
      await t.server.close();
    }
  });
});

describe('across processes', () => {
  test('a token revoked through instance A ends its feed on instance B (PostgreSQL)', async () => {
    const db = await freshDatabase();
    const a = await createServer({ databaseUrl: db.url, port: 0 });
    const b = await createServer({ databaseUrl: db.url, port: 0 });
    try {
      const { project } = await a.admin.createProject('shared');
      const { token } = await a.admin.createReadToken(project.id);
      const urlB = await b.listen();
      const live = await openLive(`${urlB}/api/projects/${project.id}/live`, {
        authorization: `Bearer ${token}`,
      });
      try {
        await a.admin.revokeKey(token);
        await endedBy(live, 'its token was revoked through another instance');
      } finally {
        live.close();
      }
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });

  test('a token revoked while the change notice is lost still ends its feed (PostgreSQL)', async () => {
    const db = await freshDatabase();
    const t = await startServer({ databaseUrl: db.url });
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    try {
      const live = await openLive(`${t.url}/api/projects/${t.projectId}/live`, {
        authorization: `Bearer ${t.readToken}`,
      });
      try {
        // Revoked the way another instance does it, minus its NOTIFY: what this instance
        // sees while its LISTEN connection is down. Its keys version never moves.
        const revoked = await sql.query(
          'UPDATE api_keys SET revoked_at = $1 WHERE key_hash = $2 AND revoked_at IS NULL',
          [Date.now(), hashKey(t.readToken)],
        );
        expect(revoked.rowCount).toBe(1);
        await endedBy(live, 'its token was revoked unannounced', 40_000);
        expect(live.named.map((m) => m.data.reason)).toEqual(['token_revoked']);
      } finally {
        live.close();
      }
    } finally {
      await sql.end();
      await t.server.close();
      await db.drop();
    }
  }, 60_000);

  test('a token revoked with the CLI ends its feed on the running server (SQLite)', async () => {
    const dir = tempDir();
    const db = ['--db', `${dir.dir}/cli.db`];
    try {
      expect(runCli(dir.dir, ['project', 'create', 'cli', ...db]).status).toBe(0);
      const created = runCli(dir.dir, ['token', 'create', 'cli', ...db]);
      const token = /(asr_[\w-]{32})/.exec(created.stdout)![1];
      const projectId = /prj_[0-9a-f]+/.exec(runCli(dir.dir, ['project', 'list', ...db]).stdout)![0];
      const server = await startCli(dir.dir, db);
      try {
        const live = await openLive(`${server.url}/api/projects/${projectId}/live`, {
          authorization: `Bearer ${token}`,
        });
        try {
          expect(runCli(dir.dir, ['key', 'revoke', token.slice(0, 12), ...db]).status).toBe(0);
          await endedBy(live, 'its token was revoked with the CLI');
        } finally {
          live.close();
        }
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    } finally {
      dir.remove();
    }
  });
});
