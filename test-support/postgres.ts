import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL server for the test run: initdb into a temp dir, pg_ctl start
 * on 127.0.0.1 with a free port, stopped and deleted afterwards. Used by jest's global
 * setup unless AGENTSUDO_TEST_DATABASE_URL points at a server already running.
 *
 * @example
 * ```ts
 * const pg = startTestPostgres(); process.env.AGENTSUDO_TEST_DATABASE_URL = pg.url; … pg.stop();
 * ```
 */
export interface TestPostgres {
  url: string;
  stop(): void;
}

/** Finds Debian's PostgreSQL binaries (the newest installed major). */
export function findPgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0], 'bin') : undefined;
}

/** Starts a server; throws with what to install when PostgreSQL is missing. */
export function startTestPostgres(port: number): TestPostgres {
  const bin = findPgBin();
  if (!bin) {
    throw new Error(
      'PostgreSQL is needed by the server tests: run scripts/test-all.sh, which installs what ' +
        'the tests need, or apt-get install -y postgresql, or set AGENTSUDO_TEST_DATABASE_URL ' +
        'to a database the tests may use.',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'agentsudo-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // initdb refuses to run as root: run the server as the postgres user then.
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args;
    const res = spawnSync(asRoot ? 'runuser' : join(bin, cmd), full, { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${cmd} failed: ${res.stderr || res.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`,
    'start',
  ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A free TCP port on 127.0.0.1, asked of the OS. */
export function freePort(): number {
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
    ],
    { encoding: 'utf8' },
  );
  return Number(out.trim());
}
