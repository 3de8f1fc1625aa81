import { createHash } from 'node:crypto';
import type { LimitStore, ReserveRequest, ReserveResult } from '@agentsudo/core';
import { withDeadline } from './deadline';
import { LimitRequestError, LimitStoreUnavailableError } from './errors';
import { checkReserveRequest, checkSettleRequest, checkTimeout, type SettleRequest } from './requests';

/**
 * What the Redis store needs of a client: running a Lua script by its SHA-1, or by its text.
 * An `ioredis` client (`new Redis(url)`) has both as they are.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * const client: RedisScriptClient = new Redis('redis://127.0.0.1:6379');
 * ```
 */
export interface RedisScriptClient {
  evalsha(sha1: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/**
 * Options of {@link redisLimitStore}.
 *
 * @example
 * ```ts
 * const options: RedisLimitStoreOptions = { client: new Redis(url), prefix: 'shop:limits:', timeoutMs: 500 };
 * ```
 */
export interface RedisLimitStoreOptions {
  /** Your client (ioredis 5 or later); the store never closes it. */
  client: RedisScriptClient;
  /** Put before every key the store writes; default `agentsudo:limits:`. */
  prefix?: string;
  /**
   * How long a reserve or settle may wait for Redis before it rejects with
   * {@link LimitStoreUnavailableError}; default 1000 ms. ioredis queues commands while it
   * reconnects, so without this a call would wait for as long as Redis is down.
   */
  timeoutMs?: number;
  /**
   * The clock, in milliseconds since the epoch. By default Redis's own (`TIME`), one clock for
   * every process whatever their own clocks say; give one to test the window's edge.
   */
  now?: () => number;
}

// Per limit key, three Redis keys in one hash slot ({key}), so the store works on a cluster:
//   log     sorted set: reservation id -> the millisecond it was taken
//   amounts hash: reservation id -> "<amount> <remaining in the first answer>"
//   total   the sum of the amounts in the log, so a reserve does not add the whole log up
// A reservation taken at t counts while now < t + windowMs and leaves at t + windowMs.
const LUA_HELPERS = `
local function fmt(x) return string.format('%.17g', x) end
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function amount_of(v) return tonumber(string.match(v, '^(%S+)')) end
`;

const RESERVE_LUA = `${LUA_HELPERS}
local amount, max, window, id = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local now = clock(ARGV[5])
local total = tonumber(redis.call('GET', KEYS[3]) or '0')

-- Reservations taken at or before now - window have left it: their units come back.
local cutoff = now - window
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff)
for i = 1, #gone, 1000 do
  local batch = {}
  for j = i, math.min(i + 999, #gone) do
    local v = redis.call('HGET', KEYS[2], gone[j])
    if v then total = total - amount_of(v) end
    batch[#batch + 1] = gone[j]
  end
  redis.call('HDEL', KEYS[2], unpack(batch))
end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cutoff) end
-- An empty log holds nothing: drop what rounding may have left in the total.
if redis.call('ZCARD', KEYS[1]) == 0 then total = 0 end

local function keep_total()
  if redis.call('ZCARD', KEYS[1]) == 0 then
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  else
    redis.call('SET', KEYS[3], fmt(total), 'PX', window)
    redis.call('PEXPIRE', KEYS[1], window)
    redis.call('PEXPIRE', KEYS[2], window)
  end
end

-- A retry of a reservation still in the window gets its first answer and takes nothing.
local prior = redis.call('HGET', KEYS[2], id)
if prior then
  keep_total()
  return {'ok', string.match(prior, '^%S+ (%S+)$')}
end

if total + amount <= max then
  local remaining = max - total - amount
  redis.call('ZADD', KEYS[1], now, id)
  redis.call('HSET', KEYS[2], id, fmt(amount) .. ' ' .. fmt(remaining))
  total = total + amount
  keep_total()
  return {'ok', fmt(remaining)}
end

-- Refused: the amount fits once enough of the oldest reservations have left the window.
local retry = -1
if amount <= max then
  local freed, last = 0, nil
  local start = 0
  while retry < 0 do
    local page = redis.call('ZRANGE', KEYS[1], start, start + 499, 'WITHSCORES')
    if #page == 0 then break end
    for i = 1, #page, 2 do
      last = tonumber(page[i + 1])
      freed = freed + amount_of(redis.call('HGET', KEYS[2], page[i]))
      if total - freed + amount <= max then retry = last + window - now break end
    end
    start = start + 500
  end
  -- Rounding can leave a trace in the total: once every reservation has left, it fits.
  if retry < 0 and last then retry = last + window - now end
end
keep_total()
local left = max - total
if left < 0 then left = 0 end
return {'refused', fmt(left), fmt(retry)}
`;

const SETTLE_LUA = `${LUA_HELPERS}
local id, actual = ARGV[1], tonumber(ARGV[2])
local v = redis.call('HGET', KEYS[2], id)
-- Unknown: never taken, or already out of the window (its units are back already).
if not v then return 0 end
local total = tonumber(redis.call('GET', KEYS[3]) or '0') - amount_of(v) + actual
redis.call('SET', KEYS[3], fmt(total), 'KEEPTTL')
redis.call('HSET', KEYS[2], id, fmt(actual) .. ' ' .. string.match(v, '^%S+ (%S+)$'))
return 1
`;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const RESERVE_SHA = sha1(RESERVE_LUA);
const SETTLE_SHA = sha1(SETTLE_LUA);

/**
 * Exact rate limits and budgets shared by every process, in Redis (6.0 or later): a sliding
 * log per key, checked and taken in one Lua script, so concurrent reserves from any number
 * of processes never take more than `max` in any `windowMs`. See docs/limits.md for the
 * window's edge, idempotency and what happens when Redis is down.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * const store = redisLimitStore({ client: new Redis(process.env.REDIS_URL!) });
 * const r = await store.reserve({ key: 'RefundBot:write:refunds', amount: 1, max: 10, windowMs: 3_600_000, reservationId: randomUUID() });
 * ```
 */
export function redisLimitStore(options: RedisLimitStoreOptions): LimitStore {
  const {
    client,
    prefix = 'agentsudo:limits:',
    timeoutMs = 1000,
    now,
  } = options ?? ({} as RedisLimitStoreOptions);
  if (!client || typeof client.evalsha !== 'function' || typeof client.eval !== 'function')
    throw new LimitRequestError(
      'client',
      client,
      'a Redis client with eval and evalsha, such as new Redis(url) from ioredis',
    );
  if (typeof prefix !== 'string') throw new LimitRequestError('prefix', prefix, 'a string');
  checkTimeout(timeoutMs);

  const keysOf = (key: string) => {
    const tagged = `${prefix}{${key}}`;
    return [`${tagged}:log`, `${tagged}:amounts`, `${tagged}:total`];
  };

  /** Runs a script by its SHA-1, loading it with EVAL when this Redis has not seen it yet. */
  async function run(
    sha: string,
    script: string,
    keys: string[],
    args: (string | number)[],
  ): Promise<unknown> {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return client.eval(script, keys.length, ...keys, ...args);
    }
  }

  function call(operation: 'reserve' | 'settle', key: string, work: Promise<unknown>): Promise<unknown> {
    const unavailable = (timedOut: boolean, cause?: unknown) =>
      new LimitStoreUnavailableError({ store: 'redis', operation, key, timedOut, timeoutMs, cause });
    return withDeadline(work, timeoutMs, () => unavailable(true)).catch((e: unknown) => {
      throw e instanceof LimitStoreUnavailableError ? e : unavailable(false, e);
    });
  }

  return {
    async reserve(req: ReserveRequest): Promise<ReserveResult> {
      checkReserveRequest(req);
      const at = now === undefined ? '' : String(Math.floor(now()));
      const work = run(RESERVE_SHA, RESERVE_LUA, keysOf(req.key), [
        String(req.amount),
        String(req.max),
        String(req.windowMs),
        req.reservationId,
        at,
      ]);
      const reply = (await call('reserve', req.key, work)) as string[];
      if (reply[0] === 'ok') return { ok: true, remaining: Number(reply[1]) };
      const retry = Number(reply[2]);
      // -1: the amount is more than max, so it never fits.
      return { ok: false, remaining: Number(reply[1]), retryAfterMs: retry < 0 ? Infinity : retry };
    },

    async settle(req: SettleRequest): Promise<void> {
      checkSettleRequest(req);
      await call(
        'settle',
        req.key,
        run(SETTLE_SHA, SETTLE_LUA, keysOf(req.key), [req.reservationId, String(req.actual)]),
      );
    },
  };
}
