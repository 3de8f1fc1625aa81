import { ConfigurationError } from '@agentsudo/core';

/**
 * The usage text of `agentsudo-mcp`.
 *
 * @example
 * ```ts
 * process.stdout.write(PROXY_USAGE);
 * ```
 */
export const PROXY_USAGE = `Usage:
  agentsudo-mcp --policy FILE --agent NAME -- <command> [args...]
      stdio: spawns the upstream MCP server <command>, speaks MCP on this process's stdin/stdout
  agentsudo-mcp --policy FILE --upstream URL --port N [--host 127.0.0.1]
      Streamable HTTP: listens on host:port at /mcp, forwards to URL; each request's bearer
      token (Authorization: Bearer …) picks the agent, by the policy's token_env

Options:
  --policy FILE      the policy (YAML): agents, tool globs to scopes, unlisted: deny|allow
  --agent NAME       stdio: the agent from the policy every call is checked as
  --upstream URL     HTTP: the upstream MCP server's Streamable HTTP endpoint
  --port N           HTTP: the port to listen on (0 picks a free one)
  --host HOST        HTTP: the address to listen on (default 127.0.0.1)
  --audit-log FILE   also write every check to FILE as JSON Lines
  --help, --version

Events go to stderr (denials), to --audit-log, and to the dashboard when AGENTSUDO_API_KEY
is set (AGENTSUDO_ENDPOINT names it). Docs: docs/mcp.md
`;

/**
 * A command line `agentsudo-mcp` cannot run: an unknown option, a missing or repeated one,
 * or a mode asked for by halves. Its message names the option and points to `--help`.
 *
 * @example
 * ```ts
 * try {
 *   parseProxyArgs(['--polcy', 'p.yaml']);
 * } catch (e) {
 *   if (e instanceof ProxyUsageError) console.error(e.option, e.message);
 * }
 * ```
 */
export class ProxyUsageError extends ConfigurationError {
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super(`agentsudo-mcp: ${problem} See agentsudo-mcp --help.`);
    this.name = 'ProxyUsageError';
  }
}

/**
 * What `agentsudo-mcp` was asked to do.
 *
 * @example
 * ```ts
 * const args: ProxyArgs = { mode: 'stdio', policy: 'p.yaml', agent: 'ReadOnlyBot', command: 'npx', args: ['server'] };
 * ```
 */
export type ProxyArgs =
  | { mode: 'help' }
  | { mode: 'version' }
  | { mode: 'stdio'; policy: string; agent: string; command: string; args: string[]; auditLog?: string }
  | { mode: 'http'; policy: string; upstream: URL; port: number; host: string; auditLog?: string };

const VALUED = ['--policy', '--agent', '--upstream', '--port', '--host', '--audit-log'] as const;
type Valued = (typeof VALUED)[number];

/**
 * Reads the command line (without `node` and the script).
 *
 * @example
 * ```ts
 * parseProxyArgs(['--policy', 'p.yaml', '--agent', 'ReadOnlyBot', '--', 'npx', 'server']);
 * ```
 */
export function parseProxyArgs(argv: readonly string[]): ProxyArgs {
  const dashes = argv.indexOf('--');
  const own = dashes === -1 ? argv : argv.slice(0, dashes);
  const upstreamCommand = dashes === -1 ? [] : argv.slice(dashes + 1);
  if (own.includes('--help') || own.includes('-h')) return { mode: 'help' };
  if (own.includes('--version') || own.includes('-v')) return { mode: 'version' };

  const values = new Map<Valued, string>();
  for (let i = 0; i < own.length; i++) {
    const arg = own[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (!(VALUED as readonly string[]).includes(flag)) {
      const what = flag.startsWith('-')
        ? `unknown option ${flag}.`
        : `unexpected argument ${JSON.stringify(flag)} (put the upstream command after --).`;
      throw new ProxyUsageError(flag, what);
    }
    const value = inline ?? own[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new ProxyUsageError(flag, `${flag} needs a value.`);
    }
    if (values.has(flag as Valued)) throw new ProxyUsageError(flag, `${flag} is given twice.`);
    values.set(flag as Valued, value);
  }

  const policy = values.get('--policy');
  if (policy === undefined) throw new ProxyUsageError('--policy', 'give the policy file with --policy FILE.');
  const auditLog = values.get('--audit-log');
  const http = values.has('--upstream') || values.has('--port') || values.has('--host');
  if (!http) {
    const agent = values.get('--agent');
    if (agent === undefined) {
      throw new ProxyUsageError(
        '--agent',
        'say which agent of the policy calls, with --agent NAME (or use --upstream URL --port N for HTTP).',
      );
    }
    const [command, ...args] = upstreamCommand;
    if (command === undefined || command === '') {
      throw new ProxyUsageError(
        '--',
        'give the upstream MCP server command after --, like -- npx @modelcontextprotocol/server-filesystem /data.',
      );
    }
    return { mode: 'stdio', policy, agent, command, args, auditLog };
  }
  if (values.has('--agent')) {
    throw new ProxyUsageError(
      '--agent',
      "--agent is for stdio; over HTTP each request's bearer token picks the agent (token_env in the policy).",
    );
  }
  if (upstreamCommand.length > 0) {
    throw new ProxyUsageError('--', 'over HTTP the upstream is --upstream URL, not a command after --.');
  }
  const upstreamText = values.get('--upstream');
  if (upstreamText === undefined)
    throw new ProxyUsageError('--upstream', 'give the upstream server with --upstream http://host:port/mcp.');
  let upstream: URL;
  try {
    upstream = new URL(upstreamText);
  } catch {
    throw new ProxyUsageError(
      '--upstream',
      `--upstream ${JSON.stringify(upstreamText)} is not a URL; write it like http://127.0.0.1:3001/mcp.`,
    );
  }
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') {
    throw new ProxyUsageError(
      '--upstream',
      `--upstream must be an http: or https: URL, got ${upstream.protocol}.`,
    );
  }
  const portText = values.get('--port');
  const port = portText === undefined ? NaN : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !/^\d+$/.test(portText ?? '')) {
    throw new ProxyUsageError(
      '--port',
      `give the port to listen on with --port N (0 to 65535), got ${JSON.stringify(portText ?? null)}.`,
    );
  }
  return { mode: 'http', policy, upstream, port, host: values.get('--host') ?? '127.0.0.1', auditLog };
}
