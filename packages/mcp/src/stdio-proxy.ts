import type { Agent } from '@agentsudo/core';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { PendingRequests, ToolTraffic } from './tool-traffic';

/**
 * How the stdio proxy runs: the agent every message is checked as, the rules, the upstream
 * command, and the environment it gets.
 *
 * @example
 * ```ts
 * const options: StdioProxyOptions = { agent: reader, traffic, command: 'npx', args: ['@modelcontextprotocol/server-filesystem', '/data'], env: process.env };
 * ```
 */
export interface StdioProxyOptions {
  agent: Agent;
  traffic: ToolTraffic;
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  /** Where the proxy says why it stops; stdout is the MCP channel. */
  stderr: NodeJS.WritableStream;
}

/**
 * Puts the policy between this process's stdio (the MCP client) and an upstream MCP server
 * spawned as a child on its own stdio. Resolves with the exit code: 0 when the client
 * closes, 1 when the upstream goes away first, after every request still waiting has been
 * answered with an error and stderr has said why. The child's stderr is passed through.
 *
 * @example
 * ```ts
 * process.exitCode = await runStdioProxy({ agent, traffic, command, args, env, stderr: process.stderr });
 * ```
 */
export async function runStdioProxy(options: StdioProxyOptions): Promise<number> {
  const { agent, traffic, stderr } = options;
  const downstream = new StdioServerTransport();
  const upstream = new StdioClientTransport({
    command: options.command,
    args: [...options.args],
    env: options.env,
    stderr: 'inherit',
  });
  const pending = new PendingRequests();
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopping = false;

  const stop = async (code: number, why?: string) => {
    if (stopping) return;
    stopping = true;
    if (why !== undefined) {
      for (const answer of pending.failAll(why)) await downstream.send(answer).catch(() => {});
      stderr.write(`agentsudo-mcp: ${why}\n`);
    }
    process.stdin.off('end', clientGone);
    process.off('SIGTERM', clientGone);
    process.off('SIGINT', clientGone);
    await upstream.close().catch(() => {});
    await downstream.close().catch(() => {});
    finish(code);
  };

  downstream.onmessage = (message: JSONRPCMessage) => {
    const verdict = traffic.fromClient(agent, message, undefined);
    if ('answer' in verdict) {
      void downstream.send(verdict.answer).catch(() => {});
      return;
    }
    pending.sent(message);
    upstream.send(message).catch((err: Error) => {
      void stop(1, `could not send to the upstream MCP server (${err.message}); stopping.`);
    });
  };
  upstream.onmessage = (message: JSONRPCMessage) => {
    const method = pending.answered(message);
    const out = method === 'tools/list' ? traffic.toolListFor(agent, message) : message;
    void downstream.send(out).catch(() => {});
  };
  // The SDK's stdio server transport does not notice the client going away: end of input
  // (the client closed) and the usual stop signals end the proxy, and the upstream with it.
  const clientGone = () => void stop(0);
  process.stdin.once('end', clientGone);
  process.once('SIGTERM', clientGone);
  process.once('SIGINT', clientGone);
  downstream.onclose = clientGone;
  upstream.onclose = () =>
    void stop(
      1,
      `the upstream MCP server (${options.command}) exited or closed its output; requests it had not ` +
        'answered were answered with an error. Check its own messages above, then start agentsudo-mcp again.',
    );
  // A line that is not JSON-RPC is dropped by the SDK's reader; it reports it here. Either
  // side doing so is not fatal, as with the SDK's own servers.
  downstream.onerror = (err) => stderr.write(`agentsudo-mcp: from the client: ${err.message}\n`);
  upstream.onerror = (err) => stderr.write(`agentsudo-mcp: from the upstream: ${err.message}\n`);

  try {
    await upstream.start();
  } catch (err) {
    stderr.write(
      `agentsudo-mcp: could not start the upstream MCP server ${JSON.stringify(options.command)} ` +
        `(${(err as Error).message}). Check the command after --.\n`,
    );
    return 1;
  }
  await downstream.start();
  return finished;
}
