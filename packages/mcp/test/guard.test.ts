import { configure } from '@agentsudo/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import {
  ALLOWED_META_KEY,
  ConflictingToolScopeError,
  DENIAL_META_KEY,
  SCOPE_META_KEY,
  UNAUTHENTICATED_AGENT_NAME,
  UnsupportedMcpServerError,
  guardMcpServer,
} from '@agentsudo/mcp';
import { captureEvents } from '../../core/test/helpers';
import { FileStore, SCOPES, agents, connectInMemory, filesServer, textOf } from './files-server';

beforeEach(() => configure({ transports: [] }));
afterEach(() => configure({ transports: [] }));

const names = (tools: { name: string }[]) => tools.map((t) => t.name).sort();

describe('tools/list shows the calling agent its own tools', () => {
  it('a read-only agent sees the tools it may call, and none of the others', async () => {
    const server = filesServer();
    guardMcpServer(server, { scopes: SCOPES, agent: agents().reader });
    const client = await connectInMemory(server);

    const { tools } = await client.listTools();

    expect(names(tools)).toEqual(['read_file', 'whoami']);
    expect(tools.find((t) => t.name === 'read_file')?._meta).toEqual({ [SCOPE_META_KEY]: 'read:files' });
  });

  it('listAll shows every tool, and marks those the agent may not call', async () => {
    const server = filesServer();
    guardMcpServer(server, { scopes: SCOPES, agent: agents().reader, listAll: true });
    const client = await connectInMemory(server);

    const { tools } = await client.listTools();

    expect(names(tools)).toEqual(['delete_file', 'read_file', 'whoami', 'write_file']);
    const marks = Object.fromEntries(tools.map((t) => [t.name, t._meta?.[ALLOWED_META_KEY]]));
    expect(marks).toEqual({ read_file: undefined, whoami: undefined, write_file: false, delete_file: false });
  });

  it('a tool registered after the guard is guarded and listed like the others', async () => {
    const server = filesServer();
    guardMcpServer(server, {
      scopes: { ...SCOPES, late_read: 'read:files', late_write: 'write:files' },
      agent: agents().reader,
    });
    server.registerTool('late_read', {}, async () => ({ content: [{ type: 'text', text: 'late' }] }));
    server.registerTool('late_write', {}, async () => ({ content: [{ type: 'text', text: 'wrote' }] }));
    const client = await connectInMemory(server);

    expect(names((await client.listTools()).tools)).toEqual(['late_read', 'read_file', 'whoami']);
    expect(textOf(await client.callTool({ name: 'late_read', arguments: {} }))).toBe('late');
    expect(await client.callTool({ name: 'late_write', arguments: {} })).toMatchObject({ isError: true });
  });

  it('a guard made before any tool exists still guards the tools registered later', async () => {
    const server = new McpServer({ name: 'empty', version: '1.0.0' });
    guardMcpServer(server, { scopes: { read_file: 'read:files' }, agent: agents().reader });
    server.registerTool('read_file', {}, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
    server.registerTool('write_file', {}, async () => ({ content: [{ type: 'text', text: 'written' }] }));
    const client = await connectInMemory(server);

    expect(names((await client.listTools()).tools)).toEqual(['read_file']);
    expect(textOf(await client.callTool({ name: 'write_file', arguments: {} }))).toMatch(/declares no scope/);
  });
});

describe('a refused tools/call answers a tool result the model can read', () => {
  it('names the missing scope and what to do; the tool does not run and the session goes on', async () => {
    const store = new FileStore();
    const server = filesServer(store);
    guardMcpServer(server, { scopes: SCOPES, agent: agents().reader });
    const client = await connectInMemory(server);

    const denied = await client.callTool({ name: 'write_file', arguments: { path: 'notes.txt', text: 'x' } });

    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toContain(
      "Agent 'ReadOnlyBot' lacks scope 'write:files' required by MCP tool 'write_file'",
    );
    expect(textOf(denied)).toContain('It has: read:files');
    expect(textOf(denied)).toContain('calling again will not change that');
    expect(denied._meta?.[DENIAL_META_KEY]).toMatchObject({
      tool: 'write_file',
      agent: 'ReadOnlyBot',
      reason: 'scope',
      scope: 'write:files',
    });
    expect(store.runs).toEqual([]);
    expect(store.files.get('notes.txt')).toBe('hello');
    // The same client goes on working.
    expect(textOf(await client.callTool({ name: 'read_file', arguments: { path: 'notes.txt' } }))).toBe(
      'hello',
    );
  });

  it('a tool with no declared scope is refused by default, and runs with unlisted: "allow"', async () => {
    const strict = filesServer();
    guardMcpServer(strict, { scopes: { read_file: 'read:files' }, agent: agents().admin });
    const strictClient = await connectInMemory(strict);
    const refused = await strictClient.callTool({ name: 'whoami', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("MCP tool 'whoami' declares no scope");
    expect(textOf(refused)).toContain("unlisted: 'allow'");
    expect(names((await strictClient.listTools()).tools)).toEqual(['delete_file', 'read_file']);

    const lenient = filesServer();
    guardMcpServer(lenient, {
      scopes: { read_file: 'read:files' },
      agent: agents().reader,
      unlisted: 'allow',
    });
    const lenientClient = await connectInMemory(lenient);
    expect(textOf(await lenientClient.callTool({ name: 'whoami', arguments: {} }))).toMatch(/^ReadOnlyBot\//);
  });

  it("a scope declared in the tool's _meta guards it like one in scopes", async () => {
    const server = filesServer();
    guardMcpServer(server, { scopes: SCOPES, agent: agents().writer });
    const client = await connectInMemory(server);

    const denied = await client.callTool({ name: 'delete_file', arguments: { path: 'notes.txt' } });

    expect(textOf(denied)).toContain("lacks scope 'delete:files'");
  });

  it("a tool that does not exist gets the SDK's own answer", async () => {
    const server = filesServer();
    guardMcpServer(server, { scopes: SCOPES, agent: agents().admin });
    const client = await connectInMemory(server);

    const answer = await client.callTool({ name: 'no_such_tool', arguments: {} });

    expect(answer.isError).toBe(true);
    expect(textOf(answer)).toContain('Tool no_such_tool not found');
  });
});

describe('an allowed call runs in the agent session', () => {
  it('@Sudo methods inside the tool are checked as the calling agent', async () => {
    const store = new FileStore();
    // write_file is allowed to the reader at the MCP level, but the store's @Sudo says no.
    const server = filesServer(store);
    guardMcpServer(server, { scopes: { ...SCOPES, write_file: 'read:files' }, agent: agents().reader });
    const client = await connectInMemory(server);

    const answer = await client.callTool({ name: 'write_file', arguments: { path: 'notes.txt', text: 'x' } });

    expect(answer.isError).toBe(true);
    expect(textOf(answer)).toContain(
      "Agent 'ReadOnlyBot' lacks scope 'write:files' required by FileStore.write",
    );
    expect(store.files.get('notes.txt')).toBe('hello');
  });

  it("a tool that throws answers the SDK's error result, and the session still ends", async () => {
    const events = captureEvents();
    const server = new McpServer({ name: 'failing', version: '1.0.0' });
    server.registerTool('explode', {}, async () => {
      throw new Error('disk on fire');
    });
    guardMcpServer(server, { scopes: { explode: 'read:files' }, agent: agents().reader });
    const client = await connectInMemory(server);

    const answer = await client.callTool({ name: 'explode', arguments: {} });

    expect(answer).toMatchObject({ isError: true });
    expect(textOf(answer)).toBe('disk on fire');
    expect(events.actions()).toEqual(['session_start:true', 'permission_check:true', 'session_end:true']);
  });
});

describe('every check is an event', () => {
  it('the tool name is the function name; allowed and denied checks carry the scope', async () => {
    const events = captureEvents((action) => action === 'permission_check' || action === 'audit_violation');
    const server = filesServer();
    const { reader } = agents();
    guardMcpServer(server, { scopes: SCOPES, agent: reader });
    const client = await connectInMemory(server);

    await client.callTool({ name: 'read_file', arguments: { path: 'notes.txt' } });
    await client.callTool({ name: 'write_file', arguments: { path: 'notes.txt', text: 'secret text' } });

    const checks = events.events.map((e) => ({
      fn: e.functionName,
      scope: e.scope,
      allowed: e.allowed,
      agent: e.agentName,
    }));
    expect(checks).toEqual([
      { fn: 'read_file', scope: 'read:files', allowed: true, agent: 'ReadOnlyBot' },
      // The @Sudo method inside read_file is checked too, as the same agent.
      { fn: 'FileStore.read', scope: 'read:files', allowed: true, agent: 'ReadOnlyBot' },
      { fn: 'write_file', scope: 'write:files', allowed: false, agent: 'ReadOnlyBot' },
    ]);
    expect(events.events[0].sessionId).toBe(events.events[1].sessionId);
    expect(events.events[2].metadata).toEqual({ reason: 'scope' });
    expect(JSON.stringify(events.events)).not.toContain('secret text');
  });

  it("onDeny: 'log' is audit mode: the call runs and is recorded as an audit violation", async () => {
    const events = captureEvents((action) => action === 'audit_violation');
    const store = new FileStore();
    const server = filesServer(store);
    guardMcpServer(server, {
      scopes: { ...SCOPES, write_file: 'write:notes' },
      agent: agents().writer,
      onDeny: 'log',
    });
    const client = await connectInMemory(server);

    const answer = await client.callTool({
      name: 'write_file',
      arguments: { path: 'notes.txt', text: 'new' },
    });

    expect(answer.isError).toBeFalsy();
    expect(store.files.get('notes.txt')).toBe('new');
    expect(events.events.map((e) => [e.functionName, e.scope, e.allowed])).toEqual([
      ['write_file', 'write:notes', false],
    ]);
  });
});

describe('an agent that cannot be resolved is denied, never allowed', () => {
  it('a resolver naming nobody: refused, recorded as <unauthenticated>, and no tools listed', async () => {
    const events = captureEvents();
    const store = new FileStore();
    const server = filesServer(store);
    guardMcpServer(server, { scopes: SCOPES, agent: () => undefined });
    const client = await connectInMemory(server);

    const answer = await client.callTool({ name: 'read_file', arguments: { path: 'notes.txt' } });

    expect(answer.isError).toBe(true);
    expect(textOf(answer)).toContain('No agent recognised for this request');
    expect((await client.listTools()).tools).toEqual([]);
    expect(store.runs).toEqual([]);
    expect(events.events).toMatchObject([
      {
        agentName: UNAUTHENTICATED_AGENT_NAME,
        functionName: 'read_file',
        scope: 'read:files',
        allowed: false,
        metadata: { reason: 'no_agent' },
      },
    ]);
  });

  it("a resolver that throws: refused without its message, which goes to the server's onerror", async () => {
    const server = filesServer();
    const errors: Error[] = [];
    server.server.onerror = (error) => errors.push(error);
    guardMcpServer(server, {
      scopes: SCOPES,
      agent: async () => {
        throw new Error('token store password=hunter2 unreachable');
      },
    });
    const client = await connectInMemory(server);

    const answer = await client.callTool({ name: 'read_file', arguments: { path: 'notes.txt' } });

    expect(textOf(answer)).toContain('could not tell which agent is calling');
    expect(textOf(answer)).not.toContain('hunter2');
    expect(errors.map((e) => e.message)).toEqual(['token store password=hunter2 unreachable']);
  });
});

describe('bad input', () => {
  it('a huge argument is refused or passed on without being copied into any event', async () => {
    const events = captureEvents();
    const store = new FileStore();
    const server = filesServer(store);
    guardMcpServer(server, { scopes: SCOPES, agent: agents().writer });
    const client = await connectInMemory(server);
    const huge = 'x'.repeat(8 * 1024 * 1024);

    const written = await client.callTool({ name: 'write_file', arguments: { path: 'big.txt', text: huge } });
    const deleted = await client.callTool({
      name: 'delete_file',
      arguments: { path: 'big.txt', junk: huge },
    });

    expect(textOf(written)).toBe(`wrote ${huge.length} characters`);
    expect(deleted.isError).toBe(true);
    expect(store.files.get('big.txt')).toHaveLength(huge.length);
    expect(JSON.stringify(events.events).length).toBeLessThan(10_000);
  });

  it('a scope declared twice, differently, stops the guard at start-up', () => {
    const server = filesServer();
    expect(() =>
      guardMcpServer(server, { scopes: { ...SCOPES, delete_file: 'write:files' }, agent: agents().admin }),
    ).toThrow(ConflictingToolScopeError);
    expect(() =>
      guardMcpServer(server, { scopes: { ...SCOPES, delete_file: 'write:files' }, agent: agents().admin }),
    ).toThrow(
      "MCP tool 'delete_file' is given two scopes, 'write:files' in the guard's scopes and 'delete:files' in its _meta",
    );
  });

  it('a tool registered later with a conflicting or bad _meta scope is refused at every call', async () => {
    const server = filesServer();
    guardMcpServer(server, { scopes: { ...SCOPES, later: 'read:files' }, agent: agents().admin });
    server.registerTool('later', { _meta: { [SCOPE_META_KEY]: 'write:files' } }, async () => ({
      content: [],
    }));
    server.registerTool('blank', { _meta: { [SCOPE_META_KEY]: '  ' } }, async () => ({ content: [] }));
    const client = await connectInMemory(server);

    expect(textOf(await client.callTool({ name: 'later', arguments: {} }))).toContain('is given two scopes');
    expect(textOf(await client.callTool({ name: 'blank', arguments: {} }))).toContain('is blank');
  });

  it('options that cannot work are refused with what to write instead', () => {
    const { reader } = agents();
    expect(() =>
      guardMcpServer(filesServer(), { scopes: { read_file: ' read:files' }, agent: reader }),
    ).toThrow(/scopes.read_file: scope " read:files" has leading or trailing white space/);
    expect(() => guardMcpServer(filesServer(), { scopes: SCOPES })).toThrow(/exactly one of agent/);
    expect(() =>
      guardMcpServer(filesServer(), { scopes: SCOPES, agent: reader, unlisted: 'yes' as never }),
    ).toThrow(/unlisted must be 'deny'/);
    expect(() =>
      guardMcpServer(filesServer(), { scopes: SCOPES, agents: [{ agent: reader, token: undefined }] }),
    ).toThrow(/agent 'ReadOnlyBot' \(agents\[0\]\) has no credential/);
    expect(() => guardMcpServer({ server: {} } as never, { scopes: SCOPES, agent: reader })).toThrow(
      UnsupportedMcpServerError,
    );
    const server = filesServer();
    guardMcpServer(server, { scopes: SCOPES, agent: reader });
    expect(() => guardMcpServer(server, { scopes: SCOPES, agent: reader })).toThrow(/already guarded/);
  });

  it('a tool named like an Object property is no tool: nothing is checked or run', async () => {
    const events = captureEvents();
    const server = new McpServer({ name: 'odd', version: '1.0.0' });
    server.registerTool('read', { inputSchema: { p: z.string() } }, async () => ({ content: [] }));
    guardMcpServer(server, {
      scopes: { read: 'read:files', constructor: 'read:files' },
      agent: agents().admin,
    });
    const client = await connectInMemory(server);

    const answer = await client.callTool({ name: 'constructor', arguments: {} });
    const listed = await client.listTools();

    expect(answer.isError).toBe(true);
    expect(names(listed.tools)).toEqual(['read']);
    expect(events.events).toEqual([]);
  });
});
