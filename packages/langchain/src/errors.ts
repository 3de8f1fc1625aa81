/**
 * Thrown, with `onDeny: 'throw'`, for a call the guard refuses before any scope check: the
 * tool declares no scope (`unlisted`) or no agent could be found for the call (`no_agent`).
 * A call refused for its scope throws core's `PermissionDeniedError` instead.
 *
 * @example
 * ```ts
 * try { await agent.invoke(input); } catch (e) { if (e instanceof ToolRefusedError) console.log(e.tool, e.reason); }
 * ```
 */
export class ToolRefusedError extends Error {
  override readonly name = 'ToolRefusedError';

  constructor(
    readonly tool: string,
    readonly reason: 'unlisted' | 'no_agent',
    readonly agentName: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      reason === 'unlisted'
        ? `Tool '${tool}' declares no scope, so ${agentName ?? 'no agent'} may not call it. Give it one in ` +
            `guardTools' scopes ({ ${tool}: 'some:scope' }), or allow tools without a scope with unlisted: 'allow'.`
        : `No agent was found for the call to tool '${tool}', so it was refused. guardTools' agent option ` +
            `must be an Agent, or a function of the call's context that returns one.`,
      options,
    );
  }
}
