import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { CLI, runCli, startCli, type CliServer } from './cli-process';
import { freshDatabase, tempDir, wire, jsonOf } from './helpers';

const dir = tempDir();
afterAll(() => dir.remove());

function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  return runCli(dir.dir, args, input);
}

/** Starts `agentsudo-server start` on a free port, on a SQLite file or with the given arguments. */
function startChild(db: string | string[]): Promise<CliServer> {
  return startCli(dir.dir, typeof db === 'string' ? ['--db', db] : db);
}

function keyFrom(stdout: string): string {
  const m = /(as_[\w-]{32})/.exec(stdout);
  if (!m) throw new Error(`no key in ${stdout}`);
  return m[1];
}

describe('agentsudo-server admin commands', () => {
  const db = () => ['--db', join(dir.dir, 'admin.db')];

  test('project create prints an as_ key with 192 random bits once; project list shows only its prefix', () => {
    const created = cli(['project', 'create', 'checkout', ...db()]);
    expect(created.status).toBe(0);
    const key = keyFrom(created.stdout);
    const listed = cli(['project', 'list', ...db()]);
    expect(listed.stdout).toMatch(/prj_[0-9a-f]{16}\s+checkout/);
    expect(listed.stdout).toContain(`${key.slice(0, 11)}…`);
    expect(listed.stdout).not.toContain(key);
  });

  test('key rotate issues a new key and revokes the old; key revoke takes a prefix', () => {
    const first = keyFrom(cli(['project', 'create', 'rotating', ...db()]).stdout);
    const rotated = cli(['key', 'rotate', 'rotating', ...db()]);
    expect(rotated.stdout).toContain(`Revoked: ${first.slice(0, 11)}…`);
    const second = keyFrom(rotated.stdout);
    expect(second).not.toBe(first);
    const revoked = cli(['key', 'revoke', second.slice(0, 11), ...db()]);
    expect(revoked.status).toBe(0);
    const listed = cli(['project', 'list', ...db()]).stdout;
    expect(listed.match(/ingest {2}revoked/g)).toHaveLength(2);
  });

  test('user create reads the password from stdin; a short password is refused with the rule', () => {
    expect(cli(['user', 'create', 'ops@example.com', ...db()], 'a long enough password\n').stdout).toContain(
      'User ops@example.com created.',
    );
    const short = cli(['user', 'create', 'dev@example.com', ...db()], 'short\n');
    expect(short.status).toBe(1);
    expect(short.stderr).toMatch(/at least 10 characters/);
  });

  test('user create with nothing on stdin (</dev/null) says where a password comes from', () => {
    const res = spawnSync(process.execPath, [CLI, 'user', 'create', 'nobody@example.com', ...db()], {
      cwd: dir.dir,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', AGENTSUDO_PASSWORD: '' },
      stdio: ['ignore', 'pipe', 'pipe'], // stdin is /dev/null: not a terminal, and empty
      timeout: 30_000,
    });
    expect([res.status, res.stderr]).toEqual([
      1,
      'agentsudo-server: No password given: type it at a terminal, set AGENTSUDO_PASSWORD, or pipe it in as the first line of stdin.\n',
    ]);
    expect(cli(['user', 'list', ...db()]).stdout).not.toContain('nobody@example.com');
  });

  test('mistakes exit non-zero with a message saying what to do', () => {
    const unknownProject = cli(['key', 'rotate', 'nope', ...db()]);
    expect([unknownProject.status, unknownProject.stderr]).toEqual([
      1,
      expect.stringMatching(/project list/),
    ]);
    const badFlag = cli(['start', '--port', 'eighty']);
    expect([badFlag.status, badFlag.stderr]).toEqual([
      2,
      expect.stringMatching(/--port must be a whole number/),
    ]);
    expect(cli(['frobnicate']).status).toBe(2);
  });
});

describe('agentsudo-server start', () => {
  test('a start that fails (a port in use, a bad flag) leaves no database file behind, and keeps one it found', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as net.AddressInfo).port);
    try {
      const file = join(dir.dir, 'never.db');
      const busy = cli(['start', '--db', file, '--port', port]);
      expect(busy.status).not.toBe(0);
      expect(busy.stderr).toContain(port);
      const badFlag = cli(['start', '--db', file, '--max-live-clients', 'many']);
      expect(badFlag.status).toBe(2);
      expect(['', '-wal', '-shm'].filter((suffix) => existsSync(file + suffix))).toEqual([]);

      const kept = join(dir.dir, 'kept.db');
      keyFrom(cli(['project', 'create', 'kept', '--db', kept]).stdout);
      expect(cli(['start', '--db', kept, '--port', port]).status).not.toBe(0);
      expect(cli(['project', 'list', '--db', kept]).stdout).toContain('kept');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('a second agentsudo-server on the same port names the port, the likely holder and --port', async () => {
    const first = await startChild(join(dir.dir, 'first.db'));
    try {
      const port = new URL(first.url).port;
      const second = cli(['start', '--db', join(dir.dir, 'second.db'), '--port', port]);
      expect(second.status).toBe(1);
      expect(second.stderr).toBe(
        `agentsudo-server: Port ${port} on 127.0.0.1 is in use, perhaps by another agentsudo-server ` +
          `(such as the demo 'npm start' runs): stop it, or pass --port N (--port 0 picks a free port).\n`,
      );
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });

  test('SIGTERM finishes the batch in flight, then exits 0 with the data on disk', async () => {
    const file = join(dir.dir, 'graceful.db');
    const key = keyFrom(cli(['project', 'create', 'graceful', '--db', file]).stdout);
    const { child, url, exited } = await startChild(file);
    const body = JSON.stringify(Array.from({ length: 100 }, () => wire({ agent_name: 'InFlight' })));
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    const response = new Promise<string>((resolve) => {
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('close', () => resolve(data));
    });
    socket.write(
      `POST /api/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nX-API-Key: ${key}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 100)}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    socket.end(body.slice(100));
    expect(await response).toMatch(/^HTTP\/1\.1 200[\s\S]*"accepted":100/);
    expect(await exited).toBe(0);
    const rows = new Database(file, { readonly: true })
      .prepare("SELECT COUNT(*) AS n FROM events WHERE agent_name = 'InFlight'")
      .get() as { n: number };
    expect(rows.n).toBe(100);
  });

  test('SIGKILL during ingest loses no acknowledged batch and leaves no partial one', async () => {
    const file = join(dir.dir, 'crash.db');
    const key = keyFrom(cli(['project', 'create', 'crash', '--db', file]).stdout);
    const { child, url, exited } = await startChild(file);
    const acknowledged: string[][] = [];
    const sent: string[][] = [];
    let stop = false;
    const sender = async () => {
      // Bounded: at most 400 batches per sender, and it stops once the server is gone.
      for (let i = 0; i < 400 && !stop; i++) {
        const batch = Array.from({ length: 100 }, () =>
          wire({ event_id: randomUUID(), agent_name: 'Crash' }),
        );
        const ids = batch.map((e) => e.event_id as string);
        sent.push(ids);
        try {
          const res = await fetch(`${url}/api/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': key },
            body: JSON.stringify(batch),
          });
          if (res.status === 200 && (await jsonOf(res)).accepted === 100) acknowledged.push(ids);
        } catch {
          return; // connection refused or reset: the server is dead
        }
      }
    };
    const senders = [sender(), sender(), sender()];
    while (acknowledged.length < 30) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    stop = true;
    await Promise.all(senders);

    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const stored = new Set(
      (db.prepare('SELECT event_id FROM events').all() as Array<{ event_id: string }>).map((r) => r.event_id),
    );
    db.close();
    for (const ids of acknowledged) for (const id of ids) expect(stored.has(id)).toBe(true);
    // Every batch is all or nothing, acknowledged or not.
    for (const ids of sent) expect([0, 100]).toContain(ids.filter((id) => stored.has(id)).length);
    expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length * 100);
  });

  test('a key rotated or revoked with the CLI is refused by the running server at once', async () => {
    const file = join(dir.dir, 'live-keys.db');
    const first = keyFrom(cli(['project', 'create', 'live-keys', '--db', file]).stdout);
    const { child, url, exited } = await startChild(file);
    const ingest = async (key: string) =>
      (
        await fetch(`${url}/api/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: JSON.stringify([wire()]),
        })
      ).status;
    try {
      expect(await ingest(first)).toBe(200); // now cached by the server
      const second = keyFrom(cli(['key', 'rotate', 'live-keys', '--db', file]).stdout);
      expect(await ingest(first)).toBe(401);
      expect(await ingest(second)).toBe(200);
      expect(cli(['key', 'revoke', second.slice(0, 11), '--db', file]).status).toBe(0);
      expect(await ingest(second)).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('--database-url runs on PostgreSQL, and --retention-days sweeps old events at start', async () => {
    const db = await freshDatabase();
    const pg = ['--database-url', db.url];
    try {
      const key = keyFrom(cli(['project', 'create', 'on-postgres', ...pg]).stdout);
      const first = await startChild(pg);
      const old = wire({
        agent_name: 'Old',
        timestamp: new Date(Date.now() - 40 * 86_400_000).toISOString(),
      });
      const res = await fetch(`${first.url}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify([old, wire({ agent_name: 'Recent' })]),
      });
      expect(res.status).toBe(200);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      const second = await startChild([...pg, '--retention-days', '30']);
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        let names: string[] = [];
        for (let i = 0; i < 100; i++) {
          names = (await client.query('SELECT agent_name FROM events ORDER BY agent_name')).rows.map(
            (r) => r.agent_name,
          );
          if (!names.includes('Old')) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(names).toEqual(['Recent']);
      } finally {
        await client.end();
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      await db.drop();
    }
  });
});
