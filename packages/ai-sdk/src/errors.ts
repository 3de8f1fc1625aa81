/**
 * Thrown by a guarded tool's `execute`, with `onDeny: 'throw'`, when no agent was found for
 * the call: the `agent` function of `guardTools` returned nothing, or failed (`cause`).
 *
 * @example
 * ```ts
 * try { await tools.getCustomer.execute(input, options); }
 * catch (e) { if (e instanceof NoAgentError) console.log(e.tool); }
 * ```
 */
export class NoAgentError extends Error {
  override readonly name = 'NoAgentError';
  /** The tool whose call was refused. */
  readonly tool: string;

  constructor(tool: string, cause?: unknown) {
    super(
      `No agent was found for the call to tool '${tool}', so it was not run: make guardTools' ` +
        `agent function return an Agent for every call it should allow.`,
      cause === undefined ? undefined : { cause },
    );
    this.tool = tool;
  }
}
