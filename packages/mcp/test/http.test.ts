import { configure } from '@agentsudo/core';
import { AgentRegistry, generateAgentToken } from '@agentsudo/nestjs/express';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Agent } from '@agentsudo/core';
import {
  UNAUTHENTICATED_AGENT_NAME,
  agentFromAuthInfo,
  guardMcpServer,
  type GuardMcpServerOptions,
} from '@agentsudo/mcp';
import { captureEvents } from '../../core/test/helpers';
import { FileStore, SCOPES, agents, filesServer, textOf } from './files-server';
import { startHttpMcp } from './http-server';

const { reader, writer, admin } = agents();
const auditor = new Agent({ name: 'AuditBot', scopes: ['read:*'] });
const tokens = new Map([reader, writer, admin, auditor].map((a) => [a, generateAgentToken()]));
const registry = new AgentRegistry([...tokens].map(([agent, token]) => ({ agent, token })));

const opened: Client[] = [];

beforeEach(() => configure({ transports: [] }));
afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close()));
  configure({ transports: [] });
});

/** A guarded files server over Streamable HTTP, whose agents are found by bearer token. */
async function filesOverHttp(options: Partial<GuardMcpServerOptions> = {}, store = new FileStore()) {
  return startHttpMcp(() => {
    const server = filesServer(store);
    return { server, guard: guardMcpServer(server, { scopes: SCOPES, agents: registry, ...options }) };
  });
}

async function connectAs(url: URL, token: string) {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  opened.push(client);
  await client.connect(transport);
  return { client, transport };
}

/** A raw JSON-RPC POST, to read status and headers the SDK's client does not show. */
function post(url: URL, body: object, headers: Record<string, string>) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('over Streamable HTTP, each request runs as the agent its bearer token names', () => {
  it('each agent lists its own tools, and the MCP session id is in the events', async () => {
    const events = captureEvents((action) => action === 'permission_check');
    const http = await filesOverHttp();
    try {
      const asReader = await connectAs(http.url, tokens.get(reader)!);
      const asWriter = await connectAs(http.url, tokens.get(writer)!);

      const readerTools = (await asReader.client.listTools()).tools.map((t) => t.name).sort();
      const writerTools = (await asWriter.client.listTools()).tools.map((t) => t.name).sort();
      const denied = await asReader.client.callTool({
        name: 'write_file',
        arguments: { path: 'a', text: 'b' },
      });
      await asWriter.client.callTool({ name: 'write_file', arguments: { path: 'a', text: 'b' } });

      expect(readerTools).toEqual(['read_file', 'whoami']);
      expect(writerTools).toEqual(['read_file', 'whoami', 'write_file']);
      expect(textOf(denied)).toContain("Agent 'ReadOnlyBot' lacks scope 'write:files'");
      const mcpChecks = events.events.filter((e) => e.functionName === 'write_file');
      expect(mcpChecks.map((e) => [e.agentName, e.allowed, e.metadata?.mcpSessionId])).toEqual([
        ['ReadOnlyBot', false, asReader.transport.sessionId],
        ['WriterBot', true, asWriter.transport.sessionId],
      ]);
      expect(asReader.transport.sessionId).not.toBe(asWriter.transport.sessionId);
    } finally {
      await http.close();
    }
  });

  it('an unknown or missing token is answered 401 with WWW-Authenticate, and recorded', async () => {
    const events = captureEvents();
    const http = await filesOverHttp();
    try {
      const unknown = await post(http.url, initialize, { authorization: `Bearer ${generateAgentToken()}` });
      const missing = await post(http.url, initialize, {});

      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toBe('Bearer realm="agentsudo"');
      expect(await unknown.json()).toEqual({
        error: 'Unknown agent token: no registered agent holds it. Check the token, or register the agent.',
      });
      expect(missing.status).toBe(401);
      expect(((await missing.json()) as { error: string }).error).toContain(
        'send Authorization: Bearer <agent token>',
      );
      await expect(connectAs(http.url, 'not-a-registered-token-at-all')).rejects.toThrow(
        /Unknown agent token/,
      );
      expect(events.events.slice(0, 2)).toMatchObject([
        {
          agentName: UNAUTHENTICATED_AGENT_NAME,
          functionName: 'initialize',
          allowed: false,
          metadata: { reason: 'unknown_token' },
        },
        {
          agentName: UNAUTHENTICATED_AGENT_NAME,
          functionName: 'initialize',
          allowed: false,
          metadata: { reason: 'missing_token' },
        },
      ]);
    } finally {
      await http.close();
    }
  });

  it("httpDenial: 'http-403' answers a call lacking its scope with 403 insufficient_scope", async () => {
    const store = new FileStore();
    const http = await filesOverHttp({ httpDenial: 'http-403' }, store);
    try {
      const { client, transport } = await connectAs(http.url, tokens.get(reader)!);
      const headers = {
        authorization: `Bearer ${tokens.get(reader)}`,
        'mcp-session-id': transport.sessionId!,
        'mcp-protocol-version': '2025-06-18',
      };

      const call = {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'write_file', arguments: { path: 'notes.txt', text: 'x' } },
      };
      const forbidden = await post(http.url, call, headers);

      expect(forbidden.status).toBe(403);
      expect(forbidden.headers.get('www-authenticate')).toBe(
        'Bearer realm="agentsudo", error="insufficient_scope", scope="write:files"',
      );
      expect(await forbidden.json()).toMatchObject({ scope: 'write:files', agent: 'ReadOnlyBot' });
      await expect(
        client.callTool({ name: 'write_file', arguments: { path: 'notes.txt', text: 'x' } }),
      ).rejects.toThrow(/lacks scope 'write:files'/);
      expect(store.runs).toEqual([]);
      // Calls the agent may make still go through.
      expect(textOf(await client.callTool({ name: 'read_file', arguments: { path: 'notes.txt' } }))).toBe(
        'hello',
      );
    } finally {
      await http.close();
    }
  });

  it('200 interleaved calls from four agents each run in their own agent session', async () => {
    const store = new FileStore();
    const http = await filesOverHttp({}, store);
    try {
      const callers = await Promise.all(
        [reader, writer, admin, auditor].map(async (agent) => ({
          agent,
          ...(await connectAs(http.url, tokens.get(agent)!)),
        })),
      );
      const calls = Array.from({ length: 200 }, (_, i) => callers[i % callers.length]);

      const answers = await Promise.all(
        calls.map(async ({ agent, client }, i) => {
          const result = await client.callTool({ name: 'whoami', arguments: { pause: (i * 7) % 13 } });
          const [name, sessionId] = textOf(result).split('/');
          return { expected: agent.name, name, sessionId };
        }),
      );

      expect(answers.filter((a) => a.name !== a.expected)).toEqual([]);
      expect(new Set(answers.map((a) => a.sessionId)).size).toBe(200);
    } finally {
      await http.close();
    }
  });
});

describe("agents from the SDK's authInfo", () => {
  it("the verified token's client is the agent, and its scopes are the agent's scopes", async () => {
    const events = captureEvents((action) => action === 'permission_check');
    const http = await startHttpMcp(
      () => {
        const server = filesServer();
        return { server, guard: guardMcpServer(server, { scopes: SCOPES, agent: agentFromAuthInfo() }) };
      },
      // What the SDK's requireBearerAuth leaves on the request once it verified the token.
      (req) => {
        (req as { auth?: unknown }).auth = { token: 'opaque', clientId: 'ci-reader', scopes: ['read:files'] };
      },
    );
    try {
      const { client } = await connectAs(http.url, 'opaque');

      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      const denied = await client.callTool({ name: 'write_file', arguments: { path: 'a', text: 'b' } });

      expect(tools).toEqual(['read_file', 'whoami']);
      expect(textOf(denied)).toContain("Agent 'ci-reader' lacks scope 'write:files'");
      expect(events.events.map((e) => [e.agentName, e.functionName, e.allowed])).toEqual([
        ['ci-reader', 'write_file', false],
      ]);
    } finally {
      await http.close();
    }
  });
});
