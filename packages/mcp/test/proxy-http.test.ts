import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { textOf } from './files-server';
import { PROXY_BIN, tempDir, waitFor, writePolicy } from './proxy-helpers';

const READER_TOKEN = 'reader-token-0123456789abcdef';
const WRITER_TOKEN = 'writer-token-0123456789abcdef';
const POLICY = `
agents:
  Reader:
    scopes: ["read:demo"]
    token_env: READER_TOKEN
  Writer:
    scopes: ["read:demo", "write:demo"]
    token_env: WRITER_TOKEN
tools:
  echo: read:demo
  crash: read:demo
  erase: write:demo
`;

const temp = tempDir('agentsudo-mcp-http-');
const erased: string[] = [];
const seenAuthorization: string[] = [];
const closedSessions: string[] = [];

/**
 * The upstream: a Streamable HTTP MCP server with sessions (one McpServer each), answering
 * with event streams, as the SDK's examples build it.
 */
function startUpstream(port = 0): Promise<Server> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const server = createServer(async (req, res) => {
    seenAuthorization.push(req.headers.authorization ?? '');
    const sessionId = req.headers['mcp-session-id'];
    const known = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (known !== undefined) return known.handleRequest(req, res);
    if (sessionId !== undefined) {
      res.writeHead(404).end();
      return;
    }
    // A client named 'json-client' gets plain JSON answers instead of event streams.
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const json = body?.params?.clientInfo?.name === 'json-client';
    const mcp = new McpServer({ name: 'http-upstream', version: '2.0.0' }, { capabilities: { logging: {} } });
    mcp.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    mcp.registerTool('erase', { inputSchema: {} }, async () => {
      erased.push('erase');
      return { content: [{ type: 'text', text: 'erased' }] };
    });
    mcp.registerTool('unlisted_tool', { inputSchema: {} }, async () => ({
      content: [{ type: 'text', text: 'ran' }],
    }));
    mcp.registerTool('crash', { inputSchema: {} }, async (_args, extra) => {
      // The answer has begun (a notification went out on the event stream), then the upstream dies.
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level: 'info', data: 'crashing' },
      });
      await new Promise((r) => setTimeout(r, 50));
      server.closeAllConnections();
      return new Promise(() => undefined);
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: json,
      onsessioninitialized: (id) => void sessions.set(id, transport),
      onsessionclosed: (id) => {
        sessions.delete(id);
        closedSessions.push(id);
      },
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  return new Promise((ready) => server.listen(port, '127.0.0.1', () => ready(server)));
}

let upstream: Server;
let upstreamPort: number;
let proxy: ChildProcess;
let proxyUrl: URL;
let proxyStderr = '';

beforeAll(async () => {
  upstream = await startUpstream();
  upstreamPort = (upstream.address() as AddressInfo).port;
  const policy = writePolicy(temp.dir, POLICY);
  proxy = spawn(
    process.execPath,
    [
      PROXY_BIN,
      ...['--policy', policy, '--upstream', `http://127.0.0.1:${upstreamPort}/mcp`, '--port', '0'],
      ...['--audit-log', join(temp.dir, 'audit.jsonl')],
    ],
    { env: { ...process.env, NO_COLOR: '1', READER_TOKEN, WRITER_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proxy.stderr!.on('data', (chunk: Buffer) => (proxyStderr += chunk.toString('utf8')));
  await waitFor(() => /listening on (http:\/\/\S+)/.test(proxyStderr), 30_000);
  proxyUrl = new URL(/listening on (http:\/\/\S+),/.exec(proxyStderr)![1]);
});

afterAll(async () => {
  if (proxy.exitCode === null) {
    const exited = new Promise((r) => proxy.once('exit', r));
    proxy.kill('SIGTERM');
    await exited;
  }
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
  temp.remove();
});

async function clientWith(token: string, name = 'http-test-client'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(proxyUrl, {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

it('over HTTP, each bearer token picks its agent: the reader lists and calls only its tools, the writer erases too, and no token reaches the upstream', async () => {
  const reader = await clientWith(READER_TOKEN);
  const writer = await clientWith(WRITER_TOKEN);
  try {
    const readerTools = (await reader.listTools()).tools.map((t) => t.name);
    const writerTools = (await writer.listTools()).tools.map((t) => t.name).sort();
    const echoed = await reader.callTool({ name: 'echo', arguments: { text: 'hi' } });
    const refused = await reader.callTool({ name: 'erase', arguments: {} });
    const unlisted = await writer.callTool({ name: 'unlisted_tool', arguments: {} });
    const before = erased.length;
    const done = await writer.callTool({ name: 'erase', arguments: {} });

    expect(reader.getServerVersion()).toEqual({ name: 'http-upstream', version: '2.0.0' });
    expect(readerTools).toEqual(['echo', 'crash']);
    expect(writerTools).toEqual(['crash', 'echo', 'erase']);
    expect(textOf(echoed)).toBe('hi');
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("Agent 'Reader' lacks scope 'write:demo' required by MCP tool 'erase'");
    expect(unlisted.isError).toBe(true);
    expect(textOf(unlisted)).toContain("MCP tool 'unlisted_tool' declares no scope");
    expect(textOf(done)).toBe('erased');
    expect(erased.length).toBe(before + 1);
    expect(seenAuthorization.filter((h) => h !== '')).toEqual([]);
    // Every check is an event of its agent, with the upstream's MCP session id.
    const sessionId = (reader.transport as StreamableHTTPClientTransport).sessionId;
    expect(sessionId).toEqual(expect.any(String));
    await waitFor(() => auditEvents().length >= 4);
    const checks = auditEvents().map((e) => [e.agent_name, e.function_name, e.allowed, e.metadata?.reason]);
    expect(checks).toEqual([
      ['Reader', 'echo', true, undefined],
      ['Reader', 'erase', false, 'scope'],
      ['Writer', 'unlisted_tool', false, 'unlisted'],
      ['Writer', 'erase', true, undefined],
    ]);
    expect(auditEvents()[0].metadata).toEqual({ mcpSessionId: sessionId });
    // DELETE reaches the upstream too: the session ends there.
    await (reader.transport as StreamableHTTPClientTransport).terminateSession();
    expect(closedSessions).toEqual([sessionId]);
  } finally {
    await reader.close();
    await writer.close();
  }
});

/** The checks in the proxy's audit log so far. */
function auditEvents(): Array<{
  agent_name: string;
  function_name: string;
  allowed: boolean;
  metadata?: Record<string, unknown>;
}> {
  const text = readFileSync(join(temp.dir, 'audit.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((e) => e.action === 'permission_check');
}

it('over HTTP, an upstream answering plain JSON instead of event streams is filtered alike', async () => {
  const reader = await clientWith(READER_TOKEN, 'json-client');
  try {
    const tools = (await reader.listTools()).tools.map((t) => t.name);
    const refused = await reader.callTool({ name: 'erase', arguments: {} });
    const echoed = await reader.callTool({ name: 'echo', arguments: { text: 'as JSON' } });

    expect(tools).toEqual(['echo', 'crash']);
    expect(refused.isError).toBe(true);
    expect(textOf(echoed)).toBe('as JSON');
  } finally {
    await reader.close();
  }
});

it('over HTTP, an unknown token or none is answered 401 and nothing reaches the upstream', async () => {
  const calls = seenAuthorization.length;
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
  });
  const post = (headers: Record<string, string>) =>
    fetch(proxyUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: initialize,
    });

  const unknown = await post({ authorization: 'Bearer not-a-known-token-at-all' });
  const none = await post({});

  expect(unknown.status).toBe(401);
  expect(await unknown.json()).toEqual({ error: expect.stringContaining('Unknown agent token') });
  expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer/);
  expect(none.status).toBe(401);
  await expect(clientWith('not-a-known-token-at-all')).rejects.toThrow();
  expect(seenAuthorization.length).toBe(calls);
  await waitFor(() => auditEvents().some((e) => e.agent_name === '<unauthenticated>'));
  expect(auditEvents().find((e) => e.agent_name === '<unauthenticated>')).toMatchObject({
    function_name: '(MCP request)',
    allowed: false,
    metadata: { reason: 'unknown_token' },
  });
});

it('over HTTP, a body that is not a JSON-RPC message is answered 400 and one over the limit 413, before the upstream sees either', async () => {
  const calls = seenAuthorization.length;
  const post = (body: string | Buffer) =>
    fetch(proxyUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${READER_TOKEN}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body,
    }).catch((err: Error) => err);

  const notJson = await post('{"jsonrpc": "2.0", ');
  const notAMessage = await post('null');
  const tooLarge = await post(Buffer.alloc(33 * 1024 * 1024, 'a'));

  expect(notJson).toMatchObject({ status: 400 });
  expect(await (notJson as Response).json()).toMatchObject({ error: { code: -32700 } });
  expect(notAMessage).toMatchObject({ status: 400 });
  expect(await (notAMessage as Response).json()).toMatchObject({ error: { code: -32600 } });
  expect(tooLarge).toMatchObject({ status: 413 });
  expect(await (tooLarge as Response).json()).toEqual({
    error: expect.stringContaining("larger than 33554432 bytes, the proxy's limit"),
  });
  expect(seenAuthorization.length).toBe(calls);
});

it('over HTTP, an upstream that is down is answered 502, and the proxy uses it again once it is back', async () => {
  const reader = await clientWith(READER_TOKEN);
  try {
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));

    const down = reader.callTool({ name: 'echo', arguments: { text: 'anyone?' } });
    const raw = await fetch(proxyUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${READER_TOKEN}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }),
    });

    await expect(down).rejects.toThrow(/The upstream MCP server did not answer \(ECONNREFUSED\)/);
    expect(raw.status).toBe(502);
    upstream = await startUpstream(upstreamPort);
    // The upstream's sessions went with it: a client starts a new one, through the same proxy.
    const again = await clientWith(READER_TOKEN);
    expect(textOf(await again.callTool({ name: 'echo', arguments: { text: 'back' } }))).toBe('back');
    await again.close();
    expect(proxy.exitCode).toBeNull();
    expect(proxyStderr).toContain('did not answer (ECONNREFUSED)');
  } finally {
    await reader.close();
  }
});

it('over HTTP, an upstream that dies mid-call gives the pending call an error, and the proxy goes on', async () => {
  const reader = await clientWith(READER_TOKEN);
  try {
    const crashing = reader.callTool({ name: 'crash', arguments: {} });

    await expect(crashing).rejects.toThrow(/broke off its answer/);
    expect(textOf(await reader.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe(
      'still here',
    );
    expect(proxy.exitCode).toBeNull();
  } finally {
    await reader.close();
  }
});
