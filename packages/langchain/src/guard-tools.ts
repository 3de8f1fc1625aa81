import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Agent,
  ApprovalPendingError,
  ConfigurationError,
  PermissionDeniedError,
  assertValidScope,
  sudo,
  type Approver,
  type OnDeny,
} from '@agentsudo/core';
import { cloudApproval, type CloudApprovalOptions } from '@agentsudo/transport-cloud';
import type { CallbackManagerForToolRun } from '@langchain/core/callbacks/manager';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { interrupt, isGraphInterrupt } from '@langchain/langgraph';
import { approvalInterrupt, rejectionIn } from './approval-review';
import { denialOutput, type ToolDenial } from './denial';
import { ToolRefusedError } from './errors';
import { recordToolCheck } from './tool-events';

/**
 * What a per-call agent function is given: the tool's name and the LangChain config of the
 * call (`config.context` holds an agent's runtime context, `config.configurable` the thread).
 *
 * @example
 * ```ts
 * const agentFor = ({ config }: ToolCallContext) => agents.get(config?.configurable?.user_id);
 * ```
 */
export interface ToolCallContext {
  tool: string;
  config: RunnableConfig | undefined;
}

/**
 * How `guardTools` guards a toolset.
 *
 * @example
 * ```ts
 * const options: GuardToolsOptions = {
 *   agent: supportBot,
 *   scopes: { get_customer: 'read:customers', process_refund: 'write:refunds' },
 *   approval: { timeoutMs: 600_000 },
 * };
 * ```
 */
export interface GuardToolsOptions {
  /** The agent every call runs as, or a function that finds it for each call. */
  agent: Agent | ((context: ToolCallContext) => Agent);
  /** Tool name to the scope it needs. */
  scopes: Readonly<Record<string, string>>;
  /** A tool missing from `scopes`: `'deny'` (default) refuses every call; `'allow'` lets any agent call it. */
  unlisted?: 'deny' | 'allow';
  /**
   * A refused call: `'result'` (default) answers a tool message the model reads, naming the
   * missing scope; `'throw'` throws `PermissionDeniedError` (or `ToolRefusedError`) out of
   * the run; `'log'` is audit mode: a call lacking its scope runs and is recorded as
   * `audit_violation`.
   */
  onDeny?: 'result' | 'throw' | 'log';
  /**
   * Asks before refusing a call the agent lacks the scope for. Options of `cloudApproval`
   * (the request is held by the AgentSudo server and the run interrupts until it is
   * decided), or any approver; an approver that throws `ApprovalPendingError` interrupts too.
   */
  approval?: Approver | Omit<CloudApprovalOptions, 'wait'>;
}

const WHERE = 'guardTools';
const guardedTools = new WeakSet<object>();

/** The LangChain side of the call in flight, for the protected function that runs the tool. */
interface CallInFlight {
  runManager: CallbackManagerForToolRun | undefined;
  config: RunnableConfig | undefined;
  /** Set once the tool itself runs: a refusal after that is the tool's own, not the guard's. */
  entered: boolean;
}
const inFlight = new AsyncLocalStorage<CallInFlight>();

type ToolCall = (
  input: unknown,
  runManager?: CallbackManagerForToolRun,
  config?: RunnableConfig,
) => Promise<unknown>;

/**
 * Puts AgentSudo in front of LangChain tools (`tool(...)` and `StructuredTool` instances):
 * each tool needs the scope `scopes` gives it, or is refused unless `unlisted: 'allow'`. An
 * allowed call runs in the agent's session, so `@Sudo` methods it calls are checked as that
 * agent; a refused one answers a tool message naming the missing scope and the run goes on.
 * With `approval`, a call the agent lacks the scope for asks the AgentSudo server and the
 * LangGraph run interrupts; resumed with `Command({ resume })`, the tool runs only if the
 * server approved the call, once. Every check is an event named after the tool.
 *
 * Returns new tools of the same classes (the originals are left as they are), in an array
 * or a record as given.
 *
 * @example
 * ```ts
 * const tools = guardTools([getCustomer, processRefund], {
 *   agent: supportBot,
 *   scopes: { get_customer: 'read:customers', process_refund: 'write:refunds' },
 * });
 * const agent = createAgent({ model, tools, checkpointer: new MemorySaver() });
 * ```
 */
export function guardTools<T extends readonly StructuredToolInterface[]>(
  tools: T,
  options: GuardToolsOptions,
): T;
export function guardTools<T extends Readonly<Record<string, StructuredToolInterface>>>(
  tools: T,
  options: GuardToolsOptions,
): T;
export function guardTools(
  tools: readonly StructuredToolInterface[] | Readonly<Record<string, StructuredToolInterface>>,
  options: GuardToolsOptions,
): unknown {
  if (typeof tools !== 'object' || tools === null) {
    throw new ConfigurationError(
      `${WHERE}(tools, options): tools must be an array or a record of LangChain tools.`,
    );
  }
  const list = Array.isArray(tools) ? tools : Object.values(tools);
  const guard = toolGuard(
    list.map((t, i) =>
      assertTool(t, Array.isArray(tools) ? `tools[${i}]` : `tools.${Object.keys(tools)[i]}`),
    ),
    options,
  );
  if (Array.isArray(tools)) return tools.map(guard);
  return Object.fromEntries(Object.entries(tools).map(([key, t]) => [key, guard(t)]));
}

/** Checks the options once and answers the function that guards each tool. */
function toolGuard(
  tools: readonly StructuredToolInterface[],
  options: GuardToolsOptions,
): (tool: StructuredToolInterface) => StructuredToolInterface {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(
      `${WHERE}(tools, options): options must be an object like { agent, scopes: { get_customer: 'read:customers' } }.`,
    );
  }
  const { agent, scopes, unlisted = 'deny', onDeny = 'result', approval } = options;
  if (!(agent instanceof Agent) && typeof agent !== 'function') {
    throw new ConfigurationError(
      `${WHERE}: agent must be an Agent or a function (context) => Agent, got ${describe(agent)}.`,
    );
  }
  if (unlisted !== 'deny' && unlisted !== 'allow') {
    throw new ConfigurationError(
      `${WHERE}: unlisted must be 'deny' (the default) or 'allow', got ${describe(unlisted)}.`,
    );
  }
  if (onDeny !== 'result' && onDeny !== 'throw' && onDeny !== 'log') {
    throw new ConfigurationError(
      `${WHERE}: onDeny must be 'result' (the default), 'throw' or 'log', got ${describe(onDeny)}.`,
    );
  }
  const names = new Set<string>();
  for (const t of tools) {
    if (names.has(t.name)) {
      throw new ConfigurationError(`${WHERE}: two tools are named '${t.name}'; tool names must be unique.`);
    }
    names.add(t.name);
  }
  const scopeOf = scopeMap(scopes, names);
  const sudoOnDeny = onDenyOf(onDeny, approval);
  return (tool) => guardTool(tool, { agent, scope: scopeOf.get(tool.name), unlisted, onDeny, sudoOnDeny });
}

interface ToolPolicy {
  agent: GuardToolsOptions['agent'];
  scope: string | undefined;
  unlisted: 'deny' | 'allow';
  onDeny: 'result' | 'throw' | 'log';
  sudoOnDeny: OnDeny;
}

function guardTool(original: StructuredToolInterface, policy: ToolPolicy): StructuredToolInterface {
  const name = original.name;
  const { scope, onDeny } = policy;
  const runOriginal: ToolCall = (input, runManager, config) =>
    (original as unknown as { _call: ToolCall })._call(input, runManager, config);
  const protectedCall =
    scope === undefined
      ? undefined
      : sudo(
          scope,
          // Only the input is the call's argument: it is what an approval's digest is bound to.
          async function runTool(input: unknown) {
            const call = inFlight.getStore() as CallInFlight;
            call.entered = true;
            return runOriginal(input, call.runManager, call.config);
          },
          { name, onDeny: policy.sudoOnDeny },
        );

  const refuse = (denial: ToolDenial, toolCallId: string | undefined, error: Error): unknown => {
    if (onDeny === 'throw') throw error;
    return denialOutput(denial, toolCallId, (original as { responseFormat?: string }).responseFormat);
  };

  const guardedCall: ToolCall = async (input, runManager, config) => {
    const toolCallId = toolCallIdOf(config);
    const found = resolveAgent(policy.agent, name, config);
    if (!(found instanceof Agent)) {
      recordToolCheck('permission_check', false, undefined, { tool: name, scope, reason: 'no_agent' });
      const error = new ToolRefusedError(name, 'no_agent', undefined, { cause: found.error });
      return refuse({ tool: name, scope, reason: 'no_agent' }, toolCallId, error);
    }
    const agent = found;
    if (protectedCall === undefined) {
      if (policy.unlisted === 'allow') {
        return agent.startSession((session) => {
          recordToolCheck('permission_check', true, agent, { tool: name, sessionId: session.id });
          return runOriginal(input, runManager, config);
        });
      }
      recordToolCheck('permission_check', false, agent, { tool: name, reason: 'unlisted' });
      const error = new ToolRefusedError(name, 'unlisted', agent.name);
      return refuse({ tool: name, agent: agent.name, reason: 'unlisted' }, toolCallId, error);
    }
    for (;;) {
      const call: CallInFlight = { runManager, config, entered: false };
      try {
        return await inFlight.run(call, () => agent.startSession(() => protectedCall(input)));
      } catch (error) {
        // A refusal from inside the tool (a @Sudo method it calls) is the tool's own error.
        if (call.entered) throw error;
        if (error instanceof PermissionDeniedError) {
          const denial = { tool: name, agent: agent.name, scope, reason: error.reason };
          return refuse(denial, toolCallId, error);
        }
        if (!(error instanceof ApprovalPendingError)) throw error;
        const review = reviewOf(name, input, error);
        if (review.suspended) throw review.suspended;
        const approvalId = error.approvalId;
        if (review.refusal !== undefined) {
          recordToolCheck('approval_denied', false, agent, {
            tool: name,
            scope,
            reason: 'approval',
            approvalId,
            decidedBy: review.refusal.decidedBy,
          });
          const denial = { tool: name, agent: agent.name, scope, reason: 'approval' as const, approvalId };
          const refused = new PermissionDeniedError({
            agentName: agent.name,
            scope: scope as string,
            functionName: name,
            grantedScopes: agent.scopes,
            reason: 'approval',
            byApprover: true,
          });
          return refuse({ ...denial, message: review.refusal.message }, toolCallId, refused);
        }
        // Resumed without a rejection: ask the server again. Only its answer runs the tool.
      }
    }
  };

  const guarded = Object.create(original) as StructuredToolInterface;
  Object.defineProperty(guarded, '_call', { value: guardedCall, writable: true, configurable: true });
  guardedTools.add(guarded);
  return guarded;
}

/**
 * Suspends the run for the approval `pending` (LangGraph's `interrupt()` throws the first
 * time), or reads what the run was resumed with. A run that cannot suspend (no graph, no
 * checkpointer) is refused: a decision that cannot be waited for denies.
 */
function reviewOf(
  tool: string,
  input: unknown,
  pending: ApprovalPendingError,
): { suspended?: unknown; refusal?: { message?: string; decidedBy: string } } {
  let resume: unknown;
  try {
    resume = interrupt(approvalInterrupt(tool, input, pending));
  } catch (error) {
    if (isGraphInterrupt(error)) return { suspended: error };
    return { refusal: { decidedBy: 'no checkpointed run to suspend', message: (error as Error).message } };
  }
  const rejected = rejectionIn(resume);
  return rejected === undefined ? {} : { refusal: { ...rejected, decidedBy: "the run's review" } };
}

function resolveAgent(
  agent: GuardToolsOptions['agent'],
  tool: string,
  config: RunnableConfig | undefined,
): Agent | { error: unknown } {
  if (agent instanceof Agent) return agent;
  try {
    const found = agent({ tool, config });
    if (found instanceof Agent) return found;
    return {
      error: new ConfigurationError(
        `${WHERE}: the agent function returned ${describe(found)}, not an Agent.`,
      ),
    };
  } catch (error) {
    return { error };
  }
}

function onDenyOf(onDeny: 'result' | 'throw' | 'log', approval: GuardToolsOptions['approval']): OnDeny {
  if (approval === undefined) return onDeny === 'log' ? 'log' : 'raise';
  if (onDeny === 'log') {
    throw new ConfigurationError(
      `${WHERE}: onDeny: 'log' lets every call run, so approval would never be asked; drop one of them.`,
    );
  }
  if (typeof approval === 'function') return approval;
  if (typeof approval !== 'object' || approval === null) {
    throw new ConfigurationError(
      `${WHERE}: approval must be cloudApproval's options (like { timeoutMs: 600_000 }) or an approver function, got ${describe(approval)}.`,
    );
  }
  if ((approval as { wait?: unknown }).wait !== undefined) {
    throw new ConfigurationError(
      `${WHERE}: approval.wait is not an option here: the run interrupts while the server holds the request. ` +
        `To keep a tool call waiting instead, pass approval: cloudApproval({ wait: true }).`,
    );
  }
  return cloudApproval({ ...approval, wait: false });
}

function scopeMap(scopes: unknown, names: ReadonlySet<string>): Map<string, string> {
  if (typeof scopes !== 'object' || scopes === null || Array.isArray(scopes)) {
    throw new ConfigurationError(
      `${WHERE}: scopes must map tool names to scopes, like { get_customer: 'read:customers' }, got ${describe(scopes)}.`,
    );
  }
  // A Map, not the object: a tool named 'constructor' must not find Object's.
  const map = new Map(Object.entries(scopes as Record<string, unknown>));
  for (const [tool, scope] of map) {
    assertValidScope(scope as string, `${WHERE} scopes.${tool}`);
    if (!names.has(tool)) {
      throw new ConfigurationError(
        `${WHERE}: scopes names tool '${tool}', which is not among the tools (${[...names].join(', ') || 'none'}); check its spelling.`,
      );
    }
  }
  return map as Map<string, string>;
}

function assertTool(tool: unknown, where: string): StructuredToolInterface {
  const t = tool as { name?: unknown; _call?: unknown; invoke?: unknown } | null;
  if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || typeof t._call !== 'function') {
    throw new ConfigurationError(
      `${WHERE}: ${where} is not a LangChain tool; pass tools made with tool(...) or StructuredTool instances.`,
    );
  }
  if (guardedTools.has(t)) {
    throw new ConfigurationError(
      `${WHERE}: ${where} ('${t.name}') is already guarded; guard each tool once.`,
    );
  }
  return tool as StructuredToolInterface;
}

function toolCallIdOf(config: RunnableConfig | undefined): string | undefined {
  const id = (config as { toolCall?: { id?: unknown } } | undefined)?.toolCall?.id;
  return typeof id === 'string' ? id : undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
