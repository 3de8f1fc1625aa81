import { describeOutcome, describeSubject, toWire, type SudoEvent } from '@agentsudo/core';
import type { ConsoleLevel } from './levels';

const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const RESET = '\x1b[39m';

/**
 * One readable line: time, outcome, agent, scope and function.
 *
 * @example
 * ```ts
 * renderPretty(event, false);
 * // 2026-01-01T00:00:00.000Z agentsudo ❌ denied SupportBot → write:refunds (CustomerService.processRefund)
 * ```
 */
export function renderPretty(event: SudoEvent, color: boolean): string {
  const outcome = describeOutcome(event);
  const painted = color ? `${colorOf(event)}${outcome}${RESET}` : outcome;
  return `${event.timestamp} agentsudo ${painted} ${describeSubject(event)}`;
}

/**
 * The event's wire form (the same JSON the file log and the dashboard use) with its level.
 *
 * @example
 * ```ts
 * renderJson(event, 'error'); // {"level":"error","event_id":"…","agent_name":"SupportBot",…}
 * ```
 */
export function renderJson(event: SudoEvent, level: ConsoleLevel): string {
  return JSON.stringify({ level, ...toWire(event) });
}

/** Green for what went through, red for what was stopped, yellow for audit-mode violations. */
function colorOf(event: SudoEvent): string {
  if (event.action === 'audit_violation') return YELLOW;
  return event.allowed ? GREEN : RED;
}

/**
 * Whether to color: only for a terminal, and never when `NO_COLOR` is set to a non-empty
 * value (https://no-color.org).
 *
 * @example
 * ```ts
 * colorWanted(process.stderr, process.env); // false when piped or NO_COLOR=1
 * ```
 */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}
