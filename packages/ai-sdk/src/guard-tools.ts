import {
  ApprovalPendingError,
  ConfigurationError,
  PermissionDeniedError,
  assertValidScope,
  sudo,
  type Agent,
  type ApprovalVerdict,
  type Approver,
  type OnDeny,
} from '@agentsudo/core';
import { agentLookup, type AgentLookup, type ToolAgentResolver, type ToolCallContext } from './agent-source';
import { approverOf, type ToolApproval } from './approval-source';
import { recordToolCheck } from './check-events';
import { deniedToolText, type ToolDenial } from './denial-text';
import { EarlyVerdicts } from './early-verdicts';
import { NoAgentError } from './errors';
import type { AiSdkCallOptions, AiSdkToolShape } from './tool-shape';

/**
 * How `guardTools` guards a tool set.
 *
 * @example
 * ```ts
 * const options: GuardToolsOptions = {
 *   agent: supportBot,
 *   scopes: { getCustomer: 'read:customers', processRefund: 'write:refunds' },
 *   approval: { timeoutMs: 600_000 },
 * };
 * ```
 */
export interface GuardToolsOptions {
  /** The agent every call runs as, or a function of the call that finds it (per request). */
  agent: Agent | ToolAgentResolver;
  /** Tool name to the scope it needs. A tool that is not here is refused (see `unlisted`). */
  scopes: Readonly<Record<string, string>>;
  /** Tools with no scope: `'deny'` (default) refuses every call; `'allow'` runs them for any agent. */
  unlisted?: 'deny' | 'allow';
  /**
   * A refused call: `'result'` (default) returns a tool result the model reads, naming the
   * missing scope, and the run goes on; `'throw'` throws `PermissionDeniedError` from
   * `execute` (the AI SDK turns it into a tool error); `'log'` is audit mode: the call runs and
   * is recorded as `audit_violation`.
   */
  onDeny?: 'result' | 'throw' | 'log';
  /**
   * Ask instead of refusing when the agent lacks a tool's scope: such a call is marked
   * `needsApproval`, the request is created on the AgentSudo server (`cloudApproval`'s
   * options), and the resumed call runs only once the server says approved. Or any approver.
   */
  approval?: ToolApproval;
}

const WHERE = 'guardTools';
const ON_DENY = ['result', 'throw', 'log'] as const;

/**
 * Puts AgentSudo in front of every tool of an AI SDK tool set: each call runs in the agent's
 * session (so `@Sudo` methods inside are checked as that agent) once the agent holds the
 * tool's scope; a refused call becomes a tool result naming the missing scope; with
 * `approval`, a call the agent lacks the scope for waits for a decision held by the AgentSudo
 * server, through the AI SDK's own tool approval flow. Every check is an event whose
 * function name is the tool's name. The tools given are not changed; the ones returned are
 * still AI SDK tools, with the same types.
 *
 * @example
 * ```ts
 * import { generateText, tool } from 'ai';
 * import { guardTools } from '@agentsudo/ai-sdk';
 *
 * const tools = guardTools({ getCustomer, processRefund }, {
 *   agent: supportBot,
 *   scopes: { getCustomer: 'read:customers', processRefund: 'write:refunds' },
 * });
 * await generateText({ model, tools, prompt: 'Refund order o-7' });
 * ```
 */
export function guardTools<TOOLS extends Record<string, object>>(
  tools: TOOLS,
  options: GuardToolsOptions,
): TOOLS {
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
    throw new ConfigurationError(
      `${WHERE}(tools, options): tools must be an object of AI SDK tools like { getCustomer: tool({ … }) }, got ${describe(tools)}.`,
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(
      `${WHERE}(tools, options): options must be an object like { agent: supportBot, scopes: { getCustomer: 'read:customers' } }.`,
    );
  }
  const { unlisted = 'deny', onDeny = 'result', approval } = options;
  if (unlisted !== 'deny' && unlisted !== 'allow') {
    throw new ConfigurationError(
      `${WHERE}: unlisted must be 'deny' (the default) or 'allow', got ${JSON.stringify(unlisted)}.`,
    );
  }
  if (!(ON_DENY as readonly unknown[]).includes(onDeny)) {
    throw new ConfigurationError(
      `${WHERE}: onDeny must be 'result' (the default), 'throw' or 'log', got ${JSON.stringify(onDeny)}.`,
    );
  }
  if (onDeny === 'log' && approval !== undefined) {
    throw new ConfigurationError(
      `${WHERE}: onDeny 'log' runs every call, so there is nothing to approve: remove approval, or use onDeny 'result' or 'throw'.`,
    );
  }
  const scopes = checkScopes(options.scopes, tools);
  const resolve = agentLookup(options.agent, WHERE);
  const approver = approval === undefined ? undefined : approverOf(approval, WHERE);
  const settings: Settings = { onDeny, unlisted, resolve, approver, early: new EarlyVerdicts() };

  const guarded: Record<string, object> = {};
  for (const [name, tool] of Object.entries(tools)) {
    if (typeof tool !== 'object' || tool === null) {
      throw new ConfigurationError(`${WHERE}: tools.${name} must be an AI SDK tool, got ${describe(tool)}.`);
    }
    guarded[name] = guardTool(name, tool as AiSdkToolShape, scopes[name], settings);
  }
  return guarded as TOOLS;
}

interface Settings {
  onDeny: 'result' | 'throw' | 'log';
  unlisted: 'deny' | 'allow';
  resolve: (call: ToolCallContext) => AgentLookup | Promise<AgentLookup>;
  approver: Approver | undefined;
  early: EarlyVerdicts;
}

function guardTool(
  name: string,
  tool: AiSdkToolShape,
  scope: string | undefined,
  settings: Settings,
): object {
  const execute = tool.execute;
  // A tool without execute runs on the client, out of the guard's reach: left as it is.
  if (typeof execute !== 'function') return tool;
  const { onDeny, approver, early } = settings;
  const started = new WeakSet<object>();
  const run = (input: unknown, call: object) => {
    started.add(call);
    return execute.call(tool, input, call === NO_OPTIONS ? undefined : call);
  };
  const coreOnDeny: OnDeny =
    onDeny === 'log'
      ? 'log'
      : approver === undefined
        ? 'raise'
        : (ctx) => {
            const [input, call] = ctx.args as [unknown, AiSdkCallOptions | undefined];
            // The approver sees the tool's input only: the AI SDK's options change on every step.
            return early.take(call?.toolCallId, ctx.agent.id, input) ?? approver({ ...ctx, args: [input] });
          };
  const checked = scope === undefined ? undefined : sudo(scope, run, { name, onDeny: coreOnDeny });

  const lookup = (call: AiSdkCallOptions | undefined) =>
    settings.resolve({
      toolName: name,
      toolCallId: call?.toolCallId ?? '',
      messages: call?.messages ?? [],
      context: call?.context,
    });

  const guardedExecute = async (input: unknown, call?: AiSdkCallOptions): Promise<unknown> => {
    const found = await lookup(call);
    const agent = found.agent;
    if (agent === undefined) {
      recordToolCheck({ tool: name, agent, allowed: false, scope, reason: 'no_agent' });
      if (onDeny === 'throw') throw new NoAgentError(name, 'cause' in found ? found.cause : undefined);
      return deniedToolText({ agent: 'an unknown agent', scope, tool: name, reason: 'no_agent' });
    }
    const callObject: object = call ?? NO_OPTIONS;
    if (checked === undefined) {
      if (settings.unlisted === 'allow') {
        return agent.startSession((session) => {
          recordToolCheck({ tool: name, agent, allowed: true, sessionId: session.id });
          return run(input, callObject);
        });
      }
      recordToolCheck({ tool: name, agent, allowed: false, reason: 'unlisted' });
      const denial: ToolDenial = { agent: agent.name, scope, tool: name, reason: 'unlisted' };
      if (onDeny === 'throw') {
        throw new PermissionDeniedError({
          agentName: agent.name,
          scope: '(none declared)',
          functionName: name,
          grantedScopes: agent.scopes,
        });
      }
      return deniedToolText(denial);
    }
    try {
      return await agent.startSession(() => checked(input, callObject));
    } catch (error) {
      // An error of the tool's own (a @Sudo method inside it refusing, say) is the tool's.
      if (started.has(callObject) || onDeny === 'throw') throw error;
      if (error instanceof ApprovalPendingError) return pendingText(agent, scope as string, name, error);
      if (error instanceof PermissionDeniedError) {
        return deniedToolText({
          agent: agent.name,
          scope,
          tool: name,
          reason: error.reason,
          detail: error.byApprover ? approvalDetail(error) : undefined,
        });
      }
      throw error;
    }
  };

  const own = tool.needsApproval;
  const needsApproval =
    approver === undefined || scope === undefined
      ? own
      : async (input: unknown, call: AiSdkCallOptions): Promise<boolean> => {
          if (own === true) return true;
          if (typeof own === 'function' && (await own.call(tool, input, call))) return true;
          const { agent } = await lookup(call);
          if (agent === undefined || agent.hasScope(scope)) return false;
          let verdict: ApprovalVerdict;
          try {
            const given = await agent.startSession((session) =>
              approver({
                agent,
                session,
                scope,
                functionName: name,
                args: [input],
                reason: 'scope',
                isAsync: false,
              }),
            );
            verdict = typeof given === 'boolean' ? { approved: given } : given;
          } catch (error) {
            // The request waits on the AgentSudo server: the AI SDK suspends the run for it.
            if (error instanceof ApprovalPendingError) return true;
            verdict = { approved: false, cause: error };
          }
          // Decided already (a remembered grant, a refusal): execute, next, takes this verdict.
          early.hold(call.toolCallId, agent.id, input, verdict);
          return false;
        };
  return { ...tool, execute: guardedExecute, ...(needsApproval === undefined ? {} : { needsApproval }) };
}

/** Stands for absent AI SDK options, so every call has an object to be known by. */
const NO_OPTIONS: object = Object.freeze({});

function pendingText(agent: Agent, scope: string, tool: string, error: ApprovalPendingError): string {
  return (
    `${deniedToolText({ agent: agent.name, scope, tool, reason: 'approval', detail: `approval ${error.approvalId} is pending on the AgentSudo server` })}` +
    ' The call was not run; it runs once a person approves it and the same call is made again.'
  );
}

function approvalDetail(error: PermissionDeniedError): string | undefined {
  const cause = error.cause as { status?: unknown; decidedBy?: unknown; approvalId?: unknown } | undefined;
  if (cause === undefined || cause === null) return 'the approver refused';
  const parts: string[] = [];
  if (typeof cause.approvalId === 'string') parts.push(`approval ${cause.approvalId}`);
  if (typeof cause.status === 'string') parts.push(cause.status);
  if (typeof cause.decidedBy === 'string') parts.push(`by ${cause.decidedBy}`);
  return parts.length > 0 ? parts.join(' ') : 'the approver refused';
}

function checkScopes(scopes: unknown, tools: object): Readonly<Record<string, string>> {
  if (typeof scopes !== 'object' || scopes === null || Array.isArray(scopes)) {
    throw new ConfigurationError(
      `${WHERE}: scopes must be an object of tool name to scope like { getCustomer: 'read:customers' }, got ${describe(scopes)}.`,
    );
  }
  const checked: Record<string, string> = Object.create(null);
  for (const [tool, scope] of Object.entries(scopes)) {
    if (!Object.prototype.hasOwnProperty.call(tools, tool)) {
      throw new ConfigurationError(
        `${WHERE}: scopes.${tool} names no tool of the set (it has ${Object.keys(tools).join(', ') || 'none'}); fix the name or remove it.`,
      );
    }
    if (typeof scope !== 'string') {
      throw new ConfigurationError(
        `${WHERE}: scopes.${tool} must be a scope string like 'read:customers', got ${describe(scope)}.`,
      );
    }
    assertValidScope(scope, `${WHERE}: scopes.${tool}`);
    checked[tool] = scope;
  }
  return checked;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
