export { redisLimitStore, type RedisLimitStoreOptions, type RedisScriptClient } from './redis-store';
export {
  postgresLimitStore,
  type PostgresLimitStoreOptions,
  type PgPool,
  type PgPoolClient,
} from './postgres-store';
export { LimitStoreUnavailableError, LimitRequestError, type LimitStoreKind } from './errors';
export { MAX_WINDOW_MS, type SettleRequest } from './requests';
