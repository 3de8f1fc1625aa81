import { createHash, randomUUID } from 'node:crypto';
import { dashboard as dashboardPlugin } from '../src';
import {
  backends,
  jsonOf,
  signIn,
  startServer,
  wire,
  type DashboardSession,
  type TestServer,
} from './helpers';
import { probe } from './response-probe';
import { startFakeSlack, type FakeSlack } from './slack-fake';

// Every Fastify instance the server builds carries the probe's hooks, added before any route.
jest.mock('fastify', () =>
  jest.requireActual('./response-probe').probedFastify(jest.requireActual('fastify')),
);

/**
 * Every JSON answer has a response schema, and the schema loses nothing: over real HTTP, on
 * SQLite and PostgreSQL, each route answers realistic data (events with every optional field
 * set and unset, approvals in every status, stats with data, keys, users, integrations) and
 * errors, and what goes on the wire is exactly what the handler gave: no key dropped, no
 * value coerced to another type.
 */
const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');

/** Answers that stream (exports, Server-Sent Events) or are not JSON: they have error schemas only. */
const STREAMED = [
  'GET /api/projects/:project/export',
  'GET /api/projects/:project/live',
  'GET /api/approvals/stream',
  'POST /api/slack/interactions',
];

/** The answers sent since the last call, each as given and as sent. */
function answersSinceLastLook(): Array<{ route: string; status: number; body: unknown }[]> {
  const seen = probe.answers.splice(0);
  return [
    seen.map((a) => ({ route: a.route, status: a.status, body: a.sent })),
    seen.map((a) => ({ route: a.route, status: a.status, body: a.given })),
  ];
}

describe.each(backends())('response schemas on $name', (backend) => {
  let t: TestServer;
  let slack: FakeSlack;
  let session: DashboardSession;
  /** Routes answered with a success, over the whole file. */
  const succeeded = new Set<string>();

  /** A call as the signed-in user (cookie and CSRF token), or with other headers. */
  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { cookie: session.cookie, 'x-csrf-token': session.csrf },
  ) {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await jsonOf(res) };
  }
  const sdk = (method: string, path: string, body?: unknown) =>
    call(method, path, body, { authorization: `Bearer ${t.apiKey}` });
  const reader = (path: string) => call('GET', path, undefined, { authorization: `Bearer ${t.readToken}` });

  /** The SDK's request for one call of `Billing.refund('o-7', 120)`. */
  const ask = (overrides: Record<string, unknown> = {}) =>
    sdk('POST', '/api/approvals', {
      agent_name: 'SupportBot',
      scope: 'write:refunds',
      function_name: 'Billing.refund',
      args_digest: digestOf('o-7,120'),
      timeout_ms: 120_000,
      ...overrides,
    });

  /** Every answer since the last look went out exactly as its handler gave it. */
  function expectAnswersAsGiven() {
    const [sent, given] = answersSinceLastLook();
    expect(sent.length).toBeGreaterThan(0);
    expect(sent).toEqual(given);
    for (const a of sent) if (a.status < 300) succeeded.add(a.route);
  }

  beforeAll(async () => {
    slack = await startFakeSlack();
    t = await startServer(await backend.fresh(), {
      extend: dashboardPlugin(),
      slackApiUrl: slack.apiUrl,
      allowPrivateWebhookUrls: true,
      notifyRetry: { attempts: 1, initialDelayMs: 50, maxDelayMs: 50 },
      approvalSweepIntervalMs: 200,
    });
    session = await signIn(t, LOGIN);
    probe.answers.splice(0);
  }, 60_000);
  afterAll(async () => {
    await t?.server.close();
    await slack?.close();
    await backend.cleanup();
  });

  test('every route that answers JSON declares a response schema; streamed answers declare their errors', () => {
    const routes = new Map(probe.routes.map((r) => [r.route, r.response]));
    const api = [...routes.keys()].filter((r) => r.split(' ')[1].startsWith('/api/'));
    const withoutSuccessSchema = api.filter((r) => !routes.get(r)?.['200'] && !routes.get(r)?.['201']);
    expect(withoutSuccessSchema.sort()).toEqual([...STREAMED].sort());
    const withoutErrorSchema = api.filter((r) => !routes.get(r)?.['4xx']);
    expect(withoutErrorSchema).toEqual([]);
  });

  test('events with every optional field set and unset, their pages, stats and agents answer every field', async () => {
    const full = wire({
      agent_id: 'bot-1',
      role: 'support',
      session_id: 'sess-1',
      action: 'permission_check',
      allowed: false,
      reason: 'approval',
      approval_id: 'appr-1',
      decided_by: 'ops@example.com',
      metadata: { team: { region: 'eu', tags: ['a', 1, null, true] }, limit: 2.5, empty: {}, none: null },
    });
    const bare = {
      timestamp: new Date().toISOString(),
      agent_name: 'Bare',
      action: 'session_start',
      allowed: true,
    };
    const python = {
      timestamp: '2026-01-02T03:04:05.123456Z',
      agent_name: 'PyBot',
      action: 'permission_denied',
      scope: 'write:orders',
      allowed: false,
      function_name: 'cancel_order',
      metadata: {},
    };
    const audit = wire({ action: 'audit_violation', allowed: true, scope: 'delete:users' });
    expect((await t.ingest([full, bare, python, audit])).status).toBe(200);
    expect((await t.ingest([full])).status).toBe(200); // a duplicate

    const p = `/api/projects/${t.projectId}`;
    const listed = await reader(`${p}/events`);
    expect(listed.body.events).toHaveLength(4);
    expect(listed.body.next_cursor).toBeNull();
    const first = await reader(`${p}/events?limit=1`);
    expect(typeof first.body.next_cursor).toBe('string');
    await reader(`${p}/events?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    for (const e of listed.body.events) await reader(`${p}/events/${e.event_id}`);
    await reader(`${p}/stats`);
    await reader(`${p}/stats?from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z&bucket=hour`);
    await reader(`${p}/agents`);
    await reader(`${p}/agent-activity`);
    await reader('/api/projects');
    await call('GET', '/api/projects');
    await call('GET', '/api/health');
    expectAnswersAsGiven();
  });

  test('approvals in every status, grants made and revoked, and the Python SDK answer every field', async () => {
    const p = `/api/projects/${t.projectId}`;
    // Pending, with every optional field; asked again with its request key (200, not 201).
    const everyField = {
      agent_id: 'bot-1',
      session_id: 'sess-1',
      description: 'Refund 120 EUR on order o-7',
      args_digest: digestOf('o-7,120'),
      channel: '#refunds',
      request_key: randomUUID(),
    };
    const pending = await ask(everyField);
    expect(pending.status).toBe(201);
    expect((await ask(everyField)).status).toBe(200);
    await sdk('GET', `/api/approvals/${pending.body.id}`);
    await sdk('GET', `/api/approvals/${pending.body.id}/wait?timeout_ms=0`);

    // Approved and remembered (a grant), then used once (consumed).
    const approved = await ask({ agent_id: 'bot-1', args_digest: digestOf('o-8,5') });
    const decided = await call('POST', `${p}/approvals/${approved.body.id}/decision`, {
      decision: 'approve',
      reason: 'known customer',
      remember_minutes: 30,
      same_args_only: true,
    });
    expect(decided.body.grant_id).toEqual(expect.any(String));
    // A second decision is refused naming the approval's status.
    expect(
      (await call('POST', `${p}/approvals/${approved.body.id}/decision`, { decision: 'deny' })).status,
    ).toBe(409);
    const binding = {
      agent_name: 'SupportBot',
      agent_id: 'bot-1',
      scope: 'write:refunds',
      function_name: 'Billing.refund',
      args_digest: digestOf('o-8,5'),
    };
    expect(
      (await sdk('POST', `/api/approvals/${approved.body.id}/consume`, { ...binding, scope: 'other' }))
        .status,
    ).toBe(403);
    expect(
      (await sdk('POST', `/api/approvals/${approved.body.id}/consume`, binding)).body.consumed_at,
    ).toEqual(expect.any(String));
    await sdk('GET', '/api/grants');
    await sdk('GET', '/api/grants?agent_name=SupportBot');

    // Denied with a reason; expired unanswered (the wait hears it).
    const denied = await ask();
    await call('POST', `${p}/approvals/${denied.body.id}/decision`, {
      decision: 'deny',
      reason: 'not today',
    });
    const expiring = await ask({ timeout_ms: 1000 });
    const expired = await sdk('GET', `/api/approvals/${expiring.body.id}/wait?timeout_ms=20000`);
    expect(expired.body.status).toBe('expired');

    // The dashboard's queue, a page at a time, and the grants before and after revocation.
    const all = await reader(`${p}/approvals`);
    expect(new Set(all.body.approvals.map((a: any) => a.status))).toEqual(
      new Set(['pending', 'approved', 'denied', 'expired']),
    );
    const page = await reader(`${p}/approvals?limit=1`);
    expect(typeof page.body.next_before).toBe('string');
    await reader(`${p}/approvals?status=pending`);
    await reader(`${p}/grants`);
    const revoked = await call('DELETE', `${p}/grants/${decided.body.grant_id}`);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    await reader(`${p}/grants`);

    // The Python SDK's Slack approvals.
    const python = await call(
      'POST',
      '/api/slack/approvals',
      {
        agent_name: 'PyBot',
        scope: 'write:orders',
        function: 'cancel_order',
        approval_id: 'py-1',
        agent_id: 'py',
        channel: '#ops',
      },
      { authorization: `Bearer ${t.apiKey}` },
    );
    expect(python.status).toBe(201);
    await sdk('GET', `/api/slack/approvals/${python.body.id}`);
    await sdk('GET', `/api/slack/approvals/${expiring.body.id}`);
    expectAnswersAsGiven();
  });

  test('logins, projects, keys and integrations answer every field', async () => {
    expect(
      (await call('POST', '/api/auth/login', { ...LOGIN, password: 'wrong password!' }, {})).status,
    ).toBe(401);
    const other = await signIn(t, { email: 'second@example.com', password: LOGIN.password });
    await call('GET', '/api/auth/me', undefined, { cookie: other.cookie });
    await call('POST', '/api/auth/logout', undefined, { cookie: other.cookie, 'x-csrf-token': other.csrf });

    const made = await call('POST', '/api/projects', { name: `shop-${randomUUID().slice(0, 8)}` });
    expect(made.status).toBe(201);
    const p = `/api/projects/${made.body.project.id}`;
    await call('POST', `${p}/read-tokens`);
    const rotated = await call('POST', `${p}/keys/rotate`);
    expect(rotated.body.revoked).toHaveLength(1);
    const keys = await call('GET', `${p}/keys`);
    expect(keys.body.keys.some((k: any) => k.revoked_at)).toBe(true);
    const live = keys.body.keys.find((k: any) => !k.revoked_at);
    await call('DELETE', `${p}/keys/${live.id}`);

    const integrations = `${p}/integrations`;
    await call('GET', `${integrations}/slack`);
    await call('PUT', `${integrations}/slack`, {
      bot_token: 'xoxb-1111-2222-bot-token',
      signing_secret: 'slack-signing-secret-of-shop',
      channel: '#approvals',
    });
    await call('GET', `${integrations}/slack`);
    await call('PUT', `${integrations}/slack`, {
      mode: 'socket',
      bot_token: 'xoxb-1111-2222-bot-token',
      app_token: 'xapp-1-A0123-socket-token',
      channel: '#approvals',
    });
    await slack.socketConnected();
    await call('GET', `${integrations}/slack`);
    await call('DELETE', `${integrations}/slack`);
    await call('GET', `${integrations}/webhook`);
    const generated = await call('PUT', `${integrations}/webhook`, { url: 'http://127.0.0.1:9/hook' });
    expect(generated.body.secret_shown_once).toBe(true);
    await call('PUT', `${integrations}/webhook`, {
      url: 'http://127.0.0.1:9/hook',
      secret: 'a-webhook-secret-of-32-characters',
    });
    await call('GET', `${integrations}/webhook`);
    await call('DELETE', `${integrations}/webhook`);
    expectAnswersAsGiven();
  });

  test('errors keep every key: code, message, the field named and the status an approval is in', async () => {
    const p = `/api/projects/${t.projectId}`;
    const answers = [
      await reader(`${p}/events/no-such-event`),
      await reader(`${p}/events?limit=5000`),
      await reader(`${p}/events?limit=1&limit=2`),
      await reader(`${p}/export?format=xml`),
      await call('GET', `${p}/live`, undefined, {}),
      await call('GET', '/api/projects/prj_nope/events', undefined, {
        authorization: `Bearer ${t.readToken}`,
      }),
      await t
        .ingest([{ agent_name: 'x' }])
        .then(async (res) => ({ status: res.status, body: await jsonOf(res) })),
      await call('GET', '/api/auth/me', undefined, {}),
      await call('POST', '/api/approvals', { agent_name: 'x' }, { authorization: `Bearer ${t.apiKey}` }),
      await call('GET', '/api/approvals/stream', undefined, {}),
    ];
    expect(answers.map((a) => a.status)).toEqual([404, 400, 400, 400, 401, 404, 400, 401, 400, 401]);
    expect(answers[1].body.field).toBe('limit');
    expectAnswersAsGiven();
  });

  test('every route with a response schema was answered with a success above', () => {
    const schemed = [
      ...new Set(probe.routes.filter((r) => r.response?.['200'] || r.response?.['201']).map((r) => r.route)),
    ];
    expect(schemed.filter((r) => !succeeded.has(r)).sort()).toEqual([]);
  });
});
