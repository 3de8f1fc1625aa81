'use strict';
/**
 * The storage backends the server benchmarks run on: a SQLite file in a temp dir, and a
 * fresh PostgreSQL database (created, then dropped) when DATABASE_URL or
 * AGENTSUDO_TEST_DATABASE_URL names a server the benchmark may create databases on.
 *
 * @example
 * const results = await eachBackend(async (b) => (b.db ? runOnFile(b.db) : runOnUrl(b.databaseUrl)));
 * const { result } = await withPostgresDatabase(({ databaseUrl }) => runOnUrl(databaseUrl));
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { randomBytes } = require('node:crypto');
const { URL } = require('node:url');

async function adminQuery(adminUrl, sql) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Calls fn({ name: 'SQLite', db }) and, if configured, fn({ name: 'PostgreSQL', databaseUrl }). */
async function eachBackend(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'agentsudo-bench-'));
  const results = [];
  try {
    results.push(await fn({ name: 'SQLite', db: join(dir, 'bench.db') }));
    const postgres = await withPostgresDatabase((b) => fn({ name: 'PostgreSQL', ...b }));
    if (postgres.skipped)
      console.log(
        'note: PostgreSQL skipped; set DATABASE_URL to a server this benchmark may create databases on.',
      );
    else results.push(postgres.result);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Calls fn({ databaseUrl, adminUrl }) with a fresh PostgreSQL database, dropped afterwards;
 * resolves with `{ result }`, or `{ skipped: true }` when neither DATABASE_URL nor
 * AGENTSUDO_TEST_DATABASE_URL names a server.
 */
async function withPostgresDatabase(fn) {
  const adminUrl = process.env.DATABASE_URL || process.env.AGENTSUDO_TEST_DATABASE_URL;
  if (!adminUrl) return { skipped: true };
  const name = `agentsudo_bench_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return { result: await fn({ databaseUrl: url.toString(), adminUrl }) };
  } finally {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

module.exports = { eachBackend, withPostgresDatabase };
