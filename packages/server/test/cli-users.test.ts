import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openStorage, verifyPassword } from '../src';
import { CLI, runCli, startCli, type CliServer } from './cli-process';
import { backends, openLive, tempDir } from './helpers';

const dir = tempDir();
afterAll(() => dir.remove());

/** Logs in over HTTP; the session cookie when it worked, else the status. */
async function login(
  url: string,
  email: string,
  password: string,
): Promise<{ status: number; cookie?: string }> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  return res.status === 200 ? { status: 200, cookie } : { status: res.status };
}

/** What the dashboard's session check answers for a cookie: 200 while logged in, else 401. */
async function me(url: string, cookie: string): Promise<number> {
  return (await fetch(`${url}/api/auth/me`, { headers: { cookie } })).status;
}

describe.each(backends())('agentsudo-server user and unlock commands on $name', (backend) => {
  let where: string[];
  let server: CliServer;
  const cli = (args: string[], input?: string, env?: NodeJS.ProcessEnv) =>
    runCli(dir.dir, [...args, ...where], input, env);

  beforeAll(async () => {
    const options = await backend.fresh();
    where = options.databaseUrl ? ['--database-url', options.databaseUrl] : ['--db', options.db!];
    expect(cli(['user', 'create', 'ops@example.com'], 'first password\n').status).toBe(0);
    server = await startCli(dir.dir, where);
  });
  afterAll(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    await backend.cleanup();
  });

  test('user create takes the password from AGENTSUDO_PASSWORD; user list shows every login, oldest first', async () => {
    const created = cli(['user', 'create', 'Dev@Example.com'], undefined, {
      AGENTSUDO_PASSWORD: 'dev password 1',
    });
    expect(created).toMatchObject({ status: 0, stdout: 'User dev@example.com created.\n' });
    expect((await login(server.url, 'dev@example.com', 'dev password 1')).status).toBe(200);
    const listed = cli(['user', 'list']);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^ops@example\.com {2}created \S+Z\ndev@example\.com {2}created \S+Z\n$/);
    expect(listed.stdout).not.toContain('scrypt');
  });

  test('user delete ends the sessions of that login at once, open live feeds included; the only user and an unknown email are refused with what to do', async () => {
    cli(['user', 'create', 'leaver@example.com'], 'leaver password\n');
    const session = await login(server.url, 'leaver@example.com', 'leaver password');
    expect(await me(server.url, session.cookie!)).toBe(200);
    const project = /\((prj_[0-9a-f]+)\)/.exec(cli(['project', 'create', 'watched']).stdout)![1];
    const feed = await openLive(`${server.url}/api/projects/${project}/live`, { cookie: session.cookie! });

    expect(cli(['user', 'delete', 'Leaver@example.com'])).toMatchObject({
      status: 0,
      stdout: 'User leaver@example.com deleted; its sessions are ended.\n',
    });
    expect(await me(server.url, session.cookie!)).toBe(401);
    await feed.ended; // the open live feed is ended by the server, too
    expect((await login(server.url, 'leaver@example.com', 'leaver password')).status).toBe(401);
    expect(cli(['user', 'list']).stdout).not.toContain('leaver@');

    const unknown = cli(['user', 'delete', 'nobody@example.com']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe(
      `agentsudo-server: No user has email "nobody@example.com"; 'agentsudo-server user list' shows who does.\n`,
    );
    cli(['user', 'delete', 'dev@example.com']);
    const last = cli(['user', 'delete', 'ops@example.com']);
    expect(last.status).toBe(1);
    expect(last.stderr).toMatch(
      /ops@example\.com is the only user, .*create another first \('agentsudo-server user create'\)/,
    );
    expect(cli(['user', 'list']).stdout).toMatch(/^ops@example\.com /);
  });

  test('user reset-password sets the new password and ends the sessions made with the old one', async () => {
    const before = await login(server.url, 'ops@example.com', 'first password');
    expect(before.status).toBe(200);
    expect(cli(['user', 'reset-password', 'ops@example.com'], 'second password\n')).toMatchObject({
      status: 0,
      stdout: 'Password of ops@example.com set; its sessions are ended.\n',
    });
    expect(await me(server.url, before.cookie!)).toBe(401);
    expect((await login(server.url, 'ops@example.com', 'first password')).status).toBe(401);
    expect((await login(server.url, 'ops@example.com', 'second password')).status).toBe(200);

    const short = cli(['user', 'reset-password', 'ops@example.com'], 'short\n');
    expect(short).toMatchObject({ status: 1, stderr: expect.stringMatching(/at least 10 characters/) });
    expect(cli(['user', 'reset-password', 'nobody@example.com'], 'whatever password\n').stderr).toMatch(
      /No user has email "nobody@example.com"/,
    );
  });

  test('unlock lists the lockouts in force and lifts the lockout of an address that mistyped too often', async () => {
    expect(cli(['unlock']).stdout).toBe('No lockouts: every address and login may try to log in.\n');
    for (let i = 0; i < 5; i++)
      expect((await login(server.url, 'typo@example.com', 'wrong password')).status).toBe(401);
    // The address is locked out now, for every login from it, the right password included.
    expect((await login(server.url, 'ops@example.com', 'second password')).status).toBe(429);

    const listed = cli(['unlock']);
    expect(listed.stdout).toMatch(/^ip:127\.0\.0\.1 {2}5 failed logins, locked until \S+Z\n/m);
    expect(listed.stdout).toMatch(/^login:127\.0\.0\.1 typo@example\.com {2}5 failed logins/m);
    // Five failures for one login are not a lockout of that login from everywhere.
    expect(listed.stdout).not.toMatch(/^email:/m);

    expect(cli(['unlock', '--ip', '127.0.0.1'])).toMatchObject({
      status: 0,
      stdout: 'Unlocked 127.0.0.1: it may log in again.\n',
    });
    expect((await login(server.url, 'ops@example.com', 'second password')).status).toBe(200);
    expect((await login(server.url, 'typo@example.com', 'wrong password')).status).toBe(401);
    expect(cli(['unlock']).stdout).toBe('No lockouts: every address and login may try to log in.\n');
    expect(cli(['unlock', '--email', 'typo@example.com']).stdout).toBe(
      'Unlocked typo@example.com: it may log in again.\n',
    );
    expect(cli(['unlock', '--all']).stdout).toBe('Unlocked every address and login: it may log in again.\n');
    expect(cli(['unlock']).stdout).toBe('No lockouts: every address and login may try to log in.\n');
    expect(cli(['unlock', '--email', 'typo@example.com']).stdout).toBe(
      'Nothing to unlock for typo@example.com: no failed logins in the last 15 minutes.\n',
    );

    expect(cli(['unlock', '--ip', 'localhost'])).toMatchObject({
      status: 2,
      stderr:
        "agentsudo-server unlock: --ip must be an IPv4 or IPv6 address such as 127.0.0.1, got 'localhost'; see 'agentsudo-server unlock --help'\n",
    });
  });
});

describe('agentsudo-server user create at a terminal', () => {
  /**
   * Runs the command on a pseudo-terminal (util-linux `script`), typing each answer once its
   * prompt shows: what is typed before the command turns echo off would be echoed anyway.
   */
  function onTerminal(
    args: string[],
    answers: Array<[prompt: string, typed: string]>,
  ): Promise<{ code: number | null; screen: string }> {
    const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: dir.dir,
      env: { ...process.env, DATABASE_URL: '', AGENTSUDO_PASSWORD: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    const pending = [...answers];
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      screen += chunk;
      while (pending.length && screen.includes(pending[0][0])) child.stdin.write(pending.shift()![1]);
    });
    return new Promise((resolve) =>
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, screen });
      }),
    );
  }

  test('the typed password is not shown, and is asked twice', async () => {
    const db = join(dir.dir, 'terminal.db');
    const { code, screen } = await onTerminal(
      ['user', 'create', 'tty@example.com', '--db', db],
      [
        ['Password for tty@example.com: ', 'typed secret 1\r'],
        ['Repeat it: ', 'typed secret 1\r'],
      ],
    );
    expect(screen).toContain('User tty@example.com created.');
    expect(screen).not.toContain('typed secret');
    expect(code).toBe(0);
    const storage = await openStorage({ db });
    try {
      const user = await storage.accounts.findUserByEmail('tty@example.com');
      expect(await verifyPassword('typed secret 1', user!.passwordHash)).toBe(true);
    } finally {
      await storage.close();
    }
  });

  test('an arrow or Delete key pressed at the hidden prompt adds nothing to the password', async () => {
    const db = join(dir.dir, 'arrows.db');
    const { code } = await onTerminal(
      ['user', 'create', 'keys@example.com', '--db', db],
      [
        // Left arrow (CSI D), Delete (CSI 3~), Home as SS3 H, Alt+x, a character in two bytes.
        ['Password for keys@example.com: ', 'secret one\u001b[D\u001b[3~\u001bOH\u001bx é\r'],
        ['Repeat it: ', 'secret one é\r'],
      ],
    );
    expect(code).toBe(0);
    const storage = await openStorage({ db });
    try {
      const user = await storage.accounts.findUserByEmail('keys@example.com');
      expect(await verifyPassword('secret one é', user!.passwordHash)).toBe(true);
    } finally {
      await storage.close();
    }
  });

  test('two different passwords change nothing', async () => {
    const db = join(dir.dir, 'mismatch.db');
    const { code, screen } = await onTerminal(
      ['user', 'create', 'tty@example.com', '--db', db],
      [
        ['Password for tty@example.com: ', 'typed secret 1\r'],
        ['Repeat it: ', 'typed secret 2\r'],
      ],
    );
    expect(code).toBe(1);
    expect(screen).toContain('The two passwords differ; nothing was changed.');
    expect(screen).not.toContain('typed secret');
  });
});
