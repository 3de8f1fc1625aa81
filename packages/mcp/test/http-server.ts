import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpGuard } from '@agentsudo/mcp';

/** Bodies above this are answered 413 before any parsing. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A Streamable HTTP MCP server on 127.0.0.1, as the SDK's examples build one: one McpServer
 * and transport per MCP session, each made (and guarded) by `open`. Every POST goes through
 * the guard's admitHttpRequest before the transport. `authenticate` runs first, as an auth
 * middleware would (the SDK's requireBearerAuth sets `req.auth`).
 */
export async function startHttpMcp(
  open: () => { server: McpServer; guard: McpGuard },
  authenticate: (req: IncomingMessage) => void = () => {},
) {
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; guard: McpGuard }>();
  // The guard of the session being set up: admits the initialize request itself.
  let admitter = open();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    authenticate(req);
    const header = req.headers['mcp-session-id'];
    const session = typeof header === 'string' ? sessions.get(header) : undefined;
    if (req.method !== 'POST') {
      if (!session) return void res.writeHead(400).end();
      return session.transport.handleRequest(req, res);
    }
    const body = await readJson(req, res);
    if (body === undefined) return;
    if (session) {
      if (await session.guard.admitHttpRequest(req, res, body))
        await session.transport.handleRequest(req, res, body);
      return;
    }
    if (!isInitializeRequest(body)) return void res.writeHead(400).end();
    const { server, guard } = admitter;
    if (!(await guard.admitHttpRequest(req, res, body))) return;
    admitter = open();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, { transport, guard }),
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  return {
    url,
    async close() {
      for (const { transport } of sessions.values()) await transport.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.writeHead(413).end();
      return undefined;
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    res.writeHead(400).end();
    return undefined;
  }
}
