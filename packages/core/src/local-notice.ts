import type { SudoAction, SudoEvent } from './events';
import type { Transport } from './transport';

/**
 * Local-only mode: what AgentSudo does with no transport configured. Each denial,
 * audit violation, refused approval and expired session prints one readable line on
 * stderr; allowed checks stay silent (and cost nothing, as no event is built for them).
 *
 * @example
 * ```ts
 * configure({ transports: [] }); // back to local-only mode
 * // stderr: agentsudo: ❌ denied SupportBot → write:refunds (CustomerService.processRefund)
 * ```
 */
export class LocalNoticeTransport implements Transport {
  readonly name = 'local-notice';

  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(line)) {}

  wants(action: SudoAction, allowed: boolean): boolean {
    return !allowed && action !== 'session_start' && action !== 'session_end';
  }

  log(event: SudoEvent): void {
    this.write(`agentsudo: ${describeOutcome(event)} ${describeSubject(event)}\n`);
  }
}

/**
 * A short human word for an event's outcome, shared by the readable outputs.
 *
 * @example
 * ```ts
 * describeOutcome({ action: 'audit_violation', allowed: false } as SudoEvent); // '⚠ audit'
 * ```
 */
export function describeOutcome(event: Pick<SudoEvent, 'action' | 'allowed'>): string {
  switch (event.action) {
    case 'audit_violation':
      return '⚠ audit';
    case 'approval_granted':
      return '✅ approved';
    case 'approval_denied':
      return '❌ refused';
    case 'session_expired':
      return '❌ expired';
    case 'session_start':
      return '▶ session start';
    case 'session_end':
      return '■ session end';
    default:
      return event.allowed ? '✅ allowed' : '❌ denied';
  }
}

/**
 * Who did what, for the readable outputs: `SupportBot → write:refunds (CustomerService.processRefund)`,
 * or `SupportBot (session 9d2a41c3)` for a session's start and end.
 *
 * @example
 * ```ts
 * `${describeOutcome(event)} ${describeSubject(event)}`; // '❌ denied SupportBot → write:refunds (refund)'
 * ```
 */
export function describeSubject(
  event: Pick<SudoEvent, 'action' | 'agentName' | 'scope' | 'functionName' | 'sessionId'>,
): string {
  if (event.action === 'session_start' || event.action === 'session_end') {
    return event.sessionId ? `${event.agentName} (session ${event.sessionId.slice(0, 8)})` : event.agentName;
  }
  return `${event.agentName} → ${event.scope ?? '-'} (${event.functionName ?? '-'})`;
}
