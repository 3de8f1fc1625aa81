import type { Agent } from './agent';

/**
 * Why a call was refused: the agent lacks the `scope`, a `condition` (`when`) failed, a
 * `rate_limit` or `budget` is used up, a `guardrail` refused the arguments, or an
 * `approval` was refused, timed out or could not be asked for.
 *
 * @example
 * ```ts
 * if (err instanceof PermissionDeniedError && err.reason === 'rate_limit') retryLater();
 * ```
 */
export type DenialReason = 'scope' | 'condition' | 'rate_limit' | 'budget' | 'guardrail' | 'approval';

/**
 * Every {@link DenialReason}, in a fixed order (the server validates and filters with it).
 *
 * @example
 * ```ts
 * DENIAL_REASONS.includes('budget'); // true
 * ```
 */
export const DENIAL_REASONS: readonly DenialReason[] = Object.freeze([
  'scope',
  'condition',
  'rate_limit',
  'budget',
  'guardrail',
  'approval',
]);

/**
 * Who is calling what: what a {@link Guard} may use besides the arguments.
 *
 * @example
 * ```ts
 * const ctx: GuardContext = { agent: bot, scope: 'write:refunds', functionName: 'Payments.refund' };
 * ```
 */
export interface GuardContext {
  readonly agent: Agent;
  readonly scope: string;
  readonly functionName: string;
}

/**
 * What a guard found. `refuse` stops the call (reason `guardrail`); `flag` lets it run and
 * records the finding on the call's event. The message names the argument (`args[1]`,
 * `args[0].body`) and the kind of content, never the content itself: events never carry
 * arguments.
 *
 * @example
 * ```ts
 * const finding: GuardFinding = { action: 'refuse', rule: 'prompt_injection.override',
 *   message: 'args[0] asks to ignore earlier instructions' };
 * ```
 */
export interface GuardFinding {
  action: 'refuse' | 'flag';
  /** Which rule matched, `<guard>.<rule>`: stable, for filters and metrics. */
  rule: string;
  /** One sentence for the developer; never quotes the argument. */
  message: string;
}

/**
 * Inspects a call's arguments in the process, before the call runs. Nothing leaves the
 * process. A synchronous guard keeps a synchronous function synchronous; a guard that
 * returns a Promise (a local model) makes the protected call return a Promise. A guard
 * that throws refuses the call: a decision that cannot be made denies.
 *
 * @example
 * ```ts
 * const noSql: Guard = {
 *   name: 'no_sql',
 *   inspect: (args) => JSON.stringify(args).includes('DROP TABLE')
 *     ? { action: 'refuse', rule: 'no_sql.drop', message: 'an argument holds DROP TABLE' }
 *     : undefined,
 * };
 * ```
 */
export interface Guard {
  /** Shown in events and errors, e.g. `prompt_injection`. */
  readonly name: string;
  inspect(
    args: readonly unknown[],
    ctx: GuardContext,
  ): GuardFinding | undefined | Promise<GuardFinding | undefined>;
}

/**
 * One request to a shared counter: take `amount` units from `key`, whose capacity is `max`
 * per `windowMs`. `reservationId` is unique per call, so a retry after a lost answer does
 * not take twice.
 *
 * @example
 * ```ts
 * const req: ReserveRequest = { key: 'RefundBot:write:refunds:budget', amount: 120, max: 500,
 *   windowMs: 86_400_000, reservationId: '0193…' };
 * ```
 */
export interface ReserveRequest {
  key: string;
  amount: number;
  max: number;
  windowMs: number;
  reservationId: string;
}

/**
 * The answer to a {@link ReserveRequest}: taken (`remaining` after it), or refused with what
 * is left and when `amount` will fit again.
 *
 * @example
 * ```ts
 * if (!result.ok) console.log(`retry in ${result.retryAfterMs} ms; ${result.remaining} left`);
 * ```
 */
export type ReserveResult =
  { ok: true; remaining: number } | { ok: false; remaining: number; retryAfterMs: number };

/**
 * Counters shared by every process (Redis, PostgreSQL), for exact rate limits and budgets
 * across instances. A call reserves before it runs and settles after with what it really
 * cost, so concurrent calls can never overshoot. Both operations are idempotent per
 * `reservationId`. A store that cannot answer rejects; the check then denies unless
 * `failOpen` is set.
 *
 * @example
 * ```ts
 * const r = await store.reserve({ key, amount: 1, max: 10, windowMs: 3_600_000, reservationId });
 * if (r.ok) { try { await call(); } finally { await store.settle({ key, reservationId, actual: 1, windowMs: 3_600_000 }); } }
 * ```
 */
export interface LimitStore {
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /** Replaces the reserved amount with `actual` (0 gives it all back). */
  settle(request: { key: string; reservationId: string; actual: number; windowMs: number }): Promise<void>;
  close?(): Promise<void>;
}
