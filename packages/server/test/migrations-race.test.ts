import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS, openStorage, PostgresDriver, SqliteDriver, UnknownMigrationsError } from '../src';
import { backends } from './helpers';

/** Opens the storage in a child process at a signal (see the script); runs the built package. */
const SCRIPT = join(__dirname, 'fixtures', 'open-storage.js');
const DIST = join(__dirname, '..', 'dist', 'index.js');

const PROCESSES = 3;
const ROUNDS = 10;

interface Opener {
  /** Resolves once the child has loaded the package and waits for the signal. */
  ready: Promise<void>;
  go(): void;
  /** Exit code and stderr; the child is killed after a minute so a hang cannot hang the suite. */
  done: Promise<{ code: number | null; stderr: string }>;
}

function opener(options: object): Opener {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('ready')) resolve();
    });
    child.on('close', () => reject(new Error(`opener exited before it was ready: ${stderr}`)));
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    }),
  );
  return { ready, go: () => child.stdin.end('go\n'), done };
}

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` before these tests.`);
});

describe.each(backends())('first starts on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test(`${PROCESSES} processes opening a fresh database at once all start, ${ROUNDS} rounds in a row`, async () => {
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const options = await backend.fresh();
      const openers = Array.from({ length: PROCESSES }, () => opener(options));
      await Promise.all(openers.map((o) => o.ready));
      for (const o of openers) o.go();
      for (const { code, stderr } of await Promise.all(openers.map((o) => o.done)))
        if (code !== 0) failures.push(`round ${round}: exit ${code}: ${stderr.trim()}`);

      const storage = await openStorage(options);
      await storage.close();
      const driver = options.databaseUrl
        ? new PostgresDriver(options.databaseUrl)
        : new SqliteDriver(options.db!);
      const versions = await driver.all<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      await driver.close();
      expect(versions.map((v) => Number(v.version))).toEqual(MIGRATIONS.map((m) => m.version));
    }
    expect(failures).toEqual([]);
  }, 300_000);

  test('a database migrated by a newer release is refused, naming the versions this release does not know', async () => {
    const options = await backend.fresh();
    await (await openStorage(options)).close();
    const driver = options.databaseUrl
      ? new PostgresDriver(options.databaseUrl)
      : new SqliteDriver(options.db!);
    await driver.run(
      'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?), (?, ?, ?)',
      [41, 'from the future', 1, 42, 'further still', 2],
    );
    await driver.close();

    const refused = await openStorage(options).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(UnknownMigrationsError);
    expect((refused as UnknownMigrationsError).versions).toEqual([41, 42]);
    expect((refused as Error).message).toMatch(/41, 42/);
    expect((refused as Error).message).toMatch(/newer release/);
  });
});
