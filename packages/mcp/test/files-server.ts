import { Agent, Sudo, currentAgent, currentSession } from '@agentsudo/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** A store the tools read and write, with the agent that last wrote each file. */
export class FileStore {
  readonly files = new Map<string, string>([['notes.txt', 'hello']]);
  readonly runs: string[] = [];

  @Sudo('read:files')
  read(path: string): string {
    return this.files.get(path) ?? '';
  }

  @Sudo('write:files')
  write(path: string, text: string): void {
    this.files.set(path, text);
  }
}

/** Text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const content = (result as CallToolResult).content;
  const first = content[0];
  return first?.type === 'text' ? first.text : '';
}

/**
 * A files server: read_file and write_file call the store's @Sudo methods, delete_file
 * declares its scope in _meta, whoami answers the agent and session the call runs in.
 */
export function filesServer(store = new FileStore()): McpServer {
  const server = new McpServer({ name: 'files', version: '1.0.0' });
  server.registerTool('read_file', { inputSchema: { path: z.string() } }, async ({ path }) => {
    store.runs.push('read_file');
    return { content: [{ type: 'text', text: store.read(path) }] };
  });
  server.registerTool(
    'write_file',
    { inputSchema: { path: z.string(), text: z.string() } },
    async ({ path, text }) => {
      store.runs.push('write_file');
      store.write(path, text);
      return { content: [{ type: 'text', text: `wrote ${text.length} characters` }] };
    },
  );
  server.registerTool(
    'delete_file',
    { inputSchema: { path: z.string() }, _meta: { 'agentsudo/scope': 'delete:files' } },
    async ({ path }) => {
      store.runs.push('delete_file');
      store.files.delete(path);
      return { content: [{ type: 'text', text: 'deleted' }] };
    },
  );
  server.registerTool('whoami', { inputSchema: { pause: z.number().optional() } }, async ({ pause }) => {
    if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
    return { content: [{ type: 'text', text: `${currentAgent()?.name}/${currentSession()?.id}` }] };
  });
  return server;
}

/** Connects a real MCP client to `server` in process; returns the client. */
export async function connectInMemory(server: McpServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

/** The agents of these tests. */
export function agents() {
  return {
    reader: new Agent({ name: 'ReadOnlyBot', scopes: ['read:files'] }),
    writer: new Agent({ name: 'WriterBot', scopes: ['read:files', 'write:files'] }),
    admin: new Agent({ name: 'AdminBot', scopes: ['*'] }),
  };
}

export const SCOPES = { read_file: 'read:files', write_file: 'write:files', whoami: 'read:files' };
