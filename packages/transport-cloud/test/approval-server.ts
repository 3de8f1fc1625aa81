import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** An approval as the server holds it (the contract's approval object). */
export interface HeldApproval {
  id: string;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  project: string;
  agent_name: string;
  agent_id?: string;
  scope: string;
  function_name: string;
  description?: string;
  args_digest?: string;
  created_at: string;
  expires_at: string;
  decided_at?: string;
  decided_by?: string;
  reason?: string;
  remember_minutes?: number;
  same_args_only?: boolean;
  consumed_at?: string;
  grant_id?: string;
  source: 'sdk' | 'python';
}

/** A remembered grant (the contract's grant event data). */
export interface HeldGrant {
  id: string;
  agent_id?: string;
  agent_name: string;
  scope: string;
  args_digest?: string;
  expires_at: string;
  revoked_at?: string;
}

/**
 * The approvals HTTP contract served on 127.0.0.1, in memory: the SDK routes (ingest key
 * as Bearer), the dashboard's decision and revocation routes (a user token as Bearer, the
 * fake's stand-in for a signed-in session), a real event stream and a real long-poll.
 * It records every byte it receives, and can be told to fail.
 */
export class ApprovalServer {
  static readonly KEY = 'as_approvals_0123456789';
  static readonly USER_TOKEN = 'user_ana_token';
  static readonly PROJECT = 'prj_test';
  readonly approvals = new Map<string, HeldApproval>();
  readonly grants = new Map<string, HeldGrant>();
  /** Every byte received on every connection, in arrival order. */
  readonly received: Buffer[] = [];
  /** Every request, `METHOD /path` (query left out). */
  readonly requests: string[] = [];
  /** Answers this status (with the error shape) to requests it returns a number for. */
  fail: ((method: string, path: string) => number | undefined) | undefined;
  /** When false the stream route answers 404, so clients must long-poll. */
  streamEnabled = true;
  heartbeatMs = 15_000;
  /** Called with each new pending approval, as it is stored. */
  onPending: ((approval: HeldApproval) => void) | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly streams = new Set<ServerResponse>();
  private readonly waiters = new Map<string, Set<(a: HeldApproval) => void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly requestKeys = new Map<string, string>();
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open event streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** The bytes received so far, as text. */
  receivedText(): string {
    return Buffer.concat(this.received).toString('latin1');
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => this.route(req, res));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('data', (d: Buffer) => this.received.push(d));
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and cuts every connection (clients then see ECONNREFUSED). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Cuts the open event streams (clients reconnect). */
  dropStreams(): void {
    for (const res of this.streams) res.destroy();
  }

  /** The approvals asked for, oldest first. */
  list(): HeldApproval[] {
    return [...this.approvals.values()];
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${path}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const failure = this.fail?.(method, path);
      if (failure !== undefined) return send(res, failure, { error: 'injected', message: `HTTP ${failure}` });
      let body: Record<string, unknown> = {};
      if (chunks.length) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          return send(res, 400, { error: 'invalid_json', message: 'the body is not JSON' });
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          return send(res, 400, { error: 'invalid_body', message: 'the body must be a JSON object' });
        }
      }
      const auth = req.headers.authorization ?? '';
      const dashboard = /^\/api\/projects\/([^/]+)\/(approvals|grants)\/([^/]+)(\/decision)?$/.exec(path);
      if (dashboard) {
        if (auth !== `Bearer ${ApprovalServer.USER_TOKEN}`) return unauthorized(res);
        if (dashboard[1] !== ApprovalServer.PROJECT) return notFound(res, 'project');
        if (dashboard[2] === 'approvals' && dashboard[4] && method === 'POST') {
          return this.decisionRoute(res, dashboard[3], body);
        }
        if (dashboard[2] === 'grants' && !dashboard[4] && method === 'DELETE')
          return this.revokeRoute(res, dashboard[3]);
        return notFound(res, 'route');
      }
      if (auth !== `Bearer ${ApprovalServer.KEY}`) return unauthorized(res);
      if (method === 'POST' && path === '/api/approvals') return this.createRoute(res, body);
      if (method === 'GET' && path === '/api/approvals/stream') return this.streamRoute(req, res);
      if (method === 'GET' && path === '/api/grants') return this.grantsRoute(res, url);
      const one = /^\/api\/approvals\/([^/]+)(\/wait|\/consume)?$/.exec(path);
      const approval = one ? this.approvals.get(one[1]) : undefined;
      if (!one) return notFound(res, 'route');
      if (!approval) return notFound(res, 'approval');
      if (method === 'GET' && !one[2]) return send(res, 200, approval);
      if (method === 'GET' && one[2] === '/wait') return this.waitRoute(req, res, approval, url);
      if (method === 'POST' && one[2] === '/consume') return this.consumeRoute(res, approval, body);
      return notFound(res, 'route');
    });
  }

  private createRoute(res: ServerResponse, body: Record<string, unknown>): void {
    const problem =
      text(body, 'agent_name', 200) ??
      optionalText(body, 'agent_id', 200) ??
      text(body, 'scope', 200) ??
      text(body, 'function_name', 500) ??
      (typeof body.args_digest === 'string' && /^[0-9a-f]{64}$/.test(body.args_digest)
        ? undefined
        : 'args_digest must be 64 hex characters') ??
      optionalText(body, 'description', 500) ??
      optionalText(body, 'session_id', 200) ??
      (body.timeout_ms === undefined ||
      (Number.isInteger(body.timeout_ms) &&
        (body.timeout_ms as number) >= 1000 &&
        (body.timeout_ms as number) <= 86_400_000)
        ? undefined
        : 'timeout_ms must be a whole number from 1000 to 86400000') ??
      (body.request_key === undefined ||
      (typeof body.request_key === 'string' && /^[0-9a-f-]{36}$/i.test(body.request_key))
        ? undefined
        : 'request_key must be a uuid');
    if (problem) return send(res, 400, { error: 'invalid_body', message: problem });
    const again = typeof body.request_key === 'string' ? this.requestKeys.get(body.request_key) : undefined;
    if (again) return send(res, 200, this.approvals.get(again));
    const now = Date.now();
    const timeout = (body.timeout_ms as number | undefined) ?? 300_000;
    const approval: HeldApproval = {
      id: randomBytes(16).toString('base64url'),
      status: 'pending',
      project: ApprovalServer.PROJECT,
      agent_name: body.agent_name as string,
      ...(body.agent_id !== undefined ? { agent_id: body.agent_id as string } : {}),
      scope: body.scope as string,
      function_name: body.function_name as string,
      ...(body.description !== undefined ? { description: body.description as string } : {}),
      args_digest: body.args_digest as string,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + timeout).toISOString(),
      source: 'sdk',
    };
    this.approvals.set(approval.id, approval);
    if (typeof body.request_key === 'string') this.requestKeys.set(body.request_key, approval.id);
    const grant = [...this.grants.values()].find(
      (g) =>
        g.revoked_at === undefined &&
        Date.parse(g.expires_at) > now &&
        g.agent_name === approval.agent_name &&
        (g.agent_id === undefined || g.agent_id === approval.agent_id) &&
        g.scope === approval.scope &&
        (g.args_digest === undefined || g.args_digest === approval.args_digest),
    );
    if (grant) {
      Object.assign(approval, {
        status: 'approved',
        decided_at: approval.created_at,
        decided_by: `grant ${grant.id}`,
        grant_id: grant.id,
      });
      return send(res, 200, approval);
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (approval.status !== 'pending') return;
      Object.assign(approval, { status: 'expired', decided_at: new Date().toISOString() });
      this.announce(approval);
    }, timeout);
    this.timers.add(timer);
    send(res, 201, approval);
    this.onPending?.(approval);
  }

  private waitRoute(req: IncomingMessage, res: ServerResponse, approval: HeldApproval, url: URL): void {
    const raw = url.searchParams.get('timeout_ms');
    const ms = raw === null ? 25_000 : Number(raw);
    if (!Number.isInteger(ms) || ms < 0 || ms > 30_000) {
      return send(res, 400, {
        error: 'invalid_query',
        message: `timeout_ms ${raw} must be a whole number up to 30000`,
      });
    }
    if (approval.status !== 'pending') return send(res, 200, approval);
    let set = this.waiters.get(approval.id);
    if (!set) this.waiters.set(approval.id, (set = new Set()));
    const answer = (a: HeldApproval) => {
      clearTimeout(timer);
      set.delete(answer);
      if (!res.writableEnded) send(res, 200, a);
    };
    const timer = setTimeout(() => answer(approval), ms);
    set.add(answer);
    req.socket.on('close', () => {
      clearTimeout(timer);
      set.delete(answer);
    });
  }

  private consumeRoute(res: ServerResponse, approval: HeldApproval, body: Record<string, unknown>): void {
    if (approval.status !== 'approved' || approval.consumed_at !== undefined) {
      return send(res, 409, {
        error: 'not_consumable',
        message: `approval ${approval.id} is ${approval.consumed_at ? 'already consumed' : approval.status}`,
        status: approval.status,
      });
    }
    if (Date.parse(approval.expires_at) <= Date.now()) {
      return send(res, 409, {
        error: 'not_consumable',
        message: `approval ${approval.id} is expired`,
        status: 'expired',
      });
    }
    for (const field of ['agent_name', 'agent_id', 'scope', 'function_name', 'args_digest'] as const) {
      if (body[field] !== approval[field]) {
        return send(res, 403, {
          error: 'binding_mismatch',
          message: `${field} differs from the approved call`,
        });
      }
    }
    approval.consumed_at = new Date().toISOString();
    send(res, 200, approval);
  }

  private grantsRoute(res: ServerResponse, url: URL): void {
    const agent = url.searchParams.get('agent_name');
    const now = Date.now();
    const grants = [...this.grants.values()].filter(
      (g) =>
        g.revoked_at === undefined &&
        Date.parse(g.expires_at) > now &&
        (agent === null || g.agent_name === agent),
    );
    send(res, 200, { grants });
  }

  private streamRoute(req: IncomingMessage, res: ServerResponse): void {
    if (!this.streamEnabled) return notFound(res, 'route');
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    this.streams.add(res);
    const beat = setInterval(() => res.write(': heartbeat\n\n'), this.heartbeatMs);
    req.socket.on('close', () => {
      clearInterval(beat);
      this.streams.delete(res);
    });
  }

  private decisionRoute(res: ServerResponse, id: string, body: Record<string, unknown>): void {
    const approval = this.approvals.get(id);
    if (!approval) return notFound(res, 'approval');
    if (body.decision !== 'approve' && body.decision !== 'deny') {
      return send(res, 400, {
        error: 'invalid_body',
        message: `decision ${JSON.stringify(body.decision)} must be 'approve' or 'deny'`,
      });
    }
    const minutes = body.remember_minutes;
    if (
      minutes !== undefined &&
      (body.decision !== 'approve' ||
        !Number.isInteger(minutes) ||
        (minutes as number) < 1 ||
        (minutes as number) > 1440)
    ) {
      return send(res, 400, {
        error: 'invalid_body',
        message: 'remember_minutes must be 1..1440, with approve only',
      });
    }
    if (approval.status !== 'pending') {
      return send(res, 409, {
        error: 'already_decided',
        message: `approval ${id} is ${approval.status}`,
        status: approval.status,
      });
    }
    const now = Date.now();
    Object.assign(approval, {
      status: body.decision === 'approve' ? 'approved' : 'denied',
      decided_at: new Date(now).toISOString(),
      decided_by: 'ana@example.com',
      ...(typeof body.reason === 'string' ? { reason: body.reason } : {}),
      ...(minutes !== undefined
        ? { remember_minutes: minutes, same_args_only: body.same_args_only === true }
        : {}),
    });
    send(res, 200, approval);
    this.announce(approval);
    if (minutes !== undefined) {
      const grant: HeldGrant = {
        id: randomUUID(),
        ...(approval.agent_id !== undefined ? { agent_id: approval.agent_id } : {}),
        agent_name: approval.agent_name,
        scope: approval.scope,
        ...(body.same_args_only === true ? { args_digest: approval.args_digest } : {}),
        expires_at: new Date(now + (minutes as number) * 60_000).toISOString(),
      };
      this.grants.set(grant.id, grant);
      this.push('grant', grant);
    }
  }

  private revokeRoute(res: ServerResponse, id: string): void {
    const grant = this.grants.get(id);
    if (!grant) return notFound(res, 'grant');
    grant.revoked_at ??= new Date().toISOString();
    send(res, 200, { ...grant, revoked_by: 'ana@example.com' });
    this.push('grant', grant);
  }

  /** Tells long-polls and streams about a decision or expiry. */
  private announce(approval: HeldApproval): void {
    for (const answer of [...(this.waiters.get(approval.id) ?? [])]) answer(approval);
    this.waiters.delete(approval.id);
    this.push('approval', approval);
  }

  private push(event: string, data: unknown): void {
    for (const res of this.streams) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function unauthorized(res: ServerResponse): void {
  send(res, 401, { error: 'unauthorized', message: 'a valid key is required in Authorization: Bearer' });
}

function notFound(res: ServerResponse, what: string): void {
  send(res, 404, { error: 'not_found', message: `no such ${what}` });
}

function text(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const v = body[field];
  return typeof v === 'string' && v !== '' && v.length <= max
    ? undefined
    : `${field} must be a non-empty string of at most ${max} characters`;
}

function optionalText(body: Record<string, unknown>, field: string, max: number): string | undefined {
  return body[field] === undefined ? undefined : text(body, field, max);
}

/**
 * Decides an approval as a signed-in user would, over HTTP: `decision` plus the body's
 * other fields (`reason`, `remember_minutes`, `same_args_only`). Resolves with the status.
 */
export async function decide(
  server: ApprovalServer,
  id: string,
  decision: 'approve' | 'deny',
  extra: Record<string, unknown> = {},
): Promise<number> {
  const res = await fetch(`${server.url}/api/projects/${ApprovalServer.PROJECT}/approvals/${id}/decision`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ApprovalServer.USER_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ decision, ...extra }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Revokes a grant as a signed-in user would, over HTTP. */
export async function revoke(server: ApprovalServer, grantId: string): Promise<number> {
  const res = await fetch(`${server.url}/api/projects/${ApprovalServer.PROJECT}/grants/${grantId}`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${ApprovalServer.USER_TOKEN}` },
  });
  await res.arrayBuffer();
  return res.status;
}

/** Resolves with `probe()`'s first truthy answer, checking every 10 ms; rejects after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms: ${probe.toString()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
