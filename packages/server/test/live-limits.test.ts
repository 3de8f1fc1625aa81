import { join } from 'node:path';
import { createServer } from '../src';
import { runCli, startCli } from './cli-process';
import { backends, openLive, startServer, tempDir, type LiveClient, jsonOf } from './helpers';

/**
 * Live feeds are capped per credential, per project and per instance, so one read token
 * (or one busy project) cannot take every slot and lock the other tenants out.
 */

/** Asks for a feed that should be refused: the status, the answer and its Retry-After. */
async function refused(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: { error: string; message: string }; retryAfter: string | null }> {
  const res = await fetch(url, { headers });
  if (res.status === 200) {
    await res.body?.cancel();
    return { status: 200, body: { error: '', message: 'the feed was opened' }, retryAfter: null };
  }
  return { status: res.status, body: await jsonOf(res), retryAfter: res.headers.get('retry-after') };
}

/** Opens a feed once a slot is free again (the server sees a closed feed a moment later). */
async function openWhenFree(url: string, headers: Record<string, string>): Promise<LiveClient> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await openLive(url, headers);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe.each(backends())('live feed limits on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('one token cannot take the project’s or the server’s slots; each cap answers by name', async () => {
    const t = await startServer(await backend.fresh(), {
      maxLiveClients: 4,
      maxLiveClientsPerProject: 3,
      maxLiveClientsPerCredential: 2,
    });
    const open: LiveClient[] = [];
    try {
      const feed = `${t.url}/api/projects/${t.projectId}/live`;
      const asToken = (token: string) => ({ authorization: `Bearer ${token}` });
      const second = (await t.server.admin.createReadToken(t.projectId)).token;
      const third = (await t.server.admin.createReadToken(t.projectId)).token;
      const other = await t.server.admin.createProject('other-tenant');
      const otherFeed = `${t.url}/api/projects/${other.project.id}/live`;
      const otherToken = (await t.server.admin.createReadToken(other.project.id)).token;

      // One token: its own cap.
      open.push(await openLive(feed, asToken(t.readToken)), await openLive(feed, asToken(t.readToken)));
      const perToken = await refused(feed, asToken(t.readToken));
      expect(perToken.status).toBe(429);
      expect(perToken.body.error).toBe('too_many_live_clients_for_credential');
      expect(perToken.body.message).toMatch(/already has 2 live feeds.*--max-live-per-credential/);
      expect(perToken.retryAfter).toBe('30');

      // Another token of the same project still gets in, up to the project's cap.
      open.push(await openLive(feed, asToken(second)));
      const perProject = await refused(feed, asToken(third));
      expect(perProject.status).toBe(429);
      expect(perProject.body.error).toBe('too_many_live_clients_for_project');
      expect(perProject.body.message).toContain(`Project ${t.projectId} already has 3 live feeds`);

      // Another tenant is not locked out by the first project; the instance's cap comes last.
      open.push(await openLive(otherFeed, asToken(otherToken)));
      const total = await refused(otherFeed, asToken(otherToken));
      expect(total.status).toBe(503);
      expect(total.body.error).toBe('too_many_live_clients');
      expect(total.body.message).toMatch(/maximum of 4 live clients.*--max-live-clients/);

      // A closed feed gives its slots back.
      open.shift()!.close();
      open.push(await openWhenFree(feed, asToken(t.readToken)));
    } finally {
      for (const live of open) live.close();
      await t.server.close();
    }
  });

  test('a dashboard user’s sessions share one credential cap', async () => {
    const t = await startServer(await backend.fresh(), { maxLiveClientsPerCredential: 1 });
    const open: LiveClient[] = [];
    try {
      await t.server.admin.createUser('ops@example.com', 'correct horse battery staple');
      const cookies: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${t.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'ops@example.com', password: 'correct horse battery staple' }),
        });
        cookies.push(res.headers.get('set-cookie')!.split(';')[0]);
      }
      const feed = `${t.url}/api/projects/${t.projectId}/live`;
      open.push(await openLive(feed, { cookie: cookies[0] }));
      expect((await refused(feed, { cookie: cookies[1] })).status).toBe(429);
    } finally {
      for (const live of open) live.close();
      await t.server.close();
    }
  });
});

describe('live feed limit settings', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  test('the CLI flags set the caps', async () => {
    const db = ['--db', join(dir.dir, 'flags.db')];
    expect(runCli(dir.dir, ['project', 'create', 'flags', ...db]).status).toBe(0);
    const token = /(asr_[\w-]{32})/.exec(runCli(dir.dir, ['token', 'create', 'flags', ...db]).stdout)![1];
    const projectId = /prj_[0-9a-f]+/.exec(runCli(dir.dir, ['project', 'list', ...db]).stdout)![0];
    const server = await startCli(dir.dir, [...db, '--max-live-per-credential', '1']);
    try {
      const feed = `${server.url}/api/projects/${projectId}/live`;
      const live = await openLive(feed, { authorization: `Bearer ${token}` });
      try {
        const second = await refused(feed, { authorization: `Bearer ${token}` });
        expect(second.status).toBe(429);
        expect(second.body.error).toBe('too_many_live_clients_for_credential');
      } finally {
        live.close();
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  test.each(['0', 'ten', '1.5'])('--max-live-per-project %s is refused, naming the value', (value) => {
    const res = runCli(dir.dir, [
      'start',
      '--port',
      '0',
      '--db',
      join(dir.dir, 'bad.db'),
      '--max-live-per-project',
      value,
    ]);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(
      `--max-live-per-project must be a whole number from 1 to 1000000, got '${value}'`,
    );
  });

  test('createServer refuses a cap below 1, naming the option', async () => {
    await expect(
      createServer({ db: join(dir.dir, 'api.db'), port: 0, maxLiveClientsPerCredential: 0 }),
    ).rejects.toThrow(/Invalid maxLiveClientsPerCredential 0/);
  });
});
