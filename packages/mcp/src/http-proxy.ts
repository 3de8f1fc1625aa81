import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { sendJson, type AgentRegistry } from '@agentsudo/nestjs/express';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { agentResolution } from './agent-resolution';
import { admitHttpRequest } from './http-admission';
import { toolDenial } from './denial-result';
import type { ToolTraffic } from './tool-traffic';

/**
 * How the HTTP proxy runs: the agents by token, the rules, the upstream endpoint and where
 * to listen.
 *
 * @example
 * ```ts
 * const options: HttpProxyOptions = { registry, traffic, upstream: new URL('http://127.0.0.1:3001/mcp'), host: '127.0.0.1', port: 3002, stderr: process.stderr };
 * ```
 */
export interface HttpProxyOptions {
  registry: AgentRegistry;
  traffic: ToolTraffic;
  upstream: URL;
  host: string;
  port: number;
  stderr: NodeJS.WritableStream;
  /** Largest request body taken, in bytes; larger ones are answered 413. Default 32 MiB. */
  maxBodyBytes?: number;
}

/** The path the proxy serves MCP on, as the SDK's examples do. */
const MCP_PATH = '/mcp';
/** Request headers that carry MCP's own state; the agent's token is not among them. */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'content-type',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
];
/** Response headers passed back to the client. */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'mcp-session-id', 'cache-control'];

/**
 * Starts the Streamable HTTP proxy: it listens on `host:port` at `/mcp` and sends each
 * request on to the upstream endpoint after checking it. The bearer token picks the agent
 * (`401` without a known one); a `tools/call` the agent may not make is answered in the
 * upstream's place with the `isError` result; the upstream's `tools/list` answer (JSON or
 * an event stream) is cut down to the agent's tools; everything else, GET streams and
 * DELETE included, passes unchanged. The agent's token never reaches the upstream. Each
 * request is a new connection to the upstream, so an upstream that is down answers `502`
 * and one that is back is used again at the next request. Resolves with the exit code
 * when SIGTERM or SIGINT stops it; stderr says where it listens.
 *
 * @example
 * ```ts
 * process.exitCode = await runHttpProxy({ registry, traffic, upstream, host: '127.0.0.1', port: 3002, stderr: process.stderr });
 * ```
 */
export async function runHttpProxy(options: HttpProxyOptions): Promise<number> {
  const { traffic, upstream, stderr, maxBodyBytes = 32 * 1024 * 1024 } = options;
  const resolve = agentResolution({ agents: options.registry }, 'agentsudo-mcp');
  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      stderr.write(`agentsudo-mcp: ${err.message}\n`);
      if (!res.headersSent) sendJson(res, 502, { error: 'The proxy could not complete the request.' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://proxy').pathname !== MCP_PATH) {
      sendJson(res, 404, { error: `Not found: MCP is served at ${MCP_PATH}.` });
      return;
    }
    const sessionHeader = req.headers['mcp-session-id'];
    const mcpSessionId = typeof sessionHeader === 'string' ? sessionHeader : undefined;
    // Who is calling is settled before the body is read: a caller without a known token is
    // answered 401 (by the guard's HTTP check, which records it) without the proxy taking
    // in, or parsing, what it sent.
    const resolution = await resolve({ sessionId: mcpSessionId, requestInfo: { headers: req.headers } });
    if (resolution.agent === undefined) {
      await admitHttpRequest(req, res, undefined, {
        resolve: () => resolution,
        requirementOf: () => undefined,
        httpDenial: 'tool-result',
        onDeny: 'raise',
        denialOf: (agent, tool, requirement) => toolDenial(tool, agent, requirement),
      });
      return;
    }
    const agent = resolution.agent;

    let body: unknown;
    let raw: Buffer | undefined;
    if (req.method === 'POST') {
      raw = await readBody(req, maxBodyBytes);
      if (raw === undefined) {
        res.once('finish', () => req.socket.destroy());
        sendJson(
          res,
          413,
          { error: `The request body is larger than ${maxBodyBytes} bytes, the proxy's limit.` },
          { Connection: 'close' },
        );
        return;
      }
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        sendJson(res, 400, jsonRpcError(-32700, 'Parse error: the body is not JSON.'));
        return;
      }
      const messages = Array.isArray(body) ? body : [body];
      if (messages.length === 0 || !messages.every(isObject)) {
        sendJson(res, 400, jsonRpcError(-32600, 'Invalid request: send a JSON-RPC message (an object).'));
        return;
      }
    }

    let listId: string | number | undefined;
    let requestId: string | number | undefined;
    if (body !== undefined) {
      if (Array.isArray(body)) {
        if (body.some((m) => isToolMethod(m))) {
          sendJson(res, 400, { error: 'Send tools/list and tools/call one per request, not in a batch.' });
          return;
        }
      } else {
        const message = body as JSONRPCMessage;
        const verdict = traffic.fromClient(agent, message, mcpSessionId);
        if ('answer' in verdict) {
          sendJson(res, 200, verdict.answer, mcpSessionId ? { 'Mcp-Session-Id': mcpSessionId } : {});
          return;
        }
        if ('method' in message && 'id' in message) {
          requestId = message.id;
          if (message.method === 'tools/list') listId = message.id;
        }
      }
    }

    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let answer: Response;
    try {
      answer = await fetch(upstream, { method: req.method, headers, body: raw });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      stderr.write(
        `agentsudo-mcp: the upstream ${upstream.href} did not answer (${cause?.code ?? cause?.message ?? (err as Error).message}).\n`,
      );
      sendJson(res, 502, {
        error: `The upstream MCP server did not answer (${cause?.code ?? 'unreachable'}). The proxy tries it again at the next request.`,
      });
      return;
    }
    const responseHeaders: Record<string, string> = {};
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = answer.headers.get(name);
      if (value !== null) responseHeaders[name] = value;
    }
    if (listId !== undefined && answer.ok) {
      const text = await answer.text();
      const filtered = filterListAnswer(text, answer.headers.get('content-type') ?? '', (m) =>
        'id' in m && m.id === listId ? traffic.toolListFor(agent, m) : m,
      );
      delete responseHeaders['content-length'];
      res.writeHead(answer.status, responseHeaders);
      res.end(filtered);
      return;
    }
    res.writeHead(answer.status, responseHeaders);
    if (answer.body === null) {
      res.end();
      return;
    }
    const stream = Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream);
    // An upstream that goes away mid-answer must not leave the client waiting: an event
    // stream gets an error answer for the request (after a blank line, which ends any
    // event cut off midway), anything else is cut off so the client's request fails.
    const eventStream = (responseHeaders['content-type'] ?? '').includes('text/event-stream');
    stream.on('error', (err) => {
      stderr.write(`agentsudo-mcp: the upstream ${upstream.href} broke off its answer (${err.message}).\n`);
      if (!eventStream || requestId === undefined) return void res.destroy();
      const failed = {
        jsonrpc: '2.0',
        id: requestId,
        error: {
          code: -32603,
          message: 'The upstream MCP server broke off its answer; the call may or may not have run.',
        },
      };
      res.end(`\n\nevent: message\ndata: ${JSON.stringify(failed)}\n\n`);
    });
    req.on('close', () => stream.destroy());
    stream.pipe(res);
  }

  await new Promise<void>((ready, failed) => {
    server.once('error', failed);
    server.listen(options.port, options.host, () => ready());
  });
  const { address, port } = server.address() as AddressInfo;
  stderr.write(
    `agentsudo-mcp: listening on http://${address.includes(':') ? `[${address}]` : address}:${port}${MCP_PATH}, forwarding to ${upstream.href}\n`,
  );
  return new Promise<number>((done) => {
    const stop = () => {
      server.close(() => done(0));
      server.closeAllConnections();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/**
 * The body of `req`, or undefined when it is larger than `limit` bytes. The rest of a body
 * too large is not read: the request is paused, and its connection closed once answered.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolveBody, failed) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolveBody(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolveBody(Buffer.concat(chunks)));
    req.once('error', failed);
  });
}

/** Applies `change` to every JSON-RPC message of an upstream answer, JSON or event stream. */
function filterListAnswer(
  text: string,
  contentType: string,
  change: (m: JSONRPCMessage) => JSONRPCMessage,
): string {
  if (!contentType.includes('text/event-stream')) {
    const parsed = JSON.parse(text) as JSONRPCMessage | JSONRPCMessage[];
    return JSON.stringify(Array.isArray(parsed) ? parsed.map(change) : change(parsed));
  }
  // Server-sent events: blocks split by a blank line; only `data:` lines carry JSON-RPC.
  return text
    .split(/\r?\n\r?\n/)
    .map((block) => {
      const lines = block.split(/\r?\n/);
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
      if (data.length === 0) return block;
      let message: JSONRPCMessage;
      try {
        message = JSON.parse(data.join('\n')) as JSONRPCMessage;
      } catch {
        return block;
      }
      const others = lines.filter((l) => !l.startsWith('data:'));
      return [...others, `data: ${JSON.stringify(change(message))}`].join('\n');
    })
    .join('\n\n');
}

function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', id: null, error: { code, message } };
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isToolMethod(message: unknown): boolean {
  const method = (message as { method?: unknown } | null)?.method;
  return method === 'tools/list' || method === 'tools/call';
}
