import { Agent, Sudo, configureFileLog, shutdown } from 'agentsudo';
import { SCOPE_META_KEY, guardMcpServer } from '@agentsudo/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

/** The notes the tools work on. Its methods are @Sudo tools too: checked as the MCP caller. */
class Notebook {
  private readonly notes = new Map<string, string>([['welcome', 'Hello from the notebook.']]);

  @Sudo('read:notes')
  list(): string[] {
    return [...this.notes.keys()];
  }

  @Sudo('read:notes')
  read(title: string): string | undefined {
    return this.notes.get(title);
  }

  @Sudo('write:notes')
  write(title: string, text: string): void {
    this.notes.set(title, text);
  }

  @Sudo('delete:notes')
  delete(title: string): boolean {
    return this.notes.delete(title);
  }
}

/** Who may run this server, one agent per process (stdio has no tokens): `--agent NAME`. */
const AGENTS = [
  new Agent({ name: 'ReadOnlyBot', scopes: ['read:notes'] }),
  new Agent({ name: 'EditorBot', scopes: ['read:notes', 'write:notes'] }),
  new Agent({ name: 'AdminBot', scopes: ['*'] }),
];

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
  const agentName = option('agent') ?? 'ReadOnlyBot';
  const agent = AGENTS.find((a) => a.name === agentName);
  if (agent === undefined) {
    process.stderr.write(
      `Unknown --agent ${agentName}; use one of ${AGENTS.map((a) => a.name).join(', ')}.\n`,
    );
    process.exit(2);
  }
  // Every check also goes to a JSON Lines audit log when asked (stdout carries the protocol).
  const auditLog = option('audit-log');
  if (auditLog !== undefined) configureFileLog({ filename: auditLog });

  const notebook = new Notebook();
  const server = new McpServer({ name: 'notebook', version: '1.0.0' });
  guardMcpServer(server, {
    scopes: { list_notes: 'read:notes', read_note: 'read:notes', write_note: 'write:notes' },
    agent,
  });

  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
  server.registerTool('list_notes', { description: 'List the titles of all notes' }, async () =>
    text(notebook.list().join('\n')),
  );
  server.registerTool(
    'read_note',
    { description: 'Read one note', inputSchema: { title: z.string() } },
    async ({ title }) => text(notebook.read(title) ?? `No note titled ${title}.`),
  );
  server.registerTool(
    'write_note',
    { description: 'Create or replace a note', inputSchema: { title: z.string(), text: z.string() } },
    async ({ title, text: body }) => {
      notebook.write(title, body);
      return text(`Saved ${title} (${body.length} characters).`);
    },
  );
  // A scope can also be declared where the tool is registered, in its _meta.
  server.registerTool(
    'delete_note',
    {
      description: 'Delete a note',
      inputSchema: { title: z.string() },
      _meta: { [SCOPE_META_KEY]: 'delete:notes' },
    },
    async ({ title }) => text(notebook.delete(title) ? `Deleted ${title}.` : `No note titled ${title}.`),
  );

  const transport = new StdioServerTransport();
  transport.onclose = () => void shutdown().finally(() => process.exit(0));
  await server.connect(transport);
  process.stderr.write(`notebook MCP server running on stdio as ${agent.name}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
