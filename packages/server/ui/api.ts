import type { DenialReason, WireEvent } from '@agentsudo/core';
import type { Outcome } from '../src/outcome';

/**
 * The dashboard's only way to the server: JSON over fetch with the login cookie. Every
 * route the pages use is named here, so the page code never builds URLs by hand.
 */

/**
 * An event as the read API returns it (the wire form plus `seq` and `received_at`).
 *
 * @example
 * ```ts
 * const e: ApiEvent = { event_id: 'e1', timestamp: '2026-01-01T00:00:00Z', agent_name: 'Bot', action: 'permission_check', allowed: true };
 * ```
 */
export interface ApiEvent extends WireEvent {
  seq?: number;
  event_id: string;
  received_at?: string;
}

/**
 * A project as `GET /api/projects` lists it.
 *
 * @example
 * ```ts
 * const p: Project = { id: 'prj_1', name: 'checkout', created_at: '2026-01-01T00:00:00Z' };
 * ```
 */
export interface Project {
  id: string;
  name: string;
  created_at: string;
}

/**
 * A key as the settings page lists it: its prefix, never the secret.
 *
 * @example
 * ```ts
 * const k: ApiKey = { id: 'key_1', kind: 'ingest', prefix: 'as_Jx3q9Kd0', created_at: '2026-01-01T00:00:00Z' };
 * ```
 */
export interface ApiKey {
  id: string;
  kind: 'ingest' | 'read';
  prefix: string;
  created_at: string;
  revoked_at?: string;
}

/**
 * The two kinds of integration a project may connect.
 *
 * @example
 * ```ts
 * const kind: IntegrationKind = 'slack';
 * ```
 */
export type IntegrationKind = 'slack' | 'webhook';

/**
 * A project's Slack or webhook connection as `GET …/integrations/:kind` answers it: secrets
 * only by their last 4 characters (`…abcd`), except a webhook secret the server just made.
 *
 * @example
 * ```ts
 * const slack: Integration = { connected: true, mode: 'http', channel: '#approvals', bot_token: '…abcd' };
 * ```
 */
export interface Integration {
  connected: boolean;
  mode?: 'http' | 'socket';
  channel?: string;
  bot_token?: string;
  signing_secret?: string;
  app_token?: string;
  url?: string;
  secret?: string;
  secret_shown_once?: boolean;
  updated_at?: string;
  updated_by?: string;
}

/**
 * Checks of a range, bucket or agent by outcome: `events` is allowed + denied + audit.
 *
 * @example
 * ```ts
 * const c: Counts = { events: 10, allowed: 7, denied: 2, audit: 1 };
 * ```
 */
export interface Counts {
  events: number;
  allowed: number;
  denied: number;
  /** Audit-mode violations: the call ran, but would have been denied. Not in `denied`. */
  audit: number;
}

/**
 * The analytics of a project over a range, as `GET …/stats` answers.
 *
 * @example
 * ```ts
 * const { totals, buckets } = await api.stats(projectId, { from, to, bucket: 'hour' });
 * ```
 */
export interface Stats {
  from: string;
  to: string;
  bucket: Bucket;
  totals: Counts;
  active_agents: number;
  buckets: Array<Counts & { start: string; reasons: Record<DenialReason, number> }>;
  /** The range's denials by reason; they add up to `totals.denied`. */
  reasons: Record<DenialReason, number>;
  top_denied_scopes: Array<{ scope: string; denied: number }>;
  top_audit_scopes: Array<{ scope: string; audit: number }>;
  agents: Array<Counts & { agent_name: string }>;
}

/**
 * The granularity of the events-over-time chart.
 *
 * @example
 * ```ts
 * const bucket: Bucket = 'minute';
 * ```
 */
export type Bucket = 'minute' | 'hour' | 'day';

/**
 * One agent's activity, as the agents page shows it.
 *
 * @example
 * ```ts
 * const { agents } = await api.agents(projectId);
 * ```
 */
export interface AgentSummary {
  agent_name: string;
  first_seen: string;
  last_seen: string;
  events: number;
  denied: number;
  audit: number;
  scopes: Array<{
    scope: string;
    first_seen: string;
    last_seen: string;
    events: number;
    denied: number;
    audit: number;
  }>;
}

/**
 * Which events a listing, the live feed or an export selects. Empty fields select all.
 *
 * @example
 * ```ts
 * const deniedRefunds: EventQuery = { outcome: 'denied', scope: 'write:*' };
 * ```
 */
export interface EventQuery {
  agent?: string;
  scope?: string;
  allowed?: 'true' | 'false';
  outcome?: Outcome;
  reason?: DenialReason;
  approval_id?: string;
  action?: string;
  function?: string;
  session?: string;
  from?: string;
  to?: string;
  q?: string;
}

/**
 * Where an approval is: waiting for a person, decided, or past its deadline undecided.
 *
 * @example
 * ```ts
 * const s: ApprovalStatus = 'pending';
 * ```
 */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

/**
 * A guarded call held for a person's decision, as the approvals routes answer it.
 *
 * @example
 * ```ts
 * const a: Approval = { id: 'Vq3…', status: 'pending', agent_name: 'RefundBot', scope: 'write:refunds',
 *   function_name: 'refund', created_at: '2026-01-01T00:00:00Z', expires_at: '2026-01-01T00:05:00Z', source: 'sdk' };
 * ```
 */
export interface Approval {
  id: string;
  status: ApprovalStatus;
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
  source: 'sdk' | 'python';
}

/**
 * A decision as the Approvals page sends it: approve or deny, why, and for how long the
 * agent may do the same without asking (approve only).
 *
 * @example
 * ```ts
 * const d: Decision = { decision: 'approve', reason: 'known customer', remember_minutes: 15 };
 * ```
 */
export interface Decision {
  decision: 'approve' | 'deny';
  reason?: string;
  remember_minutes?: number;
  same_args_only?: boolean;
}

/**
 * A remembered approval: the agent may use the scope without asking until `expires_at`.
 *
 * @example
 * ```ts
 * const g: Grant = { id: 'k2…', agent_name: 'RefundBot', scope: 'write:refunds', created_at: '…',
 *   created_by: 'ops@example.com', expires_at: '…' };
 * ```
 */
export interface Grant {
  id: string;
  approval_id?: string;
  agent_name: string;
  agent_id?: string;
  scope: string;
  args_digest?: string;
  created_at: string;
  created_by: string;
  expires_at: string;
  revoked_at?: string;
  revoked_by?: string;
}

/**
 * The server's answer to a failed request: status, machine code and a readable message.
 *
 * @example
 * ```ts
 * try { await api.login(email, password); } catch (e) { if (e instanceof ApiError && e.status === 401) showWrongPassword(); }
 * ```
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Fired on window whenever the server says the login is gone, so the app can show the login page.
 *
 * @example
 * ```ts
 * window.addEventListener(UNAUTHORIZED_EVENT, () => go('/login'));
 * ```
 */
export const UNAUTHORIZED_EVENT = 'agentsudo:unauthorized';

/**
 * The login session's CSRF token, from the login or `me` answer. The server refuses any
 * state-changing call of the session without it (a page elsewhere could make the call with
 * the cookie, but cannot read this token).
 */
let csrfToken: string | undefined;

type SignedIn = { user: { id: string; email: string }; csrf_token: string };

function remember(answer: SignedIn): SignedIn {
  csrfToken = answer.csrf_token;
  return answer;
}

/** The answers that mean this tab's CSRF token is not the current login's. */
const STALE_CSRF = new Set(['csrf_token_missing', 'csrf_token_invalid']);

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  try {
    return await send<T>(method, path, body);
  } catch (err) {
    // Signed in again in another tab: the cookie is the new login's, the token in memory
    // the old one's. Read the current token once and retry once.
    if (!(err instanceof ApiError && err.status === 403 && STALE_CSRF.has(err.code))) throw err;
    remember(await send<SignedIn>('GET', '/api/auth/me'));
    return send<T>(method, path, body);
  }
}

async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const error = (data ?? {}) as { error?: string; message?: string; field?: string };
    if (response.status === 401 && !path.startsWith('/api/auth/login')) {
      window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    }
    throw new ApiError(
      response.status,
      error.error ?? `http_${response.status}`,
      error.message ?? `${method} ${path} failed with HTTP ${response.status}`,
      error.field,
    );
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/**
 * The query string of an event filter, leaving out empty fields.
 *
 * @example
 * ```ts
 * queryString({ agent: 'Bot', scope: '' }); // '?agent=Bot'
 * ```
 */
export function queryString(query: EventQuery & Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const s = params.toString();
  return s ? `?${s}` : '';
}

const projectPath = (projectId: string) => `/api/projects/${encodeURIComponent(projectId)}`;

/**
 * Every server route the pages use, as typed calls.
 *
 * @example
 * ```ts
 * const { events, next_cursor } = await api.events(projectId, { allowed: 'false' });
 * ```
 */
export const api = {
  me: async () => remember(await request<SignedIn>('GET', '/api/auth/me')),
  login: async (email: string, password: string) =>
    remember(await request<SignedIn>('POST', '/api/auth/login', { email, password })),
  logout: async () => {
    await request<void>('POST', '/api/auth/logout');
    csrfToken = undefined;
  },

  projects: () => request<{ projects: Project[] }>('GET', '/api/projects'),
  createProject: (name: string) =>
    request<{ project: Project; api_key: string }>('POST', '/api/projects', { name }),

  keys: (projectId: string) => request<{ keys: ApiKey[] }>('GET', `${projectPath(projectId)}/keys`),
  rotateKey: (projectId: string) =>
    request<{ api_key: string; revoked: string[] }>('POST', `${projectPath(projectId)}/keys/rotate`),
  createReadToken: (projectId: string) =>
    request<{ api_key: string }>('POST', `${projectPath(projectId)}/read-tokens`),
  revokeKey: (projectId: string, keyId: string) =>
    request<void>('DELETE', `${projectPath(projectId)}/keys/${encodeURIComponent(keyId)}`),

  integration: (projectId: string, kind: IntegrationKind) =>
    request<Integration>('GET', `${projectPath(projectId)}/integrations/${kind}`),
  connectIntegration: (projectId: string, kind: IntegrationKind, body: Record<string, string>) =>
    request<Integration>('PUT', `${projectPath(projectId)}/integrations/${kind}`, body),
  disconnectIntegration: (projectId: string, kind: IntegrationKind) =>
    request<Integration>('DELETE', `${projectPath(projectId)}/integrations/${kind}`),

  events: (projectId: string, query: EventQuery, cursor?: string, limit = 50) =>
    request<{ events: ApiEvent[]; next_cursor?: string }>(
      'GET',
      `${projectPath(projectId)}/events${queryString({ ...query, cursor, limit: String(limit) })}`,
    ),
  event: (projectId: string, eventId: string) =>
    request<{ event: ApiEvent }>('GET', `${projectPath(projectId)}/events/${encodeURIComponent(eventId)}`),
  stats: (projectId: string, range: { from: string; to: string; bucket: Bucket }) =>
    request<Stats>('GET', `${projectPath(projectId)}/stats${queryString(range)}`),
  agentActivity: (projectId: string, range: { from: string; to: string }) =>
    request<{
      agents: Array<{ agent_name: string; points: Array<{ start: string; events: number; denied: number }> }>;
    }>('GET', `${projectPath(projectId)}/agent-activity${queryString({ ...range, points: '12' })}`),
  agents: (projectId: string) =>
    request<{ agents: AgentSummary[] }>('GET', `${projectPath(projectId)}/agents`),

  approvals: (projectId: string, status: ApprovalStatus | '', limit = 50) =>
    request<{ approvals: Approval[]; pending: number }>(
      'GET',
      `${projectPath(projectId)}/approvals${queryString({ status: status || undefined, limit: String(limit) })}`,
    ),
  decide: (projectId: string, approvalId: string, decision: Decision) =>
    request<Approval>(
      'POST',
      `${projectPath(projectId)}/approvals/${encodeURIComponent(approvalId)}/decision`,
      decision,
    ),
  grants: (projectId: string) => request<{ grants: Grant[] }>('GET', `${projectPath(projectId)}/grants`),
  revokeGrant: (projectId: string, grantId: string) =>
    request<Grant>('DELETE', `${projectPath(projectId)}/grants/${encodeURIComponent(grantId)}`),

  liveUrl: (projectId: string) => `${projectPath(projectId)}/live`,
  exportUrl: (projectId: string, query: EventQuery, format: 'csv' | 'jsonl') =>
    `${projectPath(projectId)}/export${queryString({ ...query, format })}`,
};
