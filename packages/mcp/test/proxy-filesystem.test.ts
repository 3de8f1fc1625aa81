import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { textOf } from './files-server';
import { startStdioProxy, tempDir, waitFor, writePolicy } from './proxy-helpers';

/** The real filesystem server from the npm registry, run by node as `npx` would. */
const FILESYSTEM_SERVER = require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');

const POLICY = `
agents:
  ReadOnlyBot:
    scopes: ["read:files"]
tools:
  "read_*": read:files
  "list_*": read:files
  directory_tree: read:files
  search_files: read:files
  get_file_info: read:files
  write_file: write:files
  "*": admin:files
`;

const temp = tempDir('agentsudo-mcp-fs-');
afterAll(() => temp.remove());

/** Every file under `dir` with its bytes and modification time. */
function snapshot(dir: string): Record<string, { bytes: string; mtimeMs: number }> {
  const found: Record<string, { bytes: string; mtimeMs: number }> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    const stat = statSync(path);
    found[name] = { bytes: stat.isFile() ? readFileSync(path, 'base64') : '<dir>', mtimeMs: stat.mtimeMs };
  }
  return found;
}

it('in front of the filesystem server, a read-only agent lists and reads, cannot write or see the write tools, and the files stay untouched', async () => {
  const data = join(temp.dir, 'data');
  mkdirSync(join(data, 'docs'), { recursive: true });
  writeFileSync(join(data, 'notes.txt'), 'hello from the notes\n');
  writeFileSync(join(data, 'docs', 'plan.md'), '# plan\n');
  const before = snapshot(data);
  const auditLog = join(temp.dir, 'audit.jsonl');
  const policy = writePolicy(temp.dir, POLICY);

  const proxy = await startStdioProxy([
    '--policy',
    policy,
    '--agent',
    'ReadOnlyBot',
    '--audit-log',
    auditLog,
    '--',
    process.execPath,
    FILESYSTEM_SERVER,
    data,
  ]);
  try {
    const tools = (await proxy.client.listTools()).tools.map((t) => t.name);
    const read = await proxy.client.callTool({
      name: 'read_text_file',
      arguments: { path: join(data, 'notes.txt') },
    });
    const listing = await proxy.client.callTool({ name: 'list_directory', arguments: { path: data } });
    const write = await proxy.client.callTool({
      name: 'write_file',
      arguments: { path: join(data, 'notes.txt'), content: 'overwritten' },
    });
    const huge = await proxy.client.callTool({
      name: 'write_file',
      arguments: { path: join(data, 'big.txt'), content: 'x'.repeat(4 * 1024 * 1024) },
    });
    const edit = await proxy.client.callTool({
      name: 'edit_file',
      arguments: { path: join(data, 'notes.txt'), edits: [{ oldText: 'hello', newText: 'bye' }] },
    });
    const move = await proxy.client.callTool({
      name: 'move_file',
      arguments: { source: join(data, 'notes.txt'), destination: join(data, 'moved.txt') },
    });

    expect(tools).toEqual(expect.arrayContaining(['read_text_file', 'list_directory', 'directory_tree']));
    for (const hidden of ['write_file', 'edit_file', 'create_directory', 'move_file']) {
      expect(tools).not.toContain(hidden);
    }
    expect(textOf(read)).toBe('hello from the notes\n');
    expect(textOf(listing)).toContain('[FILE] notes.txt');
    expect(write.isError).toBe(true);
    expect(textOf(write)).toContain(
      "Agent 'ReadOnlyBot' lacks scope 'write:files' required by MCP tool 'write_file'",
    );
    expect(huge.isError).toBe(true);
    expect(textOf(edit)).toContain("lacks scope 'admin:files'");
    expect(move.isError).toBe(true);
  } finally {
    await proxy.client.close();
  }

  expect(snapshot(data)).toEqual(before);
  expect(await proxy.exited).toBe(0);
  // stdout is the MCP channel: the client read nothing else there. Denials went to stderr.
  expect(proxy.clientErrors).toEqual([]);
  expect(proxy.stderr()).toContain('ReadOnlyBot');
  expect(proxy.stderr()).toContain('write:files');
  await waitFor(() => readFileSync(auditLog, 'utf8').split('\n').filter(Boolean).length >= 6);
  const checks = readFileSync(auditLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .map((e) => [e.agent_name, e.function_name, e.scope, e.allowed]);
  expect(checks).toEqual([
    ['ReadOnlyBot', 'read_text_file', 'read:files', true],
    ['ReadOnlyBot', 'list_directory', 'read:files', true],
    ['ReadOnlyBot', 'write_file', 'write:files', false],
    ['ReadOnlyBot', 'write_file', 'write:files', false],
    ['ReadOnlyBot', 'edit_file', 'admin:files', false],
    ['ReadOnlyBot', 'move_file', 'admin:files', false],
  ]);
  expect(readFileSync(auditLog, 'utf8')).not.toContain('overwritten');
});
