import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** The `agentsudo-mcp` command, as npm links it. */
export const PROXY_BIN = resolve(__dirname, '../bin/agentsudo-mcp.js');
/** A small upstream MCP server with tools, a resource, a prompt and notifications. */
export const UPSTREAM_FIXTURE = resolve(__dirname, 'fixtures/upstream-server.js');

/** A temporary folder, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a policy file into `dir`; returns its path. */
export function writePolicy(dir: string, yaml: string, name = 'mcp-policy.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** What a stdio proxy child said on stderr, and the errors its client saw on stdout. */
export interface ProxyChild {
  client: Client;
  stderr: () => string;
  clientErrors: Error[];
  /** Every message the client received from the proxy, in order. */
  received: JSONRPCMessage[];
  /** Resolves with the proxy's exit code once it has exited. */
  exited: Promise<number | null>;
}

/** Starts `agentsudo-mcp` on stdio with `args` and connects the SDK's Client to it. */
export async function startStdioProxy(args: string[], env: Record<string, string> = {}): Promise<ProxyChild> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [PROXY_BIN, ...args],
    env: { ...(process.env as Record<string, string>), NO_COLOR: '1', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const clientErrors: Error[] = [];
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { roots: {} } });
  client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: 'file:///client/root' }] }));
  client.onerror = (err) => clientErrors.push(err);
  await client.connect(transport);
  const received: JSONRPCMessage[] = [];
  const deliver = transport.onmessage!;
  transport.onmessage = (message) => {
    received.push(message);
    deliver(message);
  };
  // The SDK keeps the child to itself; its exit code is what a user's shell would see.
  const child = (transport as unknown as { _process: ChildProcess })._process;
  const exited = new Promise<number | null>((resolveExit) => {
    if (child.exitCode !== null) resolveExit(child.exitCode);
    else child.once('exit', (code) => resolveExit(code));
  });
  return { client, stderr: () => stderr, clientErrors, received, exited };
}

/** Waits until `condition()` holds, checking every 50 ms, for at most `ms`. */
export async function waitFor(condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
