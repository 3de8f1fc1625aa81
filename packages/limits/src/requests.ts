import type { ReserveRequest } from '@agentsudo/core';
import { LimitRequestError } from './errors';

/**
 * The longest window a store accepts: 366 days, longer than any budget period.
 *
 * @example
 * ```ts
 * const yearly = { max: 12_000, windowMs: Math.min(365 * 86_400_000, MAX_WINDOW_MS) };
 * ```
 */
export const MAX_WINDOW_MS = 366 * 86_400_000;
const MAX_KEY_LENGTH = 512;
const MAX_RESERVATION_ID_LENGTH = 200;

/**
 * What {@link LimitStore.settle} takes, as core declares it.
 *
 * @example
 * ```ts
 * const req: SettleRequest = { key: 'RefundBot:write:refunds:budget', reservationId, actual: 80, windowMs: 86_400_000 };
 * ```
 */
export interface SettleRequest {
  key: string;
  reservationId: string;
  actual: number;
  windowMs: number;
}

/** Refuses a reserve request a store cannot use, naming the field; both stores share these rules. */
export function checkReserveRequest(req: ReserveRequest): void {
  if (typeof req !== 'object' || req === null)
    throw new LimitRequestError(
      'reserve request',
      req,
      'an object { key, amount, max, windowMs, reservationId }',
    );
  checkKey(req.key);
  checkUnits('amount', req.amount);
  checkUnits('max', req.max);
  checkWindow(req.windowMs);
  checkReservationId(req.reservationId);
}

/** Refuses a settle request a store cannot use, naming the field. */
export function checkSettleRequest(req: SettleRequest): void {
  if (typeof req !== 'object' || req === null)
    throw new LimitRequestError('settle request', req, 'an object { key, reservationId, actual, windowMs }');
  checkKey(req.key);
  checkReservationId(req.reservationId);
  checkUnits('actual', req.actual);
  checkWindow(req.windowMs);
}

/** Refuses a timeout that is not a positive whole number of milliseconds. */
export function checkTimeout(timeoutMs: number): void {
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)
    throw new LimitRequestError(
      'timeoutMs',
      timeoutMs,
      'a whole number of milliseconds, 1 or more (the default is 1000)',
    );
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH)
    throw new LimitRequestError('key', key, `a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
}

function checkReservationId(id: unknown): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_RESERVATION_ID_LENGTH)
    throw new LimitRequestError(
      'reservationId',
      id,
      `a non-empty string of at most ${MAX_RESERVATION_ID_LENGTH} characters, unique per call (a UUID)`,
    );
}

function checkUnits(field: string, value: unknown): void {
  // Amounts are doubles in both stores: whole numbers up to 2^53 add up exactly, so a
  // budget in cents is exact where one in fractions of a euro would round.
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > Number.MAX_SAFE_INTEGER)
    throw new LimitRequestError(field, value, `a finite number from 0 to ${Number.MAX_SAFE_INTEGER}`);
}

function checkWindow(windowMs: unknown): void {
  if (
    typeof windowMs !== 'number' ||
    !Number.isSafeInteger(windowMs) ||
    windowMs < 1 ||
    windowMs > MAX_WINDOW_MS
  )
    throw new LimitRequestError(
      'windowMs',
      windowMs,
      `a whole number of milliseconds from 1 to ${MAX_WINDOW_MS} (366 days)`,
    );
}
