#!/usr/bin/env node
import { existsSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { endQuietlyOnClosedPipe } from '@agentsudo/command-line';
import { Admin } from './admin';
import { AdminError, InvalidInputError } from './errors';
import { dashboard } from './dashboard';
import { DEFAULT_LIVE_LIMITS } from './http/live-connections';
import { parseTrustProxy, type TrustProxy } from './http/trust-proxy';
import { DEFAULT_PORT, createServer } from './server';
import { DEFAULT_DB_FILE, openStorage, type StorageOptions } from './storage/open';

const USAGE = `agentsudo-server: the AgentSudo collector and dashboard server

Usage:
  agentsudo-server start [--port N] [--host H] [--db FILE | --database-url URL]
                         [--retention-days N] [--trust-proxy HOPS|ADDRESSES]
                         [--sqlite-sync normal|full] [--max-live-clients N]
                         [--max-live-per-project N] [--max-live-per-credential N]
  agentsudo-server project create <name>     prints the project's API key (once)
  agentsudo-server project list
  agentsudo-server key rotate <project>      new API key; the old one stops working
  agentsudo-server key revoke <key-prefix>
  agentsudo-server token create <project>    read token for scripts (once)
  agentsudo-server user create <email> [--password P]   dashboard login; the password
                                             is read from stdin when not given

Storage: SQLite file ${DEFAULT_DB_FILE} unless --db, or PostgreSQL when --database-url or
DATABASE_URL is set. Defaults: --host 127.0.0.1 --port ${DEFAULT_PORT}, live feeds per instance
--max-live-clients ${DEFAULT_LIVE_LIMITS.total} --max-live-per-project ${DEFAULT_LIVE_LIMITS.perProject} --max-live-per-credential ${DEFAULT_LIVE_LIMITS.perCredential}.`;

/** Thrown for a bad command line; printed with the usage, exit code 2. */
class UsageError extends Error {}

interface Parsed {
  args: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set([
  'port',
  'host',
  'db',
  'database-url',
  'retention-days',
  'password',
  'sqlite-sync',
  'trust-proxy',
  'max-live-clients',
  'max-live-per-project',
  'max-live-per-credential',
]);
const BOOLEAN_FLAGS = new Set(['help']);

function parse(argv: string[]): Parsed {
  const args: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h') {
      flags.set('help', true);
    } else if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (BOOLEAN_FLAGS.has(name)) flags.set(name, true);
      else if (VALUE_FLAGS.has(name)) {
        const value = inline ?? argv[++i];
        if (value === undefined) throw new UsageError(`--${name} needs a value`);
        flags.set(name, value);
      } else throw new UsageError(`unknown option --${name}`);
    } else args.push(a);
  }
  return { args, flags };
}

function storageOptions(flags: Parsed['flags']): StorageOptions {
  const databaseUrl = (flags.get('database-url') as string | undefined) ?? process.env.DATABASE_URL;
  const db = flags.get('db') as string | undefined;
  if (databaseUrl && db) throw new UsageError('give --db or --database-url (DATABASE_URL), not both');
  const sync = flags.get('sqlite-sync') as string | undefined;
  if (sync !== undefined && sync !== 'normal' && sync !== 'full')
    throw new UsageError(`--sqlite-sync must be normal or full, got ${sync}`);
  return databaseUrl
    ? { databaseUrl }
    : { db: db ?? DEFAULT_DB_FILE, sqliteSync: sync as 'normal' | 'full' | undefined };
}

function intFlag(flags: Parsed['flags'], name: string, min: number, max: number): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${String(raw)}`);
  return n;
}

/** The --trust-proxy value, checked here so a mistake is a usage error naming the flag. */
function trustProxyFlag(flags: Parsed['flags']): TrustProxy | undefined {
  const raw = flags.get('trust-proxy') as string | undefined;
  if (raw === undefined) return undefined;
  try {
    parseTrustProxy(raw, '--trust-proxy');
    return raw;
  } catch (err) {
    if (err instanceof InvalidInputError) throw new UsageError(err.message);
    throw err;
  }
}

async function start(flags: Parsed['flags']): Promise<void> {
  const storage = storageOptions(flags);
  const newFile = storage.db !== undefined && !existsSync(storage.db) ? storage.db : undefined;
  const server = await createServer({
    ...storage,
    port: intFlag(flags, 'port', 0, 65535) ?? DEFAULT_PORT,
    host: (flags.get('host') as string | undefined) ?? '127.0.0.1',
    retentionDays: intFlag(flags, 'retention-days', 1, 36500),
    trustProxy: trustProxyFlag(flags),
    maxLiveClients: intFlag(flags, 'max-live-clients', 1, 1_000_000),
    maxLiveClientsPerProject: intFlag(flags, 'max-live-per-project', 1, 1_000_000),
    maxLiveClientsPerCredential: intFlag(flags, 'max-live-per-credential', 1, 1_000_000),
    // Through process.stdout, not pino's own file descriptor writer: a closed pipe is then
    // handled like any other output's (see onClosedPipe).
    logger: { level: process.env.LOG_LEVEL ?? 'info', stream: process.stdout },
    extend: dashboard(),
  });
  let url: string;
  try {
    url = await server.listen();
  } catch (err) {
    // A start that fails (a port in use) leaves no database file behind that it created.
    await server.close().catch(() => undefined);
    if (newFile) for (const suffix of ['', '-wal', '-shm']) rmSync(newFile + suffix, { force: true });
    throw err;
  }
  process.stdout.write(`agentsudo-server listening on ${url} (${server.storage.dialect})\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close().then(
      () => process.exit(0),
      (err) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Whoever read the logs has gone (`agentsudo-server start | head`): stop as on a signal.
  onClosedPipe = () => stop('closed output');
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (input is shown; prefer piping it in): ');
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

async function admin(parsed: Parsed): Promise<void> {
  const [group, verb, arg] = parsed.args;
  const need = (what: string) => {
    if (!arg) throw new UsageError(`${group} ${verb} needs ${what}`);
    return arg;
  };
  const command = `${group} ${verb}`;
  const known = ['project create', 'project list', 'key rotate', 'key revoke', 'token create', 'user create'];
  if (!known.includes(command))
    throw new UsageError(`unknown command ${JSON.stringify(parsed.args.join(' '))}`);
  const storage = await openStorage(storageOptions(parsed.flags));
  const out = (s: string) => process.stdout.write(s + '\n');
  try {
    const a = new Admin(storage);
    switch (command) {
      case 'project create': {
        const { project, apiKey } = await a.createProject(need('a name'));
        out(`Project ${project.name} (${project.id}) created.`);
        out(`API key (shown once, store it now): ${apiKey}`);
        break;
      }
      case 'project list':
        for (const p of await a.listProjects()) {
          out(`${p.id}  ${p.name}`);
          for (const k of p.keys)
            out(
              `    ${k.prefix}…  ${k.kind}${k.revokedAt ? `  revoked ${new Date(k.revokedAt).toISOString()}` : ''}`,
            );
        }
        break;
      case 'key rotate': {
        const { project, apiKey, revoked } = await a.rotateKey(need('a project name or id'));
        out(`New API key for ${project.name} (shown once): ${apiKey}`);
        if (revoked.length) out(`Revoked: ${revoked.map((p) => `${p}…`).join(', ')}`);
        break;
      }
      case 'key revoke': {
        const k = await a.revokeKey(need('a key prefix'));
        out(`Revoked ${k.kind} key ${k.prefix}… of project ${k.projectId}.`);
        break;
      }
      case 'token create': {
        const { project, token } = await a.createReadToken(need('a project name or id'));
        out(`Read token for ${project.name} (shown once): ${token}`);
        break;
      }
      case 'user create': {
        const email = need('an email');
        const password = (parsed.flags.get('password') as string | undefined) ?? (await readPassword());
        const user = await a.createUser(email, password);
        out(`User ${user.email} created.`);
        break;
      }
    }
  } finally {
    await storage.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const parsed = parse(argv);
  if (parsed.flags.get('help') || parsed.args.length === 0 || parsed.args[0] === 'help') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (parsed.args[0] === 'start') return start(parsed.flags);
  return admin(parsed);
}

/** What a closed stdout or stderr does: end at once, or, once serving, shut down gracefully. */
let onClosedPipe = (code: number): void => process.exit(code);
endQuietlyOnClosedPipe(undefined, (code) => onClosedPipe(code));
main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`agentsudo-server: ${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `agentsudo-server: ${err instanceof AdminError || err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
