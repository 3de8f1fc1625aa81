/**
 * The parts of the OpenAI Agents SDK's objects the guard touches, described by shape: the
 * package builds and type-checks without `@openai/agents` installed (it needs Node 22, and
 * AgentSudo also supports Node 20), and a guarded tool keeps the SDK's own type.
 */

/**
 * The SDK's `RunContext`: what a run carries from call to call; `context` is the value given
 * to `run(agent, input, { context })`.
 *
 * @example
 * ```ts
 * const who = (runContext: RunContextLike<{ userId: string }>) => runContext.context.userId;
 * ```
 */
export interface RunContextLike<TContext = unknown> {
  context: TContext;
}

/**
 * The SDK's `FunctionTool` (what `tool({ name, parameters, execute })` returns): a tool this
 * process runs. Hosted tools (web search, code interpreter) run at the provider and have no
 * `invoke` to guard.
 *
 * @example
 * ```ts
 * const refund: FunctionToolLike = tool({ name: 'processRefund', description, parameters, execute });
 * ```
 */
export interface FunctionToolLike {
  type: 'function';
  name: string;
  invoke(runContext: RunContextLike<any>, input: string, details?: ToolCallDetailsLike): Promise<unknown>;
  needsApproval(runContext: RunContextLike<any>, input: any, callId?: string): Promise<boolean>;
}

/**
 * The SDK's `ToolCallDetails`: the model's function call that `invoke` answers.
 *
 * @example
 * ```ts
 * const callId = (details?: ToolCallDetailsLike) => details?.toolCall?.callId;
 * ```
 */
export interface ToolCallDetailsLike {
  toolCall?: { callId?: string; name?: string; arguments?: string };
}
