import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { postgresUrl, redisUrl, storeKinds, unique } from './helpers';

/** The child processes run the built package, as users do. */
const SCRIPT = join(__dirname, 'fixtures', 'reserve-burst.js');
const DIST = join(__dirname, '..', 'dist', 'index.js');

const PROCESSES = 4;
const CALLS = 50;
const MAX = 100;

interface Burst {
  /** Resolves once the child has opened its store and waits for the signal. */
  ready: Promise<void>;
  go(): void;
  /** Its counts; the child is killed after two minutes so a hang cannot hang the suite. */
  done: Promise<{ taken: number; refused: number }>;
}

function burst(options: object): Burst {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('ready\n')) resolve();
    });
    child.on('close', () => reject(new Error(`the process ended before it was ready: ${stderr}`)));
  });
  const done = new Promise<{ taken: number; refused: number }>((resolve, reject) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      if (code !== 0) return reject(new Error(`exit ${code}: ${stderr}`));
      resolve(JSON.parse(stdout.split('\n').filter(Boolean).pop()!));
    }),
  );
  return { ready, go: () => child.stdin.end('go\n'), done };
}

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` before these tests.`);
});

describe.each(storeKinds())('the $name limit store across processes', (kind) => {
  afterAll(() => kind.close());

  test(`${PROCESSES} processes x ${CALLS} concurrent reserves against max ${MAX}: exactly ${MAX} are taken`, async () => {
    const place =
      kind.name === 'redis' ? { prefix: `${unique('agentsudo-test:')}:` } : { table: unique('limits_test_') };
    const url = kind.name === 'redis' ? redisUrl() : postgresUrl();
    const key = unique('RefundBot:write:refunds:');
    const bursts = Array.from({ length: PROCESSES }, () =>
      burst({ kind: kind.name, url, ...place, key, calls: CALLS, max: MAX, windowMs: 3_600_000 }),
    );
    let counts: { taken: number; refused: number }[];
    try {
      await Promise.all(bursts.map((b) => b.ready));
      for (const b of bursts) b.go();
      counts = await Promise.all(bursts.map((b) => b.done));
    } finally {
      if (place.table) await dropTable(place.table);
    }

    const taken = counts.reduce((sum, c) => sum + c.taken, 0);
    const refused = counts.reduce((sum, c) => sum + c.refused, 0);
    expect({ taken, refused }).toEqual({ taken: MAX, refused: PROCESSES * CALLS - MAX });
  }, 180_000);
});

/** Drops the table the processes made. */
async function dropTable(table: string): Promise<void> {
  const client = new Client({ connectionString: postgresUrl() });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.end();
}
