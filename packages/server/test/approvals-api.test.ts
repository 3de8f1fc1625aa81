import { createHash, randomUUID } from 'node:crypto';
import { createServer, type AgentSudoServer } from '../src';
import {
  backends,
  expectRefusals,
  jsonOf,
  openLive,
  startServer,
  type GuardedRoute,
  type LiveClient,
  type TestServer,
  signIn,
} from './helpers';

/**
 * Approvals held by the server, over real HTTP on 127.0.0.1, on SQLite and PostgreSQL: an
 * agent's SDK asks with its ingest key, a signed-in user decides in the dashboard API, and
 * the call learns the decision by a wait or the stream and uses the approval once.
 */
const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');

/** What the SDK sends for one call of `Billing.refund('o-7', 120)`. */
function call(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    agent_name: 'SupportBot',
    agent_id: 'bot-1',
    scope: 'write:refunds',
    function_name: 'Billing.refund',
    args_digest: digestOf('o-7,120'),
    ...overrides,
  };
}

/** Waits for a condition (what arrives by push, or a state reached in time), polling it. */
async function until<T>(
  what: string,
  get: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(backends())('approvals held by the server on $name', (backend) => {
  let t: TestServer;
  let session: { cookie: string; csrf: string };

  /** A fresh project and its ingest key, so each test's queue is its own. */
  async function project(name = `p-${randomUUID().slice(0, 8)}`) {
    const { project: p, apiKey } = await t.server.admin.createProject(name);
    const { token } = await t.server.admin.createReadToken(p.id);
    const sdk = (method: string, path: string, body?: unknown) =>
      fetch(`${t.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    return {
      id: p.id,
      apiKey,
      readToken: token,
      sdk,
      ask: async (overrides: Record<string, unknown> = {}) => {
        const res = await sdk('POST', '/api/approvals', { ...call(), timeout_ms: 120_000, ...overrides });
        return { status: res.status, body: await jsonOf(res) };
      },
      consume: async (id: string, overrides: Record<string, unknown> = {}) => {
        const res = await sdk('POST', `/api/approvals/${id}/consume`, call(overrides));
        return { status: res.status, body: await jsonOf(res) };
      },
    };
  }

  /** A dashboard call as the signed-in user (cookie and CSRF token), or with other headers. */
  async function dashboard(
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

  const decide = (projectId: string, id: string, body: Record<string, unknown>) =>
    dashboard('POST', `/api/projects/${projectId}/approvals/${id}/decision`, body);

  beforeAll(async () => {
    t = await startServer(await backend.fresh(), {
      maxPendingApprovals: 3,
      maxLiveClientsPerProject: 3,
      approvalSweepIntervalMs: 200,
    });
    session = await signIn(t, LOGIN);
  }, 60_000);
  afterAll(async () => {
    await t?.server.close();
    await backend.cleanup();
  });

  test('an agent asks, a user approves, the waiting call hears it and uses the approval once', async () => {
    const p = await project();
    const asked = await p.ask({ description: 'Refund 120 EUR on order o-7' });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      status: 'pending',
      project: p.id,
      agent_name: 'SupportBot',
      agent_id: 'bot-1',
      scope: 'write:refunds',
      function_name: 'Billing.refund',
      description: 'Refund 120 EUR on order o-7',
      source: 'sdk',
    });
    expect(asked.body.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const id = asked.body.id as string;
    expect(await jsonOf(await p.sdk('GET', `/api/approvals/${id}`))).toMatchObject({ id, status: 'pending' });

    const waiting = p.sdk('GET', `/api/approvals/${id}/wait?timeout_ms=30000`).then((r) => jsonOf(r));
    // The wait is held open until someone decides: the queue shows the request meanwhile.
    const queue = await dashboard('GET', `/api/projects/${p.id}/approvals?status=pending`);
    expect(queue.body).toMatchObject({ pending: 1, approvals: [{ id, status: 'pending' }] });
    const decided = await decide(p.id, id, { decision: 'approve', reason: 'customer is right' });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({
      status: 'approved',
      decided_by: LOGIN.email,
      reason: 'customer is right',
    });
    expect(await waiting).toMatchObject({ id, status: 'approved', decided_by: LOGIN.email });

    const used = await p.consume(id);
    expect(used.status).toBe(200);
    expect(typeof used.body.consumed_at).toBe('string');
    const again = await p.consume(id);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'approval_consumed', status: 'consumed' });
  });

  test('a retried create with the same request_key gets the same approval back', async () => {
    const p = await project();
    const requestKey = randomUUID();
    const first = await p.ask({ request_key: requestKey });
    const retry = await p.ask({ request_key: requestKey });
    expect([first.status, retry.status]).toEqual([201, 200]);
    expect(retry.body.id).toBe(first.body.id);
    const other = await p.ask({ request_key: requestKey, scope: 'write:orders' });
    expect(other.status).toBe(409);
    expect(other.body.field).toBe('request_key');
  });

  test('a decision is made once: of two concurrent decisions exactly one wins, the other gets 409', async () => {
    const p = await project();
    const { id } = (await p.ask()).body;
    const [a, b] = await Promise.all([
      decide(p.id, id, { decision: 'approve' }),
      decide(p.id, id, { decision: 'deny' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const [won, lost] = a.status === 200 ? [a, b] : [b, a];
    expect(lost.body).toMatchObject({ error: 'approval_decided', status: won.body.status });
    const third = await decide(p.id, id, { decision: 'approve' });
    expect(third.status).toBe(409);
  });

  test('an expired request reads expired, answers its waiter, and cannot be approved', async () => {
    const p = await project();
    const { id } = (await p.ask({ timeout_ms: 1000 })).body;
    const waited = await jsonOf(await p.sdk('GET', `/api/approvals/${id}/wait?timeout_ms=30000`));
    expect(waited).toMatchObject({ id, status: 'expired' });
    const late = await decide(p.id, id, { decision: 'approve' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ error: 'approval_expired', status: 'expired' });
    expect((await p.consume(id)).body).toMatchObject({ status: 'expired' });
    const history = await dashboard('GET', `/api/projects/${p.id}/approvals?status=expired`);
    expect(history.body.approvals.map((a: { id: string }) => a.id)).toEqual([id]);
  });

  test('consume refuses a call that differs in any bound field, naming the field (403)', async () => {
    const p = await project();
    const { id } = (await p.ask()).body;
    await decide(p.id, id, { decision: 'approve' });
    const differing: Array<[string, unknown]> = [
      ['agent_name', 'OtherBot'],
      ['agent_id', 'bot-2'],
      ['scope', 'write:orders'],
      ['function_name', 'Billing.chargeback'],
      ['args_digest', digestOf('o-7,12000')],
    ];
    for (const [field, value] of differing) {
      const refused = await p.consume(id, { [field]: value });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: 'binding_mismatch', field });
      expect(refused.body.message).toContain(field);
    }
    // None of the refusals used it up: the exact call still may.
    expect((await p.consume(id)).status).toBe(200);
  });

  test('a decision for one call cannot unlock another', async () => {
    const p = await project();
    const small = (await p.ask({ args_digest: digestOf('o-7,12') })).body.id;
    const large = (await p.ask({ args_digest: digestOf('o-7,12000') })).body.id;
    await decide(p.id, small, { decision: 'approve' });
    // The large refund presents its own approval: still pending.
    const pending = await p.consume(large, { args_digest: digestOf('o-7,12000') });
    expect(pending.status).toBe(409);
    expect(pending.body).toMatchObject({ error: 'approval_not_approved', status: 'pending' });
    // Or borrows the small one's id: bound to other arguments.
    const borrowed = await p.consume(small, { args_digest: digestOf('o-7,12000') });
    expect(borrowed.status).toBe(403);
    expect(borrowed.body.field).toBe('args_digest');
  });

  test("a read token lists but cannot decide or revoke; another project's key and path get 404", async () => {
    const p = await project();
    const other = await project();
    const { id } = (await p.ask()).body;
    const token = { authorization: `Bearer ${p.readToken}` };
    expect((await dashboard('GET', `/api/projects/${p.id}/approvals`, undefined, token)).status).toBe(200);
    const decision = await dashboard(
      'POST',
      `/api/projects/${p.id}/approvals/${id}/decision`,
      { decision: 'approve' },
      token,
    );
    expect(decision.status).toBe(403);
    expect(decision.body.error).toBe('login_required');
    // A grant to revoke, made by the user.
    const { id: second } = (await p.ask({ args_digest: digestOf('x') })).body;
    const granted = await decide(p.id, second, { decision: 'approve', remember_minutes: 5 });
    const revoke = await dashboard(
      'DELETE',
      `/api/projects/${p.id}/grants/${granted.body.grant_id}`,
      undefined,
      token,
    );
    expect(revoke.status).toBe(403);
    // The other project's key sees none of it, and cannot use it.
    expect((await other.sdk('GET', `/api/approvals/${id}`)).status).toBe(404);
    expect((await other.consume(second)).status).toBe(404);
    expect((await other.sdk('GET', `/api/approvals/${id}/wait?timeout_ms=0`)).status).toBe(404);
    // Its read token cannot list this project; the approval is not under the other project's path.
    const foreign = await dashboard('GET', `/api/projects/${p.id}/approvals`, undefined, {
      authorization: `Bearer ${other.readToken}`,
    });
    expect(foreign.status).toBe(404);
    expect((await decide(other.id, id, { decision: 'approve' })).status).toBe(404);
    expect(
      (await dashboard('DELETE', `/api/projects/${other.id}/grants/${granted.body.grant_id}`)).status,
    ).toBe(404);
    // A read token is no ingest key: it cannot ask.
    const asked = await fetch(`${t.url}/api/approvals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${p.readToken}` },
      body: JSON.stringify(call()),
    });
    expect(asked.status).toBe(403);
    expect((await p.sdk('GET', `/api/approvals/${id}`)).status).toBe(200);
  });

  test('every approvals route refuses each credential that may not call it', async () => {
    const p = await project();
    const other = await project();
    const { id } = (await p.ask()).body;
    const { id: second } = (await p.ask({ args_digest: digestOf('grant') })).body;
    const granted = await decide(p.id, second, { decision: 'approve', remember_minutes: 5 });
    // A POST carries a valid body, so only the credential can be what is refused.
    const bodies: Record<string, unknown> = {
      '/api/approvals': call(),
      [`/api/approvals/${id}/consume`]: call(),
      [`/api/projects/${p.id}/approvals/${id}/decision`]: { decision: 'approve' },
    };
    const status = async (method: string, path: string, headers: Record<string, string>) => {
      const body = method === 'POST' ? JSON.stringify(bodies[path]) : undefined;
      const res = await fetch(`${t.url}${path}`, {
        method,
        headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        body,
      });
      await res.body?.cancel();
      return res.status;
    };
    const none = {};
    const garbage = { authorization: 'Bearer as_not_a_real_key_at_all_000000' };
    const ingest = { authorization: `Bearer ${p.apiKey}` };
    const read = { authorization: `Bearer ${p.readToken}` };
    const otherIngest = { authorization: `Bearer ${other.apiKey}` };
    const otherRead = { authorization: `Bearer ${other.readToken}` };
    const cookieOnly = { cookie: session.cookie };
    const sdkRoutes: Array<[string, string]> = [
      ['POST', '/api/approvals'],
      ['GET', `/api/approvals/${id}`],
      ['GET', `/api/approvals/${id}/wait?timeout_ms=0`],
      ['POST', `/api/approvals/${id}/consume`],
      ['GET', '/api/approvals/stream'],
      ['GET', '/api/grants'],
    ];
    for (const [method, path] of sdkRoutes) {
      const where = `${method} ${path}`;
      expect([where, await status(method, path, none)]).toEqual([where, 401]);
      expect([where, await status(method, path, garbage)]).toEqual([where, 401]);
      expect([where, await status(method, path, cookieOnly)]).toEqual([where, 401]);
      expect([where, await status(method, path, read)]).toEqual([where, 403]);
    }
    // Another project's ingest key cannot see or use this project's approvals.
    for (const [method, path] of sdkRoutes.filter(([, path]) => path.includes(id)))
      expect([path, await status(method, path, otherIngest)]).toEqual([path, 404]);
    const dashboardRoutes: GuardedRoute[] = [
      ['GET', `/api/projects/${p.id}/approvals`, 'read'],
      ['GET', `/api/projects/${p.id}/grants`, 'read'],
      ['POST', `/api/projects/${p.id}/approvals/${id}/decision`, 'write'],
      ['DELETE', `/api/projects/${p.id}/grants/${granted.body.grant_id}`, 'write'],
    ];
    await expectRefusals(dashboardRoutes, status, {
      none,
      garbage,
      ingestKey: ingest,
      read,
      otherRead,
      cookieWithoutCsrf: cookieOnly,
    });
    // Nothing above decided or revoked anything.
    expect((await p.sdk('GET', `/api/approvals/${id}`).then((r) => jsonOf(r))).status).toBe('pending');
    const grants = await dashboard('GET', `/api/projects/${p.id}/grants`);
    expect(
      grants.body.grants.find((g: { id: string }) => g.id === granted.body.grant_id).revoked_at,
    ).toBeFalsy();
  });

  test('a decision with the login cookie but without its CSRF token is refused', async () => {
    const p = await project();
    const { id } = (await p.ask()).body;
    const refused = await dashboard(
      'POST',
      `/api/projects/${p.id}/approvals/${id}/decision`,
      { decision: 'approve' },
      {
        cookie: session.cookie,
      },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('csrf_token_missing');
    const forged = await dashboard(
      'POST',
      `/api/projects/${p.id}/approvals/${id}/decision`,
      { decision: 'approve' },
      {
        cookie: session.cookie,
        'x-csrf-token': 'forged',
      },
    );
    expect(forged.status).toBe(403);
    expect((await jsonOf(await p.sdk('GET', `/api/approvals/${id}`))).status).toBe('pending');
  });

  test('a remembered grant approves a later call at once; its revocation reaches the stream', async () => {
    const p = await project();
    const stream: LiveClient = await openLive(`${t.url}/api/approvals/stream`, {
      authorization: `Bearer ${p.apiKey}`,
    });
    try {
      const { id } = (await p.ask()).body;
      const decided = await decide(p.id, id, { decision: 'approve', remember_minutes: 10 });
      expect(decided.body).toMatchObject({ status: 'approved', remember_minutes: 10, same_args_only: false });
      const grantId = decided.body.grant_id as string;
      await until('the approval and grant on the stream', () =>
        stream.named.some((m) => m.event === 'approval' && m.data.id === id) &&
        stream.named.some((m) => m.event === 'grant' && m.data.id === grantId)
          ? true
          : undefined,
      );
      // A later call of the same agent and scope, other arguments: approved at once.
      const later = await p.ask({ args_digest: digestOf('o-8,30') });
      expect(later.status).toBe(200);
      expect(later.body).toMatchObject({ status: 'approved', grant_id: grantId });
      expect((await p.consume(later.body.id, { args_digest: digestOf('o-8,30') })).status).toBe(200);
      const warm = await jsonOf(await p.sdk('GET', '/api/grants?agent_name=SupportBot'));
      expect(warm.grants.map((g: { id: string }) => g.id)).toEqual([grantId]);
      // Another agent is not covered.
      expect((await p.ask({ agent_name: 'OtherBot' })).status).toBe(201);

      const before = stream.named.length;
      const revoked = await dashboard('DELETE', `/api/projects/${p.id}/grants/${grantId}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ id: grantId, revoked_by: LOGIN.email });
      const pushed = await until('the revocation on the stream', () =>
        stream.named.slice(before).find((m) => m.event === 'grant' && m.data.id === grantId),
      );
      expect(typeof pushed.data.revoked_at).toBe('string');
      expect(stream.named.length).toBe(before + 1);
      // Revoked: the next call asks again.
      expect((await p.ask({ args_digest: digestOf('o-9,30') })).status).toBe(201);
      expect((await jsonOf(await p.sdk('GET', '/api/grants'))).grants).toEqual([]);
      const listed = await dashboard('GET', `/api/projects/${p.id}/grants`);
      expect(listed.body.grants[0]).toMatchObject({ id: grantId, revoked_by: LOGIN.email });
    } finally {
      stream.close();
    }
  });

  test('a grant for the same arguments only covers calls with that digest', async () => {
    const p = await project();
    const { id } = (await p.ask()).body;
    await decide(p.id, id, { decision: 'approve', remember_minutes: 10, same_args_only: true });
    expect((await p.ask()).status).toBe(200);
    expect((await p.ask({ args_digest: digestOf('o-7,121') })).status).toBe(201);
  });

  test("the Python SDK's approval API round-trips through the same queue", async () => {
    const p = await project();
    const python = (method: string, path: string, body?: unknown) =>
      p
        .sdk(method, `/api/slack/approvals${path}`, body)
        .then(async (r) => ({ status: r.status, body: await jsonOf(r) }));
    const asked = {
      approval_id: 'a1b2c3d4',
      agent_name: 'PyBot',
      agent_id: null,
      scope: 'delete:files',
      function: 'cleanup',
      timeout: 300,
      channel: '#approvals',
    };
    const created = await python('POST', '', asked);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await python('POST', '', asked)).body.id).toBe(id);
    expect((await python('GET', `/${id}`)).body).toEqual({ id, status: 'pending' });
    const queue = await dashboard('GET', `/api/projects/${p.id}/approvals`);
    expect(queue.body.approvals[0]).toMatchObject({
      id,
      source: 'python',
      agent_name: 'PyBot',
      function_name: 'cleanup',
      channel: '#approvals',
    });
    await decide(p.id, id, { decision: 'approve' });
    expect((await python('GET', `/${id}`)).body).toEqual({ id, status: 'approved' });

    // An expired request reads 'denied', the Python SDK's word for it.
    const short = await python('POST', '', { ...asked, approval_id: 'e5f6a7b8', timeout: 1 });
    const status = await until('the short request to expire', async () => {
      const read = (await python('GET', `/${short.body.id}`)).body.status as string;
      return read === 'pending' ? undefined : read;
    });
    expect(status).toBe('denied');
    const bad = await python('POST', '', { ...asked, timeout: 'soon' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('timeout');
  });

  test('a project holds at most maxPendingApprovals pending approvals; the next gets 429 naming the limit', async () => {
    const p = await project();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await p.ask({ args_digest: digestOf(`call ${i}`) });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    const refused = await p.ask({ args_digest: digestOf('call 3') });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('too_many_pending_approvals');
    expect(refused.body.message).toContain('3 pending approvals');
    // Another project has its own room.
    expect((await (await project()).ask()).status).toBe(201);
    await decide(p.id, ids[0], { decision: 'deny' });
    expect((await p.ask({ args_digest: digestOf('call 3') })).status).toBe(201);
  });

  test('hostile inputs get a 400 naming the field', async () => {
    const p = await project();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ description: 'x'.repeat(501) }, 'description'],
      [{ timeout_ms: 999 }, 'timeout_ms'],
      [{ timeout_ms: 86_400_001 }, 'timeout_ms'],
      [{ timeout_ms: '300000' }, 'timeout_ms'],
      [{ timeout_ms: 1.5e3 + 0.5 }, 'timeout_ms'],
      [{ args_digest: 'not hex' }, 'args_digest'],
      [{ args_digest: 'A'.repeat(64) }, 'args_digest'],
      [{ args_digest: undefined }, 'args_digest'],
      [{ agent_name: '' }, 'agent_name'],
      [{ agent_name: 'a'.repeat(257) }, 'agent_name'],
      [{ scope: 'write:\u0000refunds' }, 'scope'],
      [{ function_name: 42 }, 'function_name'],
      [{ request_key: 'not-a-uuid' }, 'request_key'],
    ];
    for (const [overrides, field] of cases) {
      const r = await p.ask(overrides);
      expect([r.status, r.body.field]).toEqual([400, field]);
      expect(r.body.message).toContain(field);
    }
    const array = await p.sdk('POST', '/api/approvals', [call()]);
    expect(array.status).toBe(400);
    const { id } = (await p.ask()).body;
    for (const q of ['30001', '-1', 'soon']) {
      const r = await p.sdk('GET', `/api/approvals/${id}/wait?timeout_ms=${q}`);
      expect([r.status, (await jsonOf(r)).field]).toEqual([400, 'timeout_ms']);
    }
    expect((await p.sdk('GET', `/api/approvals/${'x'.repeat(300)}`)).status).toBe(404);
    const decisions: Array<[Record<string, unknown>, string]> = [
      [{ decision: 'maybe' }, 'decision'],
      [{ decision: 'deny', remember_minutes: 5 }, 'remember_minutes'],
      [{ decision: 'approve', remember_minutes: 0 }, 'remember_minutes'],
      [{ decision: 'approve', remember_minutes: 1441 }, 'remember_minutes'],
      [{ decision: 'approve', reason: 'r'.repeat(501) }, 'reason'],
      [{ decision: 'approve', same_args_only: true }, 'same_args_only'],
    ];
    for (const [body, field] of decisions) {
      const r = await decide(p.id, id, body);
      expect([r.status, r.body.field]).toEqual([400, field]);
    }
    const list = await dashboard('GET', `/api/projects/${p.id}/approvals?status=open`);
    expect([list.status, list.body.field]).toEqual([400, 'status']);
    // None of it decided anything.
    expect((await jsonOf(await p.sdk('GET', `/api/approvals/${id}`))).status).toBe('pending');
  });

  test('waits and streams are capped per project (429), and a wait answers at its timeout', async () => {
    const p = await project();
    const { id } = (await p.ask()).body;
    const key = { authorization: `Bearer ${p.apiKey}` };
    const streams: LiveClient[] = [];
    for (let i = 0; i < 3; i++) streams.push(await openLive(`${t.url}/api/approvals/stream`, key));
    try {
      const wait = await p.sdk('GET', `/api/approvals/${id}/wait?timeout_ms=30000`);
      expect(wait.status).toBe(429);
      expect(wait.headers.get('retry-after')).toBe('30');
      expect((await jsonOf(wait)).error).toBe('too_many_live_clients_for_credential');
      await expect(openLive(`${t.url}/api/approvals/stream`, key)).rejects.toThrow('429');
      // A wait that need not hold anything is answered at once, even now.
      expect((await p.sdk('GET', `/api/approvals/${id}/wait?timeout_ms=0`)).status).toBe(200);
    } finally {
      for (const s of streams) s.close();
    }
    // Slots come back when clients leave; a wait with nothing decided answers at its timeout.
    const timedOut = await until('a free slot', async () => {
      const r = await p.sdk('GET', `/api/approvals/${id}/wait?timeout_ms=200`);
      const body = await jsonOf(r);
      return r.status === 200 ? body : undefined;
    });
    expect(timedOut).toMatchObject({ id, status: 'pending' });
  });

  test('the server records each step as an event of the project, shown live', async () => {
    const p = await project();
    const feed = await openLive(`${t.url}/api/projects/${p.id}/live`, {
      authorization: `Bearer ${p.readToken}`,
    });
    try {
      const denied = (await p.ask()).body.id;
      await decide(p.id, denied, { decision: 'deny', reason: 'too large' });
      const granted = (await p.ask({ args_digest: digestOf('other') })).body.id;
      await decide(p.id, granted, { decision: 'approve' });
      await p.ask({ args_digest: digestOf('late'), timeout_ms: 1000 });
      const events = await feed.waitFor(6, 20_000);
      const actions = events.map((e) => e.action);
      expect(actions.filter((a) => a === 'approval_requested')).toHaveLength(3);
      expect(actions).toEqual(
        expect.arrayContaining(['approval_denied', 'approval_granted', 'approval_expired']),
      );
      for (const e of events)
        expect(e).toMatchObject({
          agent_name: 'SupportBot',
          scope: 'write:refunds',
          function_name: 'Billing.refund',
        });
      expect(events.find((e) => e.action === 'approval_granted').allowed).toBe(true);
      expect(events.find((e) => e.action === 'approval_denied').allowed).toBe(false);
    } finally {
      feed.close();
    }
  });
});

describe('approvals across two instances sharing PostgreSQL', () => {
  const [, pg] = backends();
  let a: TestServer;
  let b: AgentSudoServer;

  beforeAll(async () => {
    const storage = await pg.fresh();
    a = await startServer(storage);
    b = await createServer({ ...storage, port: 0 });
    await b.listen();
    await a.server.admin.createUser(LOGIN.email, LOGIN.password);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.server.close();
    await pg.cleanup();
  });

  test('a decision made on one instance answers a wait and a stream on the other', async () => {
    const sdk = (url: string, method: string, path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const stream = await openLive(`${a.url}/api/approvals/stream`, { authorization: `Bearer ${a.apiKey}` });
    try {
      const { id } = await jsonOf(await sdk(a.url, 'POST', '/api/approvals', call()));
      const waiting = sdk(a.url, 'GET', `/api/approvals/${id}/wait?timeout_ms=30000`).then((r) => jsonOf(r));
      const login = await fetch(`${b.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(LOGIN),
      });
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const csrf = (await jsonOf(login)).csrf_token;
      const decided = await fetch(`${b.url}/api/projects/${a.projectId}/approvals/${id}/decision`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', remember_minutes: 5 }),
      });
      expect(decided.status).toBe(200);
      expect(await waiting).toMatchObject({ id, status: 'approved' });
      const grantId = (await jsonOf(decided)).grant_id;
      await until('the grant on the other instance', () =>
        stream.named.find((m) => m.event === 'grant' && m.data.id === grantId),
      );
      const revoked = await fetch(`${b.url}/api/projects/${a.projectId}/grants/${grantId}`, {
        method: 'DELETE',
        headers: { cookie, 'x-csrf-token': csrf },
      });
      expect(revoked.status).toBe(200);
      await until('the revocation on the other instance', () =>
        stream.named.find((m) => m.event === 'grant' && m.data.id === grantId && m.data.revoked_at),
      );
    } finally {
      stream.close();
    }
  });
});
