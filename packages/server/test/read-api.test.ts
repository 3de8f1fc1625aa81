import { backends, startServer, wire, type TestServer, jsonOf } from './helpers';

const PASSWORD = 'correct horse battery staple';

describe.each(backends())('read API on $name', (backend) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startServer(await backend.fresh());
    await t.server.admin.createUser('ops@example.com', PASSWORD);
    const base = Date.UTC(2026, 10, 26, 10, 0, 0);
    const at = (min: number) => new Date(base + min * 60_000).toISOString();
    await t.ingest([
      wire({ agent_name: 'SupportBot', scope: 'read:customers', timestamp: at(0) }),
      wire({
        agent_name: 'SupportBot',
        scope: 'write:refunds',
        allowed: false,
        timestamp: at(1),
        function_name: 'Refunds.process',
      }),
      wire({ agent_name: 'SupportBot', scope: 'write:refunds', allowed: false, timestamp: at(61) }),
      wire({
        agent_name: 'Billing',
        scope: 'read:invoices',
        timestamp: at(62),
        metadata: { note: 'has, "quotes"\nand a newline' },
      }),
      wire({ agent_name: 'Billing', scope: '=HYPERLINK("http://x")', allowed: false, timestamp: at(63) }),
    ]);
  });
  afterAll(async () => {
    await t.server.close();
    await backend.cleanup();
  });

  const login = async (
    email = 'ops@example.com',
    password = PASSWORD,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${t.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ email, password }),
    });
  const cookieOf = (res: Response) => res.headers.get('set-cookie')!.split(';')[0];

  test('logging in sets an HttpOnly, SameSite=Lax session cookie that reads every project', async () => {
    const res = await login('OPS@example.com');
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^agentsudo_session=[\w-]{40,};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/);
    const cookie = cookieOf(res);
    const me = await fetch(`${t.url}/api/auth/me`, { headers: { cookie } });
    expect(await jsonOf(me)).toEqual({
      user: { id: expect.any(String), email: 'ops@example.com' },
      csrf_token: expect.any(String),
    });
    const projects = await jsonOf(await fetch(`${t.url}/api/projects`, { headers: { cookie } }));
    expect(projects.projects.map((p: { id: string }) => p.id)).toContain(t.projectId);
  });

  test('behind a TLS proxy the cookie is Secure', async () => {
    const proxied = await startServer(await backend.fresh(), { trustProxy: '127.0.0.1' });
    try {
      await proxied.server.admin.createUser('tls@example.com', PASSWORD);
      const res = await fetch(`${proxied.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify({ email: 'tls@example.com', password: PASSWORD }),
      });
      expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
    } finally {
      await proxied.server.close();
    }
  });

  test('logging out ends the session', async () => {
    const res = await login();
    const cookie = cookieOf(res);
    const { csrf_token } = (await jsonOf(res)) as { csrf_token: string };
    const logout = await fetch(`${t.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf_token },
    });
    expect(logout.status).toBe(200);
    expect((await fetch(`${t.url}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${t.url}/api/projects/${t.projectId}/events`, { headers: { cookie } })).status).toBe(
      401,
    );
  });

  test('repeated wrong passwords are limited with 429 and Retry-After, even for the right one then', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login('limited@example.com', 'wrong password!')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await login('limited@example.com', 'wrong password!');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('without a login or token reads get 401; an ingest key gets 403', async () => {
    expect((await fetch(`${t.url}/api/projects/${t.projectId}/events`)).status).toBe(401);
    const res = await fetch(`${t.url}/api/projects/${t.projectId}/events`, {
      headers: { 'x-api-key': t.apiKey },
    });
    expect(res.status).toBe(403);
    expect((await jsonOf(res)).error).toBe('not_a_read_token');
  });

  test('outcome filters as the dashboard colours: audit and session events are neither allowed nor denied', async () => {
    // A project of its own, so these events stay out of the other tests' counts.
    const { project, apiKey } = await t.server.admin.createProject('outcomes');
    const { token } = await t.server.admin.createReadToken(project.id);
    const auth = { authorization: `Bearer ${token}` };
    const ingested = await fetch(`${t.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify([
        wire({ action: 'session_start', scope: undefined, function_name: undefined }),
        wire({ scope: 'read:customers' }),
        wire({ action: 'approval_granted', scope: 'write:refunds' }),
        wire({ allowed: false, scope: 'write:refunds' }),
        wire({ action: 'audit_violation', scope: 'admin:reports' }),
        wire({ action: 'session_expired', allowed: false, scope: 'read:orders' }),
        wire({ action: 'session_end', scope: undefined, function_name: undefined }),
      ]),
    });
    expect(ingested.status).toBe(200);
    const get = (path: string) => fetch(`${t.url}/api/projects/${project.id}/${path}`, { headers: auth });
    const actions = async (outcome: string) =>
      ((await jsonOf(await get(`events?outcome=${outcome}`))).events as any[])
        .map((e) => `${e.action}:${e.allowed}`)
        .sort();
    expect(await actions('allowed')).toEqual(['approval_granted:true', 'permission_check:true']);
    expect(await actions('denied')).toEqual(['permission_check:false', 'session_expired:false']);
    expect(await actions('audit')).toEqual(['audit_violation:true']);
    expect(await actions('info')).toEqual(['session_end:true', 'session_start:true']);
    const exported = await (await get('export?format=jsonl&outcome=allowed')).text();
    expect(exported.trim().split('\n')).toHaveLength(2);
    const bad = await get('events?outcome=green');
    expect(bad.status).toBe(400);
    expect(await jsonOf(bad)).toMatchObject({
      field: 'outcome',
      message: expect.stringMatching(/allowed, denied, audit, info/),
    });
  });

  test('one event by its id: everything stored, with its microseconds and when it arrived', async () => {
    const { project, apiKey } = await t.server.admin.createProject('one-event');
    const { token } = await t.server.admin.createReadToken(project.id);
    const sent = wire({
      agent_id: 'agt-7',
      role: 'support',
      session_id: 'sess-one',
      timestamp: '2026-11-26T12:53:24.156322Z',
      metadata: { region: 'eu', tags: ['a', '<b>'] },
    });
    const ingested = await fetch(`${t.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify([sent, wire({ session_id: 'sess-other' }), wire({ event_id: 'e'.repeat(128) })]),
    });
    expect(ingested.status).toBe(200);
    const get = (path: string) =>
      fetch(`${t.url}/api/projects/${project.id}/${path}`, { headers: { authorization: `Bearer ${token}` } });

    const res = await get(`events/${encodeURIComponent(String(sent.event_id))}`);
    expect(res.status).toBe(200);
    const { event } = (await jsonOf(res)) as { event: Record<string, unknown> };
    expect(event).toMatchObject({ ...sent, seq: expect.any(Number), received_at: expect.any(String) });

    // The longest id ingest accepts can be read back too.
    expect((await get(`events/${'e'.repeat(128)}`)).status).toBe(200);

    // The session's events: what the event page links to.
    const session = await jsonOf(await get('events?session=sess-one'));
    expect(session.events.map((e: any) => e.event_id)).toEqual([sent.event_id]);
  });

  test('an event id that names nothing is a 404, a malformed one a 400 naming it', async () => {
    const one = (id: string) => t.read(`/api/projects/${t.projectId}/events/${id}`);
    const missing = await one('no-such-event');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      error: 'event_not_found',
      message: expect.stringContaining('no-such-event'),
    });
    const long = await one('x'.repeat(129));
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ error: 'invalid_event_id', field: 'eventId' });
    expect(long.body.message).toContain('129 characters');
    const nul = await one('a%00b');
    expect(nul.status).toBe(400);
    expect(nul.body).toMatchObject({ error: 'invalid_event_id' });
  });

  test('events filter by agent, scope pattern, outcome and time, and page with a cursor', async () => {
    const ev = async (q: string) => (await t.read(`/api/projects/${t.projectId}/events?${q}`)).body;
    expect((await ev('agent=Billing')).events).toHaveLength(2);
    expect((await ev('scope=write:*')).events.map((e: any) => e.scope)).toEqual([
      'write:refunds',
      'write:refunds',
    ]);
    expect((await ev('allowed=false&agent=SupportBot')).events).toHaveLength(2);
    expect((await ev('function=Refunds.process')).events).toHaveLength(1);
    expect((await ev('from=2026-11-26T11:00:00Z')).events).toHaveLength(3);
    const first = await ev('limit=2');
    expect(first.events).toHaveLength(2);
    const second = await ev(`limit=2&cursor=${first.next_cursor}`);
    const third = await ev(`limit=2&cursor=${second.next_cursor}`);
    expect(third.next_cursor).toBeNull();
    const ids = [...first.events, ...second.events, ...third.events].map((e: any) => e.event_id);
    expect(new Set(ids).size).toBe(5);
  });

  test('bad query values get 400 naming the parameter', async () => {
    for (const [q, field] of [
      ['allowed=maybe', 'allowed'],
      ['limit=5000', 'limit'],
      ['from=last-tuesday', 'from'],
      ['cursor=garbage', 'cursor'],
      ['action=explode', 'action'],
    ]) {
      const { status, body } = await t.read(`/api/projects/${t.projectId}/events?${q}`);
      expect([status, body.field]).toEqual([400, field]);
    }
  });

  test('stats give totals, denial rate, active agents, buckets, top denied scopes and agents', async () => {
    const { body } = await t.read(
      `/api/projects/${t.projectId}/stats?from=2026-11-26T10:00:00Z&to=2026-11-26T12:00:00Z&bucket=hour`,
    );
    expect(body.totals).toEqual({ events: 5, allowed: 2, denied: 3, audit: 0, denial_rate: 0.6 });
    expect(body.active_agents).toBe(2);
    expect(body.buckets).toEqual([
      {
        start: '2026-11-26T10:00:00.000Z',
        events: 2,
        allowed: 1,
        denied: 1,
        audit: 0,
        reasons: { scope: 1, condition: 0, rate_limit: 0, budget: 0, guardrail: 0, approval: 0 },
      },
      {
        start: '2026-11-26T11:00:00.000Z',
        events: 3,
        allowed: 1,
        denied: 2,
        audit: 0,
        reasons: { scope: 2, condition: 0, rate_limit: 0, budget: 0, guardrail: 0, approval: 0 },
      },
    ]);
    // Denials sent without a reason (as here) count as 'scope'.
    expect(body.reasons).toEqual({
      scope: 3,
      condition: 0,
      rate_limit: 0,
      budget: 0,
      guardrail: 0,
      approval: 0,
    });
    expect(body.top_denied_scopes[0]).toEqual({ scope: 'write:refunds', denied: 2 });
    expect(body.agents.map((a: any) => [a.agent_name, a.events, a.denial_rate])).toEqual([
      ['SupportBot', 3, 2 / 3],
      ['Billing', 2, 0.5],
    ]);
    const minutes = await t.read(
      `/api/projects/${t.projectId}/stats?from=2026-11-26T10:00:00Z&to=2026-11-26T10:05:00Z`,
    );
    expect(minutes.body.bucket).toBe('minute');
    expect(minutes.body.buckets.map((b: any) => b.events)).toEqual([1, 1, 0, 0, 0]);
  });

  test('agents list first and last seen and scopes used', async () => {
    const { body } = await t.read(`/api/projects/${t.projectId}/agents`);
    const support = body.agents.find((a: any) => a.agent_name === 'SupportBot');
    expect(support).toMatchObject({
      first_seen: '2026-11-26T10:00:00.000Z',
      last_seen: '2026-11-26T11:01:00.000Z',
      events: 3,
      denied: 2,
    });
    expect(support.scopes.map((s: any) => s.scope)).toEqual(['read:customers', 'write:refunds']);
  });

  test('CSV export is streamed oldest first, quoted, and safe to open in a spreadsheet', async () => {
    const res = await fetch(`${t.url}/api/projects/${t.projectId}/export?format=csv&agent=Billing`, {
      headers: { authorization: `Bearer ${t.readToken}` },
    });
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    // Streamed as it is read from the database: no Content-Length known up front.
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename=".+\.csv"/);
    const lines = (await res.text()).split('\r\n');
    expect(lines[0]).toBe(
      'event_id,timestamp,agent_name,agent_id,role,session_id,action,scope,allowed,function_name,sdk,metadata,received_at,reason,approval_id,decided_by',
    );
    expect(lines[1]).toContain('"{""note"":""has, \\""quotes\\""\\nand a newline""}"');
    expect(lines[2]).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(lines).toHaveLength(4);
  });

  test('JSON Lines export holds one event per line, the same shape as the listing', async () => {
    const res = await fetch(`${t.url}/api/projects/${t.projectId}/export?format=jsonl&allowed=false`, {
      headers: { authorization: `Bearer ${t.readToken}` },
    });
    const events = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.allowed)).toEqual([false, false, false]);
    expect(events.map((e) => e.timestamp)).toEqual([...events.map((e) => e.timestamp)].sort());
  });

  test('GET / is left to the dashboard: the API answers only under /api', async () => {
    const { status, body } = await t.read('/api/nope');
    expect([status, body.error]).toEqual([404, 'not_found']);
  });
});
