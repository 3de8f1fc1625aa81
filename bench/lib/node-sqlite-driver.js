'use strict';
/**
 * The server's SQLite driver (packages/server/src/storage/sqlite-driver.ts) rewritten on
 * Node's built-in `node:sqlite` (Node 22.13 and later), with the same connections, pragmas,
 * statement cache and write queue, so that bench/sqlite-engines.bench.js runs the server's
 * real storage on both engines and the difference is the engine alone.
 *
 * @example
 * const { openStorageOn } = require('../../packages/server/dist/storage/open');
 * const storage = await openStorageOn(new NodeSqliteDriver('/tmp/x.db'));
 */
const MAX_CACHED_STATEMENTS = 256;

class NodeSqliteDriver {
  constructor(file) {
    const { DatabaseSync } = require('node:sqlite');
    this.dialect = 'sqlite';
    this.file = file;
    this.queue = Promise.resolve();
    this.statements = new Map();
    this.writer = new DatabaseSync(file);
    for (const pragma of [
      'busy_timeout = 5000',
      'journal_mode = WAL',
      'synchronous = NORMAL',
      'foreign_keys = ON',
      'cache_size = -65536',
      'wal_autocheckpoint = 10000',
      'case_sensitive_like = ON',
    ])
      this.writer.exec(`PRAGMA ${pragma}`);
    this.reader = new DatabaseSync(file);
    for (const pragma of ['busy_timeout = 5000', 'cache_size = -32768', 'case_sensitive_like = ON'])
      this.reader.exec(`PRAGMA ${pragma}`);
    this.statements.set(this.writer, new Map());
    this.statements.set(this.reader, new Map());
  }

  all(sql, params = []) {
    try {
      return Promise.resolve(this.prepare(this.reader, sql).all(...bind(params)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  run(sql, params = []) {
    return this.enqueue(() => Number(this.prepare(this.writer, sql).run(...bind(params)).changes));
  }

  transaction(fn) {
    return this.enqueue(async () => {
      const tx = {
        all: async (sql, params = []) => this.prepare(this.writer, sql).all(...bind(params)),
        run: async (sql, params = []) => Number(this.prepare(this.writer, sql).run(...bind(params)).changes),
      };
      this.writer.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(tx);
        this.writer.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.writer.isTransaction) this.writer.exec('ROLLBACK');
        throw err;
      }
    });
  }

  externalCommits() {
    return this.writer.prepare('PRAGMA data_version').get().data_version;
  }

  async close() {
    await this.queue.catch(() => undefined);
    this.reader.close();
    this.writer.close();
  }

  enqueue(work) {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  prepare(db, sql) {
    const cache = this.statements.get(db);
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  }
}

/** Like better-sqlite3, node:sqlite takes no booleans or undefined: store 0/1 and NULL. */
function bind(params) {
  for (const p of params)
    if (p === undefined || typeof p === 'boolean')
      return params.map((v) => (v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v));
  return params;
}

module.exports = { NodeSqliteDriver };
