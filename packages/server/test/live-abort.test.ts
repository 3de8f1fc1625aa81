import { connect, type Socket } from 'node:net';
import { Client } from 'pg';
import { freshDatabase, openLive, startServer, type LiveClient } from './helpers';

/**
 * A client that leaves while the server is still checking its credential (a database round
 * trip on PostgreSQL) must not keep a live-feed slot: otherwise a few dropped connections
 * use up a credential's cap for good.
 */

/** Waits until `check` holds, polling (no fixed sleeps: the machine may be loaded). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('live feed on PostgreSQL', () => {
  test('clients that leave during the credential check give their slots back', async () => {
    const db = await freshDatabase();
    const cap = 3;
    const t = await startServer({ databaseUrl: db.url }, { maxLiveClientsPerCredential: cap });
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    const watcher = new Client({ connectionString: db.url });
    await watcher.connect();
    const sockets: Socket[] = [];
    const open: LiveClient[] = [];
    try {
      const port = Number(new URL(t.url).port);
      const path = `/api/projects/${t.projectId}/live`;
      // The key table is locked, so every credential lookup waits in PostgreSQL.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE');

      // As many clients as the cap ask for a feed, then leave while their token is checked.
      for (let i = 0; i < cap; i++) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${t.readToken}\r\n\r\n`,
        );
        sockets.push(socket);
      }
      await until('the credential lookups to wait on the lock', async () => {
        const { rows } = await watcher.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%api_keys%'`,
        );
        return rows[0].n >= cap;
      });
      for (const socket of sockets) socket.destroy();
      await until('the server to see the clients leave', async () => {
        const n = await new Promise<number>((resolve, reject) =>
          t.server.app.server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
        );
        return n === 0;
      });
      await locker.query('COMMIT');

      // Every slot of the credential is free: the cap's worth of feeds opens.
      for (let i = 0; i < cap; i++)
        open.push(await openLive(`${t.url}${path}`, { authorization: `Bearer ${t.readToken}` }));
      expect(open).toHaveLength(cap);
    } finally {
      for (const socket of sockets) socket.destroy();
      for (const live of open) live.close();
      await locker.end();
      await watcher.end();
      await t.server.close();
      await db.drop();
    }
  }, 60_000);
});
