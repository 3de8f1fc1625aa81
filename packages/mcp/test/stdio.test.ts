import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { textOf } from './files-server';

const EXAMPLE = resolve(__dirname, '../../../examples/mcp-server/dist/main.js');
const dir = mkdtempSync(join(tmpdir(), 'agentsudo-mcp-stdio-'));

beforeAll(() => {
  if (!existsSync(EXAMPLE))
    throw new Error(`${EXAMPLE} is missing: run \`npm run build\` (npm test builds first).`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The example notebook server as a child process on stdio, running as `agent`. */
async function notebookAs(agent: string, auditLog: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [EXAMPLE, '--agent', agent, '--audit-log', auditLog],
    stderr: 'pipe',
  });
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** The audit log's lines once it holds `count` of them (the child writes as it goes). */
async function auditLines(file: string, count: number): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length >= count || Date.now() > deadline) return lines.map((line) => JSON.parse(line));
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('over stdio, a read-only agent lists and reads, cannot write or delete, and every check is in the audit log', async () => {
  const auditLog = join(dir, 'read-only.jsonl');
  const client = await notebookAs('ReadOnlyBot', auditLog);
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    const read = await client.callTool({ name: 'read_note', arguments: { title: 'welcome' } });
    const write = await client.callTool({ name: 'write_note', arguments: { title: 'welcome', text: 'x' } });
    const huge = await client.callTool({
      name: 'write_note',
      arguments: { title: 'big', text: 'x'.repeat(4 * 1024 * 1024) },
    });
    const remove = await client.callTool({ name: 'delete_note', arguments: { title: 'welcome' } });
    const after = await client.callTool({ name: 'read_note', arguments: { title: 'welcome' } });

    expect(tools).toEqual(['list_notes', 'read_note']);
    expect(textOf(read)).toBe('Hello from the notebook.');
    expect(write.isError).toBe(true);
    expect(textOf(write)).toContain(
      "Agent 'ReadOnlyBot' lacks scope 'write:notes' required by MCP tool 'write_note'",
    );
    expect(huge.isError).toBe(true);
    expect(textOf(remove)).toContain("lacks scope 'delete:notes'");
    expect(textOf(after)).toBe('Hello from the notebook.');
  } finally {
    await client.close();
  }

  const checks = (await auditLines(auditLog, 8))
    .filter((e) => e.action === 'permission_check')
    .map((e) => [e.function_name, e.scope, e.allowed]);
  expect(checks).toEqual([
    ['read_note', 'read:notes', true],
    ['Notebook.read', 'read:notes', true],
    ['write_note', 'write:notes', false],
    ['write_note', 'write:notes', false],
    ['delete_note', 'delete:notes', false],
    ['read_note', 'read:notes', true],
    ['Notebook.read', 'read:notes', true],
  ]);
  expect(readFileSync(auditLog, 'utf8').length).toBeLessThan(20_000);
});

it('over stdio, an editor writes, and a huge argument goes through the guard intact', async () => {
  const client = await notebookAs('EditorBot', join(dir, 'editor.jsonl'));
  try {
    const text = 'y'.repeat(4 * 1024 * 1024);

    const saved = await client.callTool({ name: 'write_note', arguments: { title: 'big', text } });

    expect(textOf(saved)).toBe(`Saved big (${text.length} characters).`);
    expect(textOf(await client.callTool({ name: 'read_note', arguments: { title: 'big' } }))).toHaveLength(
      text.length,
    );
  } finally {
    await client.close();
  }
});
