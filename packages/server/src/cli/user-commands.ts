import { isIP } from 'node:net';
import { command, UsageError } from '@agentsudo/command-line';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from '../auth/login-limiter';
import { MIN_PASSWORD_LENGTH } from '../auth/passwords';
import { openStorage } from '../storage/open';
import { out, withAdmin } from './admin-commands';
import { PASSWORD_ENV, readNewPassword } from './password-input';
import { STORAGE_OPTIONS, storageFrom } from './storage-flags';

const WINDOW_MINUTES = DEFAULT_LOGIN_LIMITS.windowMs / 60_000;

const EMAIL = { name: 'email', description: "the login's email address" } as const;

const PASSWORD_SOURCES =
  `The password (at least ${MIN_PASSWORD_LENGTH} characters) is typed twice at a terminal, which does not\n` +
  `show it; from a script, set ${PASSWORD_ENV} or pipe it in as the first line of stdin.`;

/**
 * The dashboard login commands of `agentsudo-server`, and `unlock` for login lockouts.
 *
 * @example
 * ```sh
 * agentsudo-server user create ops@example.com
 * agentsudo-server unlock --ip 127.0.0.1
 * ```
 */
export const userCommands = [
  command(
    {
      name: 'user create',
      summary: 'create a dashboard login',
      details: `Creates a dashboard login. ${PASSWORD_SOURCES}`,
      arguments: [EMAIL],
      options: {
        password: {
          type: 'string',
          value: 'P',
          description: `the password on the command line: every user of the machine\nsees it in ps; prefer the prompt, ${PASSWORD_ENV} or stdin`,
        },
        ...STORAGE_OPTIONS,
      },
    },
    async ({ values, positionals: [email] }) => {
      if (values.password !== undefined)
        process.stderr.write(
          `agentsudo-server: --password is visible to every user of this machine (ps); prefer the prompt, ${PASSWORD_ENV} or stdin.\n`,
        );
      const password = values.password ?? (await readNewPassword(`Password for ${email}`));
      await withAdmin(values, async (admin) => {
        const user = await admin.createUser(email, password);
        out(`User ${user.email} created.`);
      });
    },
  ),
  command(
    {
      name: 'user list',
      summary: 'list dashboard logins',
      options: { ...STORAGE_OPTIONS },
    },
    async ({ values }) =>
      withAdmin(values, async (admin) => {
        const users = await admin.listUsers();
        if (users.length === 0) out("No users; create one with 'agentsudo-server user create <email>'.");
        for (const u of users) out(`${u.email}  created ${new Date(u.createdAt).toISOString()}`);
      }),
  ),
  command(
    {
      name: 'user delete',
      summary: 'delete a dashboard login and end its sessions',
      details:
        'Deletes a dashboard login and logs it out everywhere: its open pages and live feeds\n' +
        'stop at their next request. The only user is kept (nobody could log in without it).',
      arguments: [EMAIL],
      options: { ...STORAGE_OPTIONS },
    },
    async ({ values, positionals: [email] }) =>
      withAdmin(values, async (admin) => {
        const user = await admin.deleteUser(email);
        out(`User ${user.email} deleted; its sessions are ended.`);
      }),
  ),
  command(
    {
      name: 'user reset-password',
      summary: "set a login's password and end its sessions",
      details: `Sets a new password for a dashboard login and logs it out everywhere. ${PASSWORD_SOURCES}`,
      arguments: [EMAIL],
      options: { ...STORAGE_OPTIONS },
    },
    async ({ values, positionals: [email] }) => {
      // The user is looked up first, so a mistyped email does not ask for a password.
      await withAdmin(values, async (admin) => {
        await admin.findUser(email);
        const user = await admin.resetPassword(email, await readNewPassword(`New password for ${email}`));
        out(`Password of ${user.email} set; its sessions are ended.`);
      });
    },
  ),
  command(
    {
      name: 'unlock',
      summary: 'show or lift login lockouts (too many failed logins)',
      details:
        `After ${DEFAULT_LOGIN_LIMITS.maxFailures} failed logins within ${WINDOW_MINUTES} minutes from one address (ip:), or for one\n` +
        `login from one address (login:), or ${DEFAULT_LOGIN_LIMITS.maxFailuresPerEmail} for one login from all addresses (email:),\n` +
        `those logins are refused until the oldest failure is ${WINDOW_MINUTES} minutes old. Without\n` +
        'options, lists the lockouts now in force; with them, lifts them (--ip also lifts the logins\n' +
        'tried from that address, --email the login from every address).',
      options: {
        ip: { type: 'string', value: 'ADDR', description: 'lift the lockout of this client address' },
        email: { type: 'string', value: 'EMAIL', description: 'lift the lockout of this login' },
        all: { type: 'boolean', description: 'lift every lockout' },
        ...STORAGE_OPTIONS,
      },
    },
    async ({ values }) => {
      const { ip, email, all } = values;
      if (ip !== undefined && !isIP(ip))
        throw new UsageError(`--ip must be an IPv4 or IPv6 address such as 127.0.0.1, got '${ip}'`);
      if (all && (ip !== undefined || email !== undefined))
        throw new UsageError('give --all alone, or --ip and --email');
      const storage = await openStorage(storageFrom(values));
      try {
        const limiter = new LoginLimiter(storage.loginAttempts);
        if (!all && ip === undefined && email === undefined) {
          const lockouts = await limiter.lockouts();
          if (lockouts.length === 0) out('No lockouts: every address and login may try to log in.');
          for (const l of lockouts)
            out(`${l.key}  ${l.failures} failed logins, locked until ${new Date(l.until).toISOString()}`);
          if (lockouts.length)
            out("Lift one with 'agentsudo-server unlock --ip ADDR' or '--email EMAIL', or '--all'.");
          return;
        }
        const forgotten = await limiter.unlock(all ? 'all' : { ip, email });
        const what = all
          ? 'every address and login'
          : [ip, email].filter((x) => x !== undefined).join(' and ');
        out(
          forgotten
            ? `Unlocked ${what}: it may log in again.`
            : `Nothing to unlock for ${what}: no failed logins in the last ${WINDOW_MINUTES} minutes.`,
        );
      } finally {
        await storage.close();
      }
    },
  ),
];
