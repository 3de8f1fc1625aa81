import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ApprovalPendingError,
  ConfigurationError,
  PermissionDeniedError,
  assertValidScope,
  createEvent,
  recordEvent,
  sudo,
  type Agent,
  type ApprovalVerdict,
  type Approver,
  type OnDeny,
  type SudoAction,
} from '@agentsudo/core';
import {
  approvalMapping,
  askApprover,
  type ApprovalMapping,
  type ToolApprovalOptions,
} from './approval-mapping';
import { deniedToolText, type ToolDenial } from './denial-text';
import { UnknownRunAgentError, UnlistedToolError } from './errors';
import { runAgentLookup, type FoundAgent, type RunAgent } from './run-agent';
import type { FunctionToolLike, RunContextLike, ToolCallDetailsLike } from './sdk-shapes';

/**
 * Options of {@link guardTools}.
 *
 * @example
 * ```ts
 * const options: GuardToolsOptions = {
 *   agent: supportBot,
 *   scopes: { getCustomer: 'read:customers', processRefund: 'write:refunds' },
 *   approval: { scopes: ['write:refunds'] },
 * };
 * ```
 */
export interface GuardToolsOptions<TContext = any> {
  /** The agent whose scopes decide, or a function of the run's context that names it. */
  agent: RunAgent<TContext>;
  /** Tool name to the scope it needs. */
  scopes: Readonly<Record<string, string>>;
  /** Tools missing from `scopes`: `'deny'` (default) refuses every call; `'allow'` runs them unchecked. */
  unlisted?: 'deny' | 'allow';
  /**
   * A refused call: `'result'` (default) answers a tool result the model reads, naming the
   * missing scope, and the run goes on; `'throw'` makes the run fail with the
   * `PermissionDeniedError` (or `ApprovalPendingError`); `'log'` is audit mode: the call
   * runs and is recorded as `audit_violation`.
   */
  onDeny?: 'result' | 'throw' | 'log';
  /**
   * Calls to ask a person about instead of refusing: such a tool is marked `needsApproval`
   * while the agent lacks its scope, and the request is held by the AgentSudo server (or
   * decided by the `approver` given).
   */
  approval?: Approver | ToolApprovalOptions;
}

/** The call being made, for the check's function and approver (both run inside `sudo`). */
interface Invocation {
  run(): Promise<unknown>;
  /** Decided when the SDK asked needsApproval; used once, instead of asking again. */
  verdict: ApprovalVerdict | undefined;
  ran: boolean;
}

const invocations = new AsyncLocalStorage<Invocation>();
const WHERE = 'guardTools';
/** The agent name of the event of a call whose run named no agent (as in @agentsudo/mcp). */
const UNKNOWN_AGENT = '<unauthenticated>';

/**
 * Puts AgentSudo in front of OpenAI Agents SDK function tools. Each tool needs the scope
 * `scopes` gives it (a tool without one is refused unless `unlisted: 'allow'`); a refused
 * call answers a tool result the model reads (`Permission denied: SupportBot lacks scope
 * 'write:refunds' for tool 'processRefund'.`) and the run goes on; an allowed call runs in
 * the agent's session, so `@Sudo` methods it calls are checked as that agent. With
 * `approval`, a tool whose scope the agent lacks is marked `needsApproval`: the request is
 * made on the AgentSudo server at once, the run stops with an interruption, and a resumed
 * run executes the call only once the server says approved. Every check is an event whose
 * function name is the tool's name.
 *
 * @example
 * ```ts
 * import { Agent as SdkAgent, run, tool } from '@openai/agents';
 * import { guardTools } from '@agentsudo/openai-agents';
 *
 * const tools = guardTools([getCustomer, processRefund], {
 *   agent: supportBot,
 *   scopes: { getCustomer: 'read:customers', processRefund: 'write:refunds' },
 *   approval: { scopes: ['write:refunds'] },
 * });
 * const result = await run(new SdkAgent({ name: 'Support', tools }), 'Refund order o-7');
 * ```
 * @throws ConfigurationError when an option or a tool is invalid (at once, not on a call).
 */
export function guardTools<T extends FunctionToolLike>(tools: readonly T[], options: GuardToolsOptions): T[] {
  if (!Array.isArray(tools)) {
    throw new ConfigurationError(
      `${WHERE}(tools, options): tools must be an array of function tools made with tool(), got ${typeof tools}.`,
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(
      `${WHERE}(tools, options): options must be an object like { agent, scopes: { getCustomer: 'read:customers' } }.`,
    );
  }
  const { unlisted = 'deny', onDeny = 'result' } = options;
  if (unlisted !== 'deny' && unlisted !== 'allow') {
    throw new ConfigurationError(
      `${WHERE}: unlisted must be 'deny' (the default) or 'allow', got ${JSON.stringify(unlisted)}.`,
    );
  }
  if (onDeny !== 'result' && onDeny !== 'throw' && onDeny !== 'log') {
    throw new ConfigurationError(
      `${WHERE}: onDeny must be 'result' (the default), 'throw' or 'log', got ${JSON.stringify(onDeny)}.`,
    );
  }
  const agentOf = runAgentLookup(options.agent, WHERE);
  const approval = approvalMapping(options.approval, WHERE);
  if (approval !== undefined && onDeny === 'log') {
    throw new ConfigurationError(
      `${WHERE}: approval and onDeny: 'log' cannot go together: audit mode runs every call, so there is ` +
        `nothing left to approve. Remove one of them.`,
    );
  }
  const scopes = checkScopes(options.scopes, tools);
  const settings: Settings = { agentOf, approval, onDeny, unlisted };
  return tools.map((tool) => guardTool(tool, scopes.get(tool.name), settings));
}

interface Settings {
  agentOf: (runContext: RunContextLike | undefined) => FoundAgent | Promise<FoundAgent>;
  approval: ApprovalMapping | undefined;
  onDeny: 'result' | 'throw' | 'log';
  unlisted: 'deny' | 'allow';
}

function guardTool<T extends FunctionToolLike>(tool: T, scope: string | undefined, settings: Settings): T {
  const approval = scope !== undefined && settings.approval?.asks(scope) ? settings.approval : undefined;
  const sudoOnDeny: OnDeny =
    settings.onDeny === 'log' ? 'log' : approval !== undefined ? decidedOr(approval.approver) : 'raise';
  const check =
    scope === undefined ? undefined : sudo(scope, runInvocation, { name: tool.name, onDeny: sudoOnDeny });
  /** Verdicts reached in needsApproval, per run and tool call, for the invoke that follows. */
  const verdicts = new WeakMap<object, Map<string, ApprovalVerdict>>();

  const needsApproval = async (
    runContext: RunContextLike,
    input: unknown,
    callId?: string,
  ): Promise<boolean> => {
    const own = await tool.needsApproval(runContext, input, callId);
    if (approval === undefined || scope === undefined) return own;
    const { agent } = await settings.agentOf(runContext);
    // No agent, or one that holds the scope: invoke decides (and refuses or runs) on its own.
    if (agent === undefined || agent.hasScope(scope)) return own;
    // Asked now, so the request is on the server while the run waits at its interruption.
    const answer = await agent.startSession((session) =>
      askApprover(approval.approver, {
        agent,
        session,
        scope,
        functionName: tool.name,
        args: [input],
        reason: 'scope',
        isAsync: false,
      }),
    );
    if (answer.kind === 'pending') return true;
    if (callId !== undefined && typeof runContext === 'object' && runContext !== null) {
      let calls = verdicts.get(runContext);
      if (calls === undefined) verdicts.set(runContext, (calls = new Map()));
      calls.set(callId, answer.verdict);
    }
    return own;
  };

  const invoke = async (
    runContext: RunContextLike,
    input: string,
    details?: ToolCallDetailsLike,
  ): Promise<unknown> => {
    const callId = details?.toolCall?.callId;
    const calls =
      typeof runContext === 'object' && runContext !== null ? verdicts.get(runContext) : undefined;
    const verdict = callId === undefined ? undefined : calls?.get(callId);
    if (verdict !== undefined) calls!.delete(callId!);
    const run = () => tool.invoke(runContext, input, details);

    const found = await settings.agentOf(runContext);
    if (found.agent === undefined) {
      recordUnknownAgent(tool.name, scope);
      const error = new UnknownRunAgentError(tool.name, found.error);
      return refuse({ agent: UNKNOWN_AGENT, tool: tool.name, scope, reason: 'no_agent' }, error, settings);
    }
    const agent = found.agent;
    if (check === undefined) {
      if (settings.unlisted === 'allow') {
        return agent.startSession((session) => {
          recordCheck(agent, 'permission_check', true, tool.name, session.id);
          return run();
        });
      }
      recordCheck(agent, 'permission_check', false, tool.name, undefined, 'unlisted');
      const error = new UnlistedToolError(tool.name);
      return refuse({ agent: agent.name, tool: tool.name, scope, reason: 'unlisted' }, error, settings);
    }
    const invocation: Invocation = { run, verdict, ran: false };
    try {
      return await agent.startSession(() => invocations.run(invocation, () => check(parseInput(input))));
    } catch (error) {
      // An error of the tool itself (an @Sudo method it calls, say) is the tool's, not this check's.
      if (invocation.ran) throw error;
      if (error instanceof PermissionDeniedError) {
        return refuse({ agent: agent.name, tool: tool.name, scope, reason: error.reason }, error, settings);
      }
      if (error instanceof ApprovalPendingError) {
        return refuse(
          { agent: agent.name, tool: tool.name, scope, reason: 'approval_pending' },
          error,
          settings,
        );
      }
      throw error;
    }
  };

  const guarded = Object.create(Object.getPrototypeOf(tool), Object.getOwnPropertyDescriptors(tool)) as T;
  Object.defineProperties(guarded, {
    invoke: { value: invoke, enumerable: true, configurable: true, writable: true },
    needsApproval: { value: needsApproval, enumerable: true, configurable: true, writable: true },
  });
  return guarded;
}

/** The check's function: runs the current call's tool (sudo has decided by then). */
function runInvocation(_input: unknown): Promise<unknown> {
  const invocation = invocations.getStore()!;
  invocation.ran = true;
  return invocation.run();
}

/** An approver that first uses the verdict reached when the SDK asked needsApproval. */
function decidedOr(approver: Approver): Approver {
  return (ctx) => {
    const invocation = invocations.getStore();
    const verdict = invocation?.verdict;
    if (verdict === undefined) return approver(ctx);
    invocation!.verdict = undefined;
    return verdict;
  };
}

function refuse(denial: ToolDenial, error: Error, settings: Settings): string {
  if (settings.onDeny === 'throw') throw error;
  return deniedToolText(denial);
}

/** The model's arguments as the tool reads them: JSON, or the text itself when it is not JSON. */
function parseInput(input: string): unknown {
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

function checkScopes(scopes: unknown, tools: readonly FunctionToolLike[]): Map<string, string> {
  if (typeof scopes !== 'object' || scopes === null || Array.isArray(scopes)) {
    throw new ConfigurationError(
      `${WHERE}: scopes must map each tool's name to its scope, like { getCustomer: 'read:customers' }, got ${JSON.stringify(scopes)}.`,
    );
  }
  const names = new Set<string>();
  for (const [index, tool] of tools.entries()) {
    if (
      typeof tool !== 'object' ||
      tool === null ||
      tool.type !== 'function' ||
      typeof tool.invoke !== 'function' ||
      typeof tool.needsApproval !== 'function'
    ) {
      const kind =
        typeof tool === 'object' && tool !== null
          ? `a '${String((tool as { type?: unknown }).type)}' tool`
          : typeof tool;
      throw new ConfigurationError(
        `${WHERE}: tools[${index}] is ${kind}, not a function tool made with tool(): only tools that run in ` +
          `this process can be guarded. Hosted tools run at the provider; leave them out of guardTools.`,
      );
    }
    if (names.has(tool.name)) {
      throw new ConfigurationError(
        `${WHERE}: two tools are named '${tool.name}'; give each tool its own name.`,
      );
    }
    names.add(tool.name);
  }
  const result = new Map<string, string>();
  for (const [name, scope] of Object.entries(scopes)) {
    if (!names.has(name)) {
      throw new ConfigurationError(
        `${WHERE}: scopes names tool '${name}', which is not among the tools (${[...names].join(', ') || 'none'}). ` +
          `Check its spelling against the tool's name.`,
      );
    }
    assertValidScope(scope as string, `${WHERE}: the scope of tool '${name}'`);
    result.set(name, scope as string);
  }
  return result;
}

function recordCheck(
  agent: Agent,
  action: SudoAction,
  allowed: boolean,
  tool: string,
  sessionId: string | undefined,
  reason?: 'unlisted',
): void {
  recordEvent(
    createEvent({
      agentId: agent.id,
      agentName: agent.name,
      role: agent.role,
      sessionId,
      action,
      allowed,
      functionName: tool,
      metadata:
        reason === undefined ? (agent.metadata as Record<string, unknown>) : { ...agent.metadata, reason },
    }),
  );
}

function recordUnknownAgent(tool: string, scope: string | undefined): void {
  recordEvent(
    createEvent({
      agentName: UNKNOWN_AGENT,
      action: 'permission_check',
      scope,
      allowed: false,
      functionName: tool,
      metadata: { reason: 'no_agent' },
    }),
  );
}
