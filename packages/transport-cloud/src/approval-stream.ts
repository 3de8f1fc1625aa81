import type { IncomingMessage } from 'node:http';
import { ApprovalApi, isGrant, type Approval, type CallBinding, type Grant } from './approval-api';
import { backoffDelay } from './backoff';

/** A stream silent this long (the server sends a heartbeat every 15 s) is taken as dead. */
const IDLE_LIMIT_MS = 45_000;
/** Decisions kept for waiters that register just after the decision arrived. */
const RECENT_LIMIT = 1000;

/**
 * The one Server-Sent Events connection of this process to a project's approvals
 * (`GET /api/approvals/stream`): it hands decisions to the calls waiting for them and keeps
 * the project's active grants. Grants are trusted only while the stream is up and were
 * loaded on this connection: a revocation missed while it was down can then never let a
 * call through (the server, which checks grants itself, decides instead).
 *
 * @example
 * ```ts
 * const hub = approvalHub(api);
 * const stop = hub.onDecision(id, (approval) => console.log(approval.status));
 * ```
 */
export class ApprovalHub {
  /** Bumped on each successful connection; 0 before the first. */
  epoch = 0;
  up = false;
  private started = false;
  private closed = false;
  private attempt = 0;
  private abort: AbortController | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Map<string, Set<(approval: Approval) => void>>();
  private readonly stateListeners = new Set<() => void>();
  private readonly recent = new Map<string, Approval>();
  private readonly grants = new Map<string, Grant>();
  /** Agents whose grants were loaded on the current connection (epoch). */
  private readonly loaded = new Map<string, number>();
  private readonly loading = new Set<string>();
  /** Agents that asked through this hub: their grants are loaded on each (re)connection. */
  private readonly agents = new Set<string>();

  constructor(readonly api: ApprovalApi) {}

  /** Connects on first use; later calls do nothing. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  /** Calls `fn` once with the approval when a decision or expiry for `id` arrives; returns an unsubscribe. */
  onDecision(id: string, fn: (approval: Approval) => void): () => void {
    const known = this.recent.get(id);
    if (known) {
      queueMicrotask(() => fn(known));
      return () => undefined;
    }
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.waiters.delete(id);
    };
  }

  /** Calls `fn` whenever the stream goes up or down; returns an unsubscribe. */
  onStateChange(fn: () => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** A decision already seen on the stream, if any. */
  decided(id: string): Approval | undefined {
    return this.recent.get(id);
  }

  /**
   * The active grant that covers this call, if the stream is up and this agent's grants
   * were loaded on it; undefined otherwise (then the server decides). Starts loading the
   * agent's grants when they are not loaded yet.
   */
  coveringGrant(binding: CallBinding, now = Date.now()): Grant | undefined {
    if (this.agents.size < 1000) this.agents.add(binding.agent_name);
    if (!this.up) return undefined;
    if (this.loaded.get(binding.agent_name) !== this.epoch) {
      void this.loadGrants(binding.agent_name);
      return undefined;
    }
    for (const grant of this.grants.values()) {
      if (
        grant.agent_name === binding.agent_name &&
        (grant.agent_id == null || grant.agent_id === binding.agent_id) &&
        grant.scope === binding.scope &&
        (grant.args_digest == null || grant.args_digest === binding.args_digest) &&
        grant.revoked_at == null &&
        Date.parse(grant.expires_at) > now
      ) {
        return grant;
      }
    }
    return undefined;
  }

  /**
   * Resolves once this agent's grants are loaded on the live stream (or at once when the
   * stream is down or the load fails): lets a caller wait for the warm-up.
   */
  async ready(agentName: string): Promise<void> {
    if (this.up && this.loaded.get(agentName) !== this.epoch) await this.loadGrants(agentName);
  }

  /** Closes the stream for good. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.abort?.abort();
    this.setUp(false);
  }

  private async loadGrants(agentName: string): Promise<void> {
    if (this.loading.has(agentName)) return;
    this.loading.add(agentName);
    const epoch = this.epoch;
    try {
      const grants = await this.api.grants(agentName);
      if (!this.up || this.epoch !== epoch) return;
      for (const [id, g] of this.grants) if (g.agent_name === agentName) this.grants.delete(id);
      for (const g of grants) if (g.agent_name === agentName) this.grants.set(g.id, g);
      this.loaded.set(agentName, epoch);
    } catch {
      // Not loaded: calls of this agent go to the server, which checks grants itself.
    } finally {
      this.loading.delete(agentName);
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const abort = (this.abort = new AbortController());
    let res: IncomingMessage;
    try {
      res = await this.api.openStream(abort.signal);
    } catch {
      return this.retry();
    }
    if (this.closed) return void res.destroy();
    this.attempt = 0;
    this.epoch++;
    this.grants.clear();
    this.loaded.clear();
    this.setUp(true);
    for (const agent of this.agents) void this.loadGrants(agent);
    let idle = setTimeout(() => abort.abort(), IDLE_LIMIT_MS);
    idle.unref();
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(), IDLE_LIMIT_MS);
      idle.unref();
      buffer += chunk;
      // Events end with a blank line; \r\n and \r line ends are allowed by the format.
      buffer = buffer.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        this.dispatch(block);
      }
      if (buffer.length > 1024 * 1024) abort.abort(); // one event never gets this big
    });
    const ended = () => {
      clearTimeout(idle);
      if (this.abort !== abort) return;
      this.setUp(false);
      this.retry();
    };
    res.on('close', ended);
    res.on('error', () => undefined);
  }

  private retry(): void {
    this.setUp(false);
    if (this.closed) return;
    this.retryTimer = setTimeout(() => void this.connect(), backoffDelay(++this.attempt, 10_000));
    this.retryTimer.unref();
  }

  private dispatch(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    if (event === 'approval') this.approval(payload as Approval);
    else if (event === 'grant' && isGrant(payload)) this.grant(payload);
  }

  private approval(approval: Approval): void {
    if (typeof approval !== 'object' || approval === null || typeof approval.id !== 'string') return;
    if (approval.status === 'pending') return;
    this.recent.set(approval.id, approval);
    if (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.keys().next().value as string);
    const set = this.waiters.get(approval.id);
    if (!set) return;
    this.waiters.delete(approval.id);
    for (const fn of set) fn(approval);
  }

  private grant(grant: Grant): void {
    if (grant.revoked_at != null || Date.parse(grant.expires_at) <= Date.now()) this.grants.delete(grant.id);
    else this.grants.set(grant.id, grant);
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    for (const fn of [...this.stateListeners]) fn();
  }
}

const hubs = new Map<string, ApprovalHub>();

/**
 * The process's one hub for an endpoint and key, made and connected on first use.
 *
 * @example
 * ```ts
 * const hub = approvalHub('http://127.0.0.1:4319', 'as_…', 10_000);
 * ```
 */
export function approvalHub(endpoint: string, apiKey: string, requestTimeoutMs: number): ApprovalHub {
  const id = `${endpoint}\n${apiKey}`;
  let hub = hubs.get(id);
  if (!hub) hubs.set(id, (hub = new ApprovalHub(new ApprovalApi(endpoint, apiKey, requestTimeoutMs))));
  hub.start();
  return hub;
}

/**
 * Closes every approval stream of this process (new approvals open them again). Calls
 * still waiting for a decision fall back to long-polling until they are decided or time out.
 *
 * @example
 * ```ts
 * process.on('SIGTERM', () => { closeApprovalStreams(); });
 * ```
 */
export function closeApprovalStreams(): void {
  for (const hub of hubs.values()) hub.close();
  hubs.clear();
}
