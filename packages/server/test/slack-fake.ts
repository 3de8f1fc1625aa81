import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';

/** One call the fake Slack Web API received. */
export interface SlackCall {
  method: string;
  token: string | undefined;
  args: Record<string, any>;
  /** What the fake answered (undefined for a call it failed on purpose). */
  result?: Record<string, any>;
}

/**
 * A fake Slack on 127.0.0.1: the Web API methods the server uses (every call recorded, each
 * answered as Slack would), users with emails for `users.info`, failures on demand, and a
 * Socket Mode WebSocket (`apps.connections.open` answers its URL) that sends envelopes and
 * records acks. The server's `@slack/web-api` and `@slack/socket-mode` clients talk to it
 * as they are.
 */
export interface FakeSlack {
  /** `http://127.0.0.1:port/api/`: the server's `slackApiUrl`. */
  apiUrl: string;
  calls: SlackCall[];
  /** Slack users by id: their profile email. */
  users: Map<string, string>;
  /** The next `n` calls of `method` answer HTTP `status`. */
  failNext(method: string, n: number, status?: number): void;
  /** Waits for the `count`-th call of `method` (1-based) matching `where`. */
  waitForCall(method: string, where?: (c: SlackCall) => boolean, count?: number): Promise<SlackCall>;
  /** Socket Mode: resolves once a client connected and was sent hello. */
  socketConnected(): Promise<void>;
  /** Socket Mode: sends an envelope; resolves with the client's ack. */
  sendEnvelope(type: string, payload: unknown): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head =
    len < 126 ? Buffer.from([0x80 | opcode, len]) : Buffer.from([0x80 | opcode, 126, len >> 8, len & 255]);
  return Buffer.concat([head, payload]);
}

/** Client frames (masked), one at a time as they complete. */
function readFrames(socket: Duplex, onFrame: (opcode: number, payload: Buffer) => void): void {
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length < 2) return;
      const opcode = buffer[0] & 0x0f;
      let len = buffer[1] & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buffer.length < 4) return;
        len = buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buffer.length < 10) return;
        len = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (buffer[1] & 0x80) !== 0;
      const need = offset + (masked ? 4 : 0) + len;
      if (buffer.length < need) return;
      const mask = masked ? buffer.subarray(offset, offset + 4) : undefined;
      const payload = Buffer.from(buffer.subarray(need - len, need));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      buffer = buffer.subarray(need);
      onFrame(opcode, payload);
    }
  });
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const users = new Map<string, string>();
  const failures = new Map<string, { n: number; status: number }>();
  let posted = 0;
  let socket: Duplex | undefined;
  let connected: () => void;
  let connectedOnce = new Promise<void>((r) => (connected = r));
  const acks = new Map<string, (ack: Record<string, unknown>) => void>();
  let envelopes = 0;

  const answer = (method: string, args: Record<string, any>): Record<string, unknown> => {
    switch (method) {
      case 'chat.postMessage':
        posted += 1;
        return { ok: true, channel: 'C0APPROVALS', ts: `1700000000.${String(posted).padStart(6, '0')}` };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: '1700000001.000001' };
      case 'users.info': {
        const email = users.get(args.user);
        return email
          ? { ok: true, user: { id: args.user, deleted: false, is_bot: false, profile: { email } } }
          : { ok: false, error: 'user_not_found' };
      }
      case 'apps.connections.open':
        return { ok: true, url: `ws://127.0.0.1:${port}/link` };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
      const text = Buffer.concat(chunks).toString('utf8');
      const args: Record<string, any> = {};
      if ((req.headers['content-type'] ?? '').includes('json'))
        Object.assign(args, text ? JSON.parse(text) : {});
      else for (const [k, v] of new URLSearchParams(text)) args[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      const call: SlackCall = { method, token, args };
      calls.push(call);
      const failure = failures.get(method);
      if (failure && failure.n > 0) {
        failure.n -= 1;
        res.writeHead(failure.status, { 'content-type': 'text/plain' }).end('fake failure');
        return;
      }
      call.result = answer(method, args);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(call.result));
    });
  });
  server.on('upgrade', (req, sock: Duplex) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
    sock.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket = sock;
    sock.on('error', () => undefined);
    readFrames(sock, (opcode, payload) => {
      if (opcode === 0x9) sock.write(frame(0xa, payload));
      else if (opcode === 0x8) sock.end(frame(0x8, Buffer.alloc(0)));
      else if (opcode === 0x1) {
        const message = JSON.parse(payload.toString('utf8'));
        acks.get(message.envelope_id)?.(message);
      }
    });
    sock.write(frame(0x1, Buffer.from(JSON.stringify({ type: 'hello', num_connections: 1 }))));
    connected();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    calls,
    users,
    failNext(method, n, status = 500) {
      failures.set(method, { n, status });
    },
    async waitForCall(method, where = () => true, count = 1) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const found = calls.filter((c) => c.method === method && where(c));
        if (found.length >= count) return found[count - 1];
        if (Date.now() > deadline)
          throw new Error(
            `the fake Slack got no call ${count} of ${method}; calls: ${calls.map((c) => c.method).join(', ')}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    socketConnected: () => connectedOnce,
    sendEnvelope(type, payload) {
      const id = `env-${++envelopes}`;
      return new Promise((resolve, reject) => {
        if (!socket) return reject(new Error('no Socket Mode client is connected'));
        const timer = setTimeout(() => reject(new Error(`no ack of ${id}`)), 20_000);
        acks.set(id, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
        socket.write(
          frame(
            0x1,
            Buffer.from(JSON.stringify({ type, envelope_id: id, payload, accepts_response_payload: false })),
          ),
        );
      });
    },
    async close() {
      socket?.destroy();
      connectedOnce = new Promise<void>((r) => (connected = r));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Slack's signature of a request body: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`. */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** The `block_actions` payload Slack sends when a user clicks one of our buttons. */
export function clickPayload(
  approvalId: string,
  user: string,
  action: 'approve' | 'deny',
): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase() },
    channel: { id: 'C0APPROVALS' },
    container: { type: 'message', channel_id: 'C0APPROVALS' },
    response_url: 'https://hooks.slack.invalid/actions/1',
    actions: [
      { type: 'button', action_id: `agentsudo_${action}`, block_id: 'agentsudo_decision', value: approvalId },
    ],
  };
}
