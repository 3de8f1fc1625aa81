/**
 * A tool call was refused because the run named no agent: the `agent` function of
 * `guardTools` returned undefined or null, or failed (`cause`). Thrown with
 * `onDeny: 'throw'`; otherwise the model reads a denial instead.
 *
 * @example
 * ```ts
 * try {
 *   await run(sdkAgent, 'Refund order o-7', { context: { userId } });
 * } catch (e) {
 *   if (e instanceof UnknownRunAgentError) console.error(e.tool, e.cause);
 * }
 * ```
 */
export class UnknownRunAgentError extends Error {
  constructor(
    readonly tool: string,
    cause?: unknown,
  ) {
    super(
      `No agent is known for this run, so tool '${tool}' was not run: guardTools' agent function ` +
        `${cause === undefined ? 'returned none' : 'failed'}. Make it return an Agent for every run's context.`,
      { cause },
    );
    this.name = 'UnknownRunAgentError';
  }
}

/**
 * A call to a tool that declares no scope, refused because `unlisted` is `'deny'` (the
 * default). Thrown with `onDeny: 'throw'`; otherwise the model reads a denial instead.
 *
 * @example
 * ```ts
 * if (e instanceof UnlistedToolError) console.error(`give ${e.tool} a scope in guardTools`);
 * ```
 */
export class UnlistedToolError extends Error {
  constructor(readonly tool: string) {
    super(
      `Tool '${tool}' declares no scope in guardTools' scopes, so every call to it is refused. Give it ` +
        `one ({ ${tool}: 'some:scope' }), or allow tools without a scope with unlisted: 'allow'.`,
    );
    this.name = 'UnlistedToolError';
  }
}
