import type { ApprovalVerdict } from '@agentsudo/core';

const MAX_HELD = 10_000;

/**
 * Verdicts an approver gave while the AI SDK asked `needsApproval` (a remembered grant, a
 * refusal), held for the `execute` of the same tool call that follows in the same run, so
 * the approver is asked once per call. Bounded: a run that never executes its call (aborted)
 * leaves at most {@link MAX_HELD} behind, the oldest dropped first.
 *
 * @example
 * ```ts
 * const held = new EarlyVerdicts();
 * held.hold('call-1', 'agent-1', input, { approved: true });
 * held.take('call-1', 'agent-1', input); // the verdict, once
 * ```
 */
export class EarlyVerdicts {
  private readonly held = new Map<string, { input: string; verdict: ApprovalVerdict }>();

  hold(toolCallId: string, agentId: string, input: unknown, verdict: ApprovalVerdict): void {
    const key = keyOf(toolCallId, agentId);
    this.held.delete(key);
    this.held.set(key, { input: inputKey(input), verdict });
    if (this.held.size > MAX_HELD) this.held.delete(this.held.keys().next().value as string);
  }

  /** The verdict held for this call, if the input is the one it was given for; removed. */
  take(toolCallId: string | undefined, agentId: string, input: unknown): ApprovalVerdict | undefined {
    if (typeof toolCallId !== 'string') return undefined;
    const key = keyOf(toolCallId, agentId);
    const entry = this.held.get(key);
    if (entry === undefined) return undefined;
    this.held.delete(key);
    return entry.input === inputKey(input) ? entry.verdict : undefined;
  }
}

function keyOf(toolCallId: string, agentId: string): string {
  return `${agentId}\u0000${toolCallId}`;
}

function inputKey(input: unknown): string {
  try {
    return JSON.stringify(input) ?? 'undefined';
  } catch {
    // Not serialisable: never equal to anything, so the approver is asked again.
    return `\u0000${Math.random()}`;
  }
}
