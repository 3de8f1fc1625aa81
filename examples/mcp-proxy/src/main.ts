/**
 * A client's view of agentsudo-mcp in front of the MCP filesystem server: a sample folder
 * is made, the proxy is started on stdio with mcp-policy.yaml as the agent named on the
 * command line, and the SDK's Client lists the tools, reads a file and tries to write one.
 *
 *   node examples/mcp-proxy/dist/main.js [ReadOnlyBot|EditorBot]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const POLICY = resolve(__dirname, '../mcp-policy.yaml');
const PROXY = require.resolve('@agentsudo/mcp/bin/agentsudo-mcp.js');
const FILESYSTEM_SERVER = require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');

function textOf(result: unknown): string {
  const [first] = (result as { content: Array<{ type: string; text?: string }> }).content;
  return first?.type === 'text' ? (first.text ?? '') : '';
}

async function main(): Promise<void> {
  const agent = process.argv[2] ?? 'ReadOnlyBot';
  const folder = mkdtempSync(join(tmpdir(), 'agentsudo-mcp-proxy-example-'));
  writeFileSync(join(folder, 'notes.txt'), 'Hello from the filesystem server.\n');
  // What an MCP client's configuration says: run agentsudo-mcp, which runs the server.
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [PROXY, '--policy', POLICY, '--agent', agent, '--', process.execPath, FILESYSTEM_SERVER, folder],
  });
  const client = new Client({ name: 'example-client', version: '1.0.0' });
  try {
    await client.connect(transport);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    console.log(`${agent} sees: ${tools.join(', ')}`);
    const read = await client.callTool({
      name: 'read_text_file',
      arguments: { path: join(folder, 'notes.txt') },
    });
    console.log(`read_text_file: ${textOf(read).trim()}`);
    const write = await client.callTool({
      name: 'write_file',
      arguments: { path: join(folder, 'notes.txt'), content: 'Rewritten.\n' },
    });
    console.log(`write_file: ${write.isError ? 'refused: ' : ''}${textOf(write)}`);
    console.log(`notes.txt now holds: ${readFileSync(join(folder, 'notes.txt'), 'utf8').trim()}`);
  } finally {
    await client.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
