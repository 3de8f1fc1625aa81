import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ApprovalPendingError,
  ConfigurationError,
  PermissionDeniedError,
  sudo,
  type Agent,
  type Approver,
} from '@agentsudo/core';
import { cloudApproval, type CloudApprovalOptions } from '@agentsudo/transport-cloud';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { denialResult } from './denial-result';
import { APPROVAL_META_KEY } from './scope-meta';

/**
 * The options of `cloudApproval` for tools over MCP. `waitMs` (default 50,000, or `timeoutMs`
 * when shorter) keeps a call under the 60 s after which MCP clients give up on it.
 *
 * @example
 * ```ts
 * const approval: McpApprovalOptions = { timeoutMs: 3_600_000, waitMs: 50_000 };
 * ```
 */
export type McpApprovalOptions = Omit<CloudApprovalOptions, 'wait'>;

/**
 * What the caller is told about a call that waits for a person's decision, in the result's
 * `_meta['agentsudo/approval']` (for programs) and its text (for the model).
 *
 * @example
 * ```ts
 * const pending = result._meta?.[APPROVAL_META_KEY] as PendingToolApproval;
 * ```
 */
export interface PendingToolApproval {
  tool: string;
  agent: string;
  scope: string;
  /** The request on the AgentSudo server, as its dashboard lists it. */
  approvalId: string;
  /** When the request expires unanswered (ISO 8601), when known. */
  expiresAt?: string;
}

/** How long an MCP call waits for a decision by default: under the usual 60 s client timeout. */
export const DEFAULT_MCP_APPROVAL_WAIT_MS = 50_000;
const DEFAULT_TIMEOUT_MS = 300_000;

/**
 * The approver of `guardMcpServer`'s `approval` option: an approver as given, or
 * `cloudApproval` over the options with a bounded wait.
 *
 * @example
 * ```ts
 * const approver = mcpApprover({ timeoutMs: 600_000 }, 'guardMcpServer');
 * ```
 * @throws ConfigurationError (or `CloudConfigError`) when the option is invalid.
 */
export function mcpApprover(approval: Approver | McpApprovalOptions, where: string): Approver {
  if (typeof approval === 'function') return approval;
  if (typeof approval !== 'object' || approval === null || Array.isArray(approval)) {
    throw new ConfigurationError(
      `${where}: approval must be cloudApproval's options (like { timeoutMs: 600_000 }) or an approver function, got ${String(approval)}.`,
    );
  }
  if ((approval as { wait?: unknown }).wait !== undefined) {
    throw new ConfigurationError(
      `${where}: approval.wait is not an option here: an MCP call waits at most approval.waitMs ` +
        `(default ${DEFAULT_MCP_APPROVAL_WAIT_MS} ms), then answers that it awaits approval. Drop wait.`,
    );
  }
  const waitMs =
    approval.waitMs ?? Math.min(DEFAULT_MCP_APPROVAL_WAIT_MS, approval.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return cloudApproval({ ...approval, wait: true, waitMs });
}

/** The call in flight, for the protected function that runs the tool. */
interface CallInFlight {
  run: () => Promise<unknown>;
  /** Set once the tool itself runs: a refusal after that is the tool's own, not the guard's. */
  entered: boolean;
}

/**
 * Calls that need approval, for one guarded server: asks the approver about a call the
 * agent lacks the tool's scope for, through core's `sudo()`, so the approval's events and
 * errors are those of `@Sudo`. One protected function per tool and scope, made once (each
 * is registered for good), and the call in flight reaches it through AsyncLocalStorage: the
 * MCP arguments are its only argument, since they are what an approval is bound to.
 *
 * @example
 * ```ts
 * const approvals = new ToolApprovals(mcpApprover({ timeoutMs: 600_000 }, 'guardMcpServer'));
 * agent.startSession(() => approvals.call(agent, 'refund', 'write:refunds', args, run));
 * ```
 */
export class ToolApprovals {
  private readonly inFlight = new AsyncLocalStorage<CallInFlight>();
  private readonly protectedTools = new Map<string, (args: unknown) => Promise<unknown>>();

  constructor(private readonly approver: Approver) {}

  /**
   * Runs `run` if the approver approves the call by `agent` to `tool` (which needs `scope`,
   * which the agent lacks). Answers the tool's own result, an "awaits approval" result, or a
   * refusal with reason `approval`. Must run in the agent's session.
   *
   * @example
   * ```ts
   * await approvals.call(agent, 'refund', 'write:refunds', { orderId: 'o-7' }, () => sdkCall(request, extra));
   * ```
   */
  async call(
    agent: Agent,
    tool: string,
    scope: string,
    args: unknown,
    run: () => Promise<unknown>,
  ): Promise<unknown> {
    const call: CallInFlight = { run, entered: false };
    try {
      return await this.inFlight.run(call, () => this.protectedTool(tool, scope)(args));
    } catch (error) {
      // A refusal from inside the tool is the tool's own: the SDK answers it as usual.
      if (call.entered) throw error;
      if (error instanceof ApprovalPendingError) {
        return awaitingApprovalResult({
          tool,
          agent: agent.name,
          scope,
          approvalId: error.approvalId,
          ...(error.expiresAt ? { expiresAt: error.expiresAt } : {}),
        });
      }
      if (error instanceof PermissionDeniedError) {
        const why = error.cause instanceof Error ? ` ${error.cause.message}` : '';
        return denialResult({
          tool,
          agent: agent.name,
          reason: 'approval',
          scope,
          message:
            `Agent '${agent.name}' lacks scope '${scope}' for MCP tool '${tool}', and the approval it needs was not given.${why} ` +
            `The call was not run: carry on without this tool, or ask the person who runs this server.`,
        });
      }
      throw error;
    }
  }

  private protectedTool(tool: string, scope: string): (args: unknown) => Promise<unknown> {
    const key = JSON.stringify([tool, scope]);
    let protectedTool = this.protectedTools.get(key);
    if (protectedTool === undefined) {
      const inFlight = this.inFlight;
      protectedTool = sudo(
        scope,
        async function runTool(_args: unknown) {
          const call = inFlight.getStore() as CallInFlight;
          call.entered = true;
          return call.run();
        },
        { name: tool, onDeny: this.approver },
      );
      this.protectedTools.set(key, protectedTool);
    }
    return protectedTool;
  }
}

/**
 * The MCP answer to a call that waits for a person's decision: an `isError` tool result
 * naming the approval request and what to do, so the model tells the user and calls again.
 *
 * @example
 * ```ts
 * awaitingApprovalResult({ tool: 'refund', agent: 'RefundBot', scope: 'write:refunds', approvalId });
 * ```
 */
export function awaitingApprovalResult(pending: PendingToolApproval): CallToolResult {
  const until = pending.expiresAt ? ` before ${pending.expiresAt}` : '';
  return {
    content: [
      {
        type: 'text',
        text:
          `The call to MCP tool '${pending.tool}' awaits approval: agent '${pending.agent}' lacks scope ` +
          `'${pending.scope}', so approval request ${pending.approvalId} waits on the AgentSudo server, and the ` +
          `call did not run. Approve it in the dashboard${until}, then call the tool again with the same ` +
          `arguments: it then runs once.`,
      },
    ],
    isError: true,
    _meta: { [APPROVAL_META_KEY]: pending },
  };
}
