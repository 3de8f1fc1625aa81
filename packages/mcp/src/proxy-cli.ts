#!/usr/bin/env node
/**
 * The `agentsudo-mcp` command: AgentSudo in front of an MCP server you did not write.
 * Events go where the `agentsudo` package sends them (its console on stderr, `--audit-log`,
 * the dashboard with `AGENTSUDO_API_KEY`), which is why only this file imports it: the
 * library `@agentsudo/mcp` stays free of transports.
 *
 * @example
 * ```sh
 * agentsudo-mcp --policy mcp-policy.yaml --agent ReadOnlyBot -- npx @modelcontextprotocol/server-filesystem /data
 * ```
 */
import { configureCloud, configureFileLog, ConfigurationError, SDK_VERSION, shutdown } from 'agentsudo';
import { runHttpProxy } from './http-proxy';
import { parseProxyArgs, PROXY_USAGE, type ProxyArgs } from './proxy-args';
import { loadMcpPolicy, type McpPolicy } from './policy-file';
import { runStdioProxy } from './stdio-proxy';
import { ToolTraffic } from './tool-traffic';

async function main(argv: string[]): Promise<number> {
  let args: ProxyArgs;
  let policy: McpPolicy;
  try {
    args = parseProxyArgs(argv);
    if (args.mode === 'help') {
      process.stdout.write(PROXY_USAGE);
      return 0;
    }
    if (args.mode === 'version') {
      process.stdout.write(`${SDK_VERSION}\n`);
      return 0;
    }
    policy = loadMcpPolicy(args.policy);
    if (args.auditLog !== undefined) configureFileLog({ filename: args.auditLog });
    if (process.env.AGENTSUDO_API_KEY) configureCloud();
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const traffic = new ToolTraffic(policy);
  try {
    if (args.mode === 'stdio') {
      const agent = policy.agentNamed(args.agent);
      return await runStdioProxy({
        agent,
        traffic,
        command: args.command,
        args: args.args,
        env: upstreamEnv(policy),
        stderr: process.stderr,
      });
    }
    const registry = policy.registry(process.env);
    return await runHttpProxy({
      registry,
      traffic,
      upstream: args.upstream,
      host: args.host,
      port: args.port,
      stderr: process.stderr,
    });
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
}

/**
 * The environment the upstream server is started with: the proxy's own, without its
 * secrets (the dashboard key and the agents' tokens), which the upstream has no use for.
 */
function upstreamEnv(policy: McpPolicy): Record<string, string> {
  const secrets = new Set(['AGENTSUDO_API_KEY', ...policy.agents.flatMap((a) => a.tokenEnv ?? [])]);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !secrets.has(name)) env[name] = value;
  }
  return env;
}

main(process.argv.slice(2)).then(
  async (code) => {
    await shutdown().catch(() => {});
    process.exitCode = code;
    // The upstream's pipes or a stuck transport must not keep the proxy alive once it is done.
    setTimeout(() => process.exit(code), 3000).unref();
  },
  (err: unknown) => {
    process.stderr.write(
      `agentsudo-mcp: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
