import { ConfigurationError } from '@agentsudo/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { UnsupportedMcpServerError } from './errors';

/**
 * A request handler as the SDK's protocol layer keeps it: the raw JSON-RPC request (parsed
 * by the handler itself) and the handler's extra.
 *
 * @example
 * ```ts
 * const answer = await hooks.call(request, extra);
 * ```
 */
export type RawRequestHandler = (request: any, extra: any) => Promise<any>;

/**
 * Where a guard plugs into an `McpServer`. This module is the only one that knows how the
 * SDK keeps its tools and handlers, none of which the SDK exposes: `McpServer` installs its
 * `tools/list` and `tools/call` handlers once, on the first tool (or at construction when
 * the tools capability is declared), and keeps its tools by name. The guard takes over
 * those two handlers, calling the SDK's own for everything it allows, so input and output
 * validation, tasks and errors stay the SDK's. Anything missing fails at start-up with
 * {@link UnsupportedMcpServerError}: a guard that cannot hook in must not start.
 *
 * @example
 * ```ts
 * const hooks = serverHooks(server, 'guardMcpServer');
 * hooks.replace(async (req, extra) => filter(await hooks.list(req, extra)), hooks.call);
 * ```
 */
export interface ServerHooks {
  /** The SDK's own `tools/list` handler. */
  readonly list: RawRequestHandler;
  /** The SDK's own `tools/call` handler. */
  readonly call: RawRequestHandler;
  /** Installs handlers in place of the SDK's two. */
  replace(list: RawRequestHandler, call: RawRequestHandler): void;
  /** The tool registered as `name`, with the `_meta` it was registered with (or updated to). */
  registeredTool(name: string): RegisteredToolMeta | undefined;
  /** The names of the tools registered so far. */
  toolNames(): string[];
}

/**
 * The part of a tool registered on an `McpServer` that the guard reads.
 *
 * @example
 * ```ts
 * const meta = hooks.registeredTool('read_file')?._meta;
 * ```
 */
export interface RegisteredToolMeta {
  readonly _meta?: Record<string, unknown>;
}

interface McpServerInternals {
  _registeredTools?: Record<string, RegisteredToolMeta | undefined>;
  setToolRequestHandlers?: () => void;
  server?: { _requestHandlers?: Map<string, RawRequestHandler> };
}

/**
 * Finds the hooks of `server`, installing the SDK's tool handlers first if no tool exists
 * yet, so tools registered later are guarded too.
 *
 * @example
 * ```ts
 * const hooks = serverHooks(server, 'guardMcpServer');
 * ```
 */
export function serverHooks(server: McpServer, where: string): ServerHooks {
  const internals = server as unknown as McpServerInternals;
  const tools = internals._registeredTools;
  if (typeof tools !== 'object' || tools === null) {
    throw new UnsupportedMcpServerError(where, 'it keeps no registered tools where McpServer does');
  }
  if (typeof internals.setToolRequestHandlers !== 'function') {
    throw new UnsupportedMcpServerError(where, 'it has no way to install tool handlers');
  }
  try {
    internals.setToolRequestHandlers.call(server);
  } catch (err) {
    throw new ConfigurationError(
      `${where}: the server is already connected and has no tools yet, so its tool handlers cannot be ` +
        `installed any more (${(err as Error).message}). Call guardMcpServer before server.connect(), or ` +
        `declare the tools capability: new McpServer(info, { capabilities: { tools: {} } }).`,
    );
  }
  const handlers = internals.server?._requestHandlers;
  const list = handlers instanceof Map ? handlers.get('tools/list') : undefined;
  const call = handlers instanceof Map ? handlers.get('tools/call') : undefined;
  if (typeof list !== 'function' || typeof call !== 'function') {
    throw new UnsupportedMcpServerError(where, 'its tools/list and tools/call handlers were not found');
  }
  return {
    list,
    call,
    replace(guardedList, guardedCall) {
      handlers!.set('tools/list', guardedList);
      handlers!.set('tools/call', guardedCall);
    },
    registeredTool(name) {
      // Own properties only: a tool named 'constructor' must not find Object's.
      return Object.prototype.hasOwnProperty.call(tools, name) ? tools[name] : undefined;
    },
    toolNames() {
      return Object.keys(tools);
    },
  };
}
