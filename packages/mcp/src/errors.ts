import { ConfigurationError } from '@agentsudo/core';

/**
 * A tool was given one scope in `guardMcpServer`'s `scopes` and another in its
 * `_meta['agentsudo/scope']`. Calls to it are refused until one of the two is removed.
 *
 * @example
 * ```ts
 * try {
 *   guardMcpServer(server, { scopes: { read_file: 'read:files' }, agent });
 * } catch (e) {
 *   if (e instanceof ConflictingToolScopeError) console.error(e.tool, e.fromOptions, e.fromMeta);
 * }
 * ```
 */
export class ConflictingToolScopeError extends ConfigurationError {
  constructor(
    where: string,
    readonly tool: string,
    readonly fromOptions: string,
    readonly fromMeta: string,
  ) {
    super(
      `${where}: MCP tool '${tool}' is given two scopes, '${fromOptions}' in the guard's scopes and ` +
        `'${fromMeta}' in its _meta['agentsudo/scope'], so every call to it is refused. Declare its scope ` +
        `in one place only.`,
    );
    this.name = 'ConflictingToolScopeError';
  }
}

/**
 * The object given to `guardMcpServer` is not an `McpServer` of a supported
 * `@modelcontextprotocol/sdk` 1.x: the guard could not find where the SDK keeps its tools
 * or its request handlers, and would rather refuse to start than leave tools unguarded.
 *
 * @example
 * ```ts
 * try {
 *   guardMcpServer(server, options);
 * } catch (e) {
 *   if (e instanceof UnsupportedMcpServerError) console.error(e.missing);
 * }
 * ```
 */
export class UnsupportedMcpServerError extends ConfigurationError {
  constructor(
    where: string,
    readonly missing: string,
  ) {
    super(
      `${where}: expected an McpServer from @modelcontextprotocol/sdk 1.x (new McpServer({ name, version })), ` +
        `but ${missing}. Pass the McpServer itself (not its .server), and use @modelcontextprotocol/sdk ` +
        `1.x as @agentsudo/mcp's peer dependency says.`,
    );
    this.name = 'UnsupportedMcpServerError';
  }
}
