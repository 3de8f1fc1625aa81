import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Pool } from 'pg';
import type { LimitStore } from '@agentsudo/core';
import { postgresLimitStore, redisLimitStore } from '../src';

/** A fresh name, so tests sharing the run's servers never see each other's counters. */
export const unique = (prefix: string) => `${prefix}${randomBytes(6).toString('hex')}`;

export function redisUrl(): string {
  const url = process.env.AGENTSUDO_TEST_REDIS_URL;
  if (!url)
    throw new Error(
      'AGENTSUDO_TEST_REDIS_URL is not set; run the tests through jest (its global setup starts Redis).',
    );
  return url;
}

export function postgresUrl(): string {
  const url = process.env.AGENTSUDO_TEST_DATABASE_URL;
  if (!url)
    throw new Error(
      'AGENTSUDO_TEST_DATABASE_URL is not set; run the tests through jest (its global setup starts PostgreSQL).',
    );
  return url;
}

/** Where a store keeps its counters: a Redis key prefix, or a PostgreSQL table. */
export interface Place {
  prefix?: string;
  table?: string;
}

/** One store under test: how to open one on a fresh place, and what to close after the file. */
export interface StoreKind {
  name: 'redis' | 'postgres';
  /** A store on a fresh prefix or table; `now` replaces the server's clock. */
  open(options?: { now?: () => number; timeoutMs?: number }): LimitStore & { place: Place };
  close(): Promise<void>;
}

/** Both stores, for describe.each: Redis through ioredis, PostgreSQL through a pg Pool. */
export function storeKinds(): StoreKind[] {
  let redis: Redis | undefined;
  let pool: Pool | undefined;
  const tables: string[] = [];
  return [
    {
      name: 'redis',
      open(options = {}) {
        redis ??= new Redis(redisUrl());
        const place = { prefix: unique('agentsudo-test:') + ':' };
        return Object.assign(redisLimitStore({ client: redis, timeoutMs: 20_000, ...place, ...options }), {
          place,
        });
      },
      async close() {
        await redis?.quit();
      },
    },
    {
      name: 'postgres',
      open(options = {}) {
        pool ??= new Pool({ connectionString: postgresUrl(), max: 10 });
        const place = { table: unique('limits_test_') };
        tables.push(place.table);
        return Object.assign(postgresLimitStore({ pool, timeoutMs: 20_000, ...place, ...options }), {
          place,
        });
      },
      async close() {
        if (!pool) return;
        for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`);
        await pool.end();
      },
    },
  ];
}

/** A clock the test moves by hand, in milliseconds. */
export function manualClock(start = 1_800_000_000_000): {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
} {
  let at = start;
  return { now: () => at, set: (ms) => (at = ms), advance: (ms) => (at += ms) };
}
