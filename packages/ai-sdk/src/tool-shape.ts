/**
 * The parts of an AI SDK tool that the guard reads and replaces, typed structurally so this
 * package builds without `ai` installed (it is a peer dependency, and needs Node 22). A
 * guarded tool is still the AI SDK tool it was: every other property is kept as is.
 *
 * @example
 * ```ts
 * const shape: AiSdkToolShape = { execute: async ({ id }: { id: string }) => ({ id }) };
 * ```
 */
export interface AiSdkToolShape {
  execute?: (input: any, options: any) => unknown;
  needsApproval?: boolean | ((input: any, options: any) => boolean | PromiseLike<boolean>);
}

/**
 * What the AI SDK passes to a tool's `execute` (and, without `abortSignal`, to its
 * `needsApproval`): the fields the guard reads.
 *
 * @example
 * ```ts
 * const options: AiSdkCallOptions = { toolCallId: 'call-1', messages: [], context: undefined };
 * ```
 */
export interface AiSdkCallOptions {
  toolCallId: string;
  messages?: readonly unknown[];
  context?: unknown;
  abortSignal?: AbortSignal;
}
