/**
 * The `_meta` keys AgentSudo reads and writes on MCP tools and results. MCP reserves
 * `_meta` for extensions like this one; the `agentsudo/` prefix keeps ours apart.
 */

/**
 * The key under which a tool declares, at registration, the scope it needs. This is the
 * one idiom for declaring a scope next to the tool; the alternative is the `scopes` map
 * of `guardMcpServer`. Also shown on each tool in `tools/list`.
 *
 * @example
 * ```ts
 * server.registerTool(
 *   'delete_file',
 *   { description: 'Delete a file', inputSchema: { path: z.string() }, _meta: { [SCOPE_META_KEY]: 'delete:files' } },
 *   async ({ path }) => ({ content: [{ type: 'text', text: await remove(path) }] }),
 * );
 * ```
 */
export const SCOPE_META_KEY = 'agentsudo/scope';

/**
 * Set to `false` on the tools of a `listAll: true` listing that the calling agent may not
 * call, so a client can grey them out.
 *
 * @example
 * ```ts
 * const callable = tools.filter((t) => t._meta?.[ALLOWED_META_KEY] !== false);
 * ```
 */
export const ALLOWED_META_KEY = 'agentsudo/allowed';

/**
 * Carried by a refused call's result: why it was refused, in fields a client can read
 * without parsing the text (see `ToolDenial`).
 *
 * @example
 * ```ts
 * const denial = result._meta?.[DENIAL_META_KEY] as ToolDenial | undefined;
 * ```
 */
export const DENIAL_META_KEY = 'agentsudo/denial';

/**
 * Carried by the result of a call that awaits a person's approval (see
 * `PendingToolApproval`), and set to `true` in `tools/list` on tools the agent may call
 * only with approval.
 *
 * @example
 * ```ts
 * const pending = result._meta?.[APPROVAL_META_KEY] as PendingToolApproval | undefined;
 * ```
 */
export const APPROVAL_META_KEY = 'agentsudo/approval';
