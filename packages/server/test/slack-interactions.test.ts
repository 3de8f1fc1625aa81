import fc from 'fast-check';
import { createHash, randomUUID } from 'node:crypto';
import { backends, jsonOf, startServer, type TestServer, signIn } from './helpers';
import { clickPayload, slackSignature, startFakeSlack, type FakeSlack, type SlackCall } from './slack-fake';

/**
 * Approvals decided in Slack, on SQLite and PostgreSQL: the server posts each request to
 * the project's channel through the Slack Web API (a fake on 127.0.0.1, reached by the real
 * `@slack/web-api` client through `slackApiUrl`), and Slack's button clicks come back signed
 * to POST /api/slack/interactions, or over Socket Mode.
 */
const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
const SIGNING_SECRET = 'slack-signing-secret-of-project-a';
const BOT_TOKEN = 'xoxb-1111-2222-bot-token-a';
const MEMBER = 'U0MEMBER';
const STRANGER = 'U0STRANGER';
const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(backends())('approvals decided in Slack on $name', (backend) => {
  let t: TestServer;
  let slack: FakeSlack;
  let session: { cookie: string; csrf: string };

  async function dashboard(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: {
        ...(headers ?? { cookie: session.cookie, 'x-csrf-token': session.csrf }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await jsonOf(res) };
  }

  /** A fresh project connected to Slack (interactivity URL mode, or Socket Mode). */
  async function project(slackConfig: Record<string, unknown> = {}) {
    const { project: p, apiKey } = await t.server.admin.createProject(`p-${randomUUID().slice(0, 8)}`);
    const connected = await dashboard('PUT', `/api/projects/${p.id}/integrations/slack`, {
      bot_token: BOT_TOKEN,
      signing_secret: SIGNING_SECRET,
      channel: '#approvals',
      ...slackConfig,
    });
    expect(connected.status).toBe(200);
    const sdk = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${t.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await jsonOf(res) };
    };
    const ask = async (overrides: Record<string, unknown> = {}) => {
      const res = await sdk('POST', '/api/approvals', {
        agent_name: 'SupportBot',
        scope: 'write:refunds',
        function_name: 'Billing.refund',
        args_digest: digestOf(randomUUID()),
        description: 'Refund 120 EUR on order o-7',
        timeout_ms: 120_000,
        ...overrides,
      });
      expect(res.status).toBe(201);
      return res.body as { id: string; expires_at: string };
    };
    return { id: p.id, apiKey, sdk, ask };
  }

  /** Slack's POST of a click, signed with `secret` at `timestamp` (now by default). */
  async function click(
    approvalId: string,
    user: string,
    action: 'approve' | 'deny',
    options: { secret?: string; timestamp?: number; signature?: string } = {},
  ) {
    const body = `payload=${encodeURIComponent(JSON.stringify(clickPayload(approvalId, user, action)))}`;
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const res = await fetch(`${t.url}/api/slack/interactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature':
          options.signature ?? slackSignature(options.secret ?? SIGNING_SECRET, timestamp, body),
      },
      body,
    });
    return { status: res.status, text: await res.text() };
  }

  /** The post of an approval: its buttons carry the approval id. */
  const postOf = (approvalId: string) => (c: SlackCall) =>
    JSON.stringify(c.args.blocks ?? []).includes(approvalId);
  /** An update of the message an approval was posted as (same ts). */
  const updateOf = (approvalId: string) => (c: SlackCall) =>
    slack.calls.some(
      (p) => p.method === 'chat.postMessage' && postOf(approvalId)(p) && p.result?.ts === c.args.ts,
    );

  beforeAll(async () => {
    slack = await startFakeSlack();
    slack.users.set(MEMBER, 'Ops@Example.com');
    slack.users.set(STRANGER, 'someone@elsewhere.example');
    t = await startServer(await backend.fresh(), {
      slackApiUrl: slack.apiUrl,
      notifyRetry: { attempts: 4, initialDelayMs: 50, maxDelayMs: 200 },
      approvalSweepIntervalMs: 200,
    });
    session = await signIn(t, LOGIN);
  }, 60_000);
  afterAll(async () => {
    await t?.server.close();
    await slack?.close();
    await backend.cleanup();
  }, 30_000);

  test('a request is posted to the channel as a Block Kit message with Approve and Deny buttons', async () => {
    const p = await project();
    const approval = await p.ask();

    const post = await slack.waitForCall('chat.postMessage', postOf(approval.id));
    expect(post.token).toBe(BOT_TOKEN);
    expect(post.args.channel).toBe('#approvals');
    const blocks = JSON.stringify(post.args.blocks);
    for (const fact of [
      'SupportBot',
      'write:refunds',
      'Billing.refund',
      'Refund 120 EUR on order o-7',
      approval.expires_at,
    ])
      expect(blocks).toContain(fact);
    const buttons = post.args.blocks.find((b: any) => b.type === 'actions').elements;
    expect(buttons.map((b: any) => [b.action_id, b.value])).toEqual([
      ['agentsudo_approve', approval.id],
      ['agentsudo_deny', approval.id],
    ]);
  });

  test("a member's click decides: the waiting call hears it and the message says who decided", async () => {
    const p = await project();
    const approval = await p.ask();
    await slack.waitForCall('chat.postMessage', postOf(approval.id));
    const waiting = p.sdk('GET', `/api/approvals/${approval.id}/wait?timeout_ms=25000`);

    expect((await click(approval.id, MEMBER, 'approve')).status).toBe(200);

    const heard = await waiting;
    expect(heard.body).toMatchObject({ id: approval.id, status: 'approved', decided_by: 'ops@example.com' });
    const update = await slack.waitForCall('chat.update', updateOf(approval.id));
    // The update goes to the channel id and ts the post answered (the post named #approvals).
    expect(update.args.channel).toBe('C0APPROVALS');
    expect(update.args.ts).toMatch(/^1700000000\.\d{6}$/);
    expect(JSON.stringify(update.args.blocks)).toContain('Approved by ops@example.com at');
    expect(JSON.stringify(update.args.blocks)).not.toContain('agentsudo_approve');
  });

  test('a forged signature is refused with 401 and decides nothing', async () => {
    const p = await project();
    const approval = await p.ask();
    const usersInfoBefore = slack.calls.filter((c) => c.method === 'users.info').length;

    const forged = await click(approval.id, MEMBER, 'approve', { secret: 'not-the-signing-secret' });
    const garbage = await click(approval.id, MEMBER, 'approve', { signature: 'v0=00' });

    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.text).error).toBe('invalid_slack_signature');
    expect(garbage.status).toBe(401);
    expect((await p.sdk('GET', `/api/approvals/${approval.id}`)).body.status).toBe('pending');
    expect(slack.calls.filter((c) => c.method === 'users.info').length).toBe(usersInfoBefore);
  });

  test("a click signed with another project's secret cannot decide this project's approval", async () => {
    const a = await project();
    await project({ signing_secret: 'the-signing-secret-of-project-b' });
    const approval = await a.ask();

    const res = await click(approval.id, MEMBER, 'approve', { secret: 'the-signing-secret-of-project-b' });

    expect(res.status).toBe(401);
    expect((await a.sdk('GET', `/api/approvals/${approval.id}`)).body.status).toBe('pending');
  });

  test('a replayed request with a timestamp older than 5 minutes is refused with 401', async () => {
    const p = await project();
    const approval = await p.ask();

    const replayed = await click(approval.id, MEMBER, 'approve', {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });

    expect(replayed.status).toBe(401);
    expect(JSON.parse(replayed.text).message).toMatch(/more than 300 s from now/);
    expect((await p.sdk('GET', `/api/approvals/${approval.id}`)).body.status).toBe('pending');
  });

  test('a click by a Slack user who is not a member of the project gets an ephemeral "not allowed" and decides nothing', async () => {
    const p = await project();
    const approval = await p.ask();

    expect((await click(approval.id, STRANGER, 'approve')).status).toBe(200);

    const told = await slack.waitForCall('chat.postEphemeral', (c) => c.args.user === STRANGER);
    expect(told.args.text).toMatch(/not allowed/);
    expect((await p.sdk('GET', `/api/approvals/${approval.id}`)).body.status).toBe('pending');
  });

  test('a double click decides once; the second click is told who already decided', async () => {
    const p = await project();
    const approval = await p.ask();

    const [first, second] = await Promise.all([
      click(approval.id, MEMBER, 'deny'),
      click(approval.id, MEMBER, 'approve'),
    ]);

    expect([first.status, second.status]).toEqual([200, 200]);
    const decided = (await p.sdk('GET', `/api/approvals/${approval.id}`)).body;
    expect(['approved', 'denied']).toContain(decided.status);
    const told = await slack.waitForCall(
      'chat.postEphemeral',
      (c) => c.args.user === MEMBER && /Already decided/.test(c.args.text),
    );
    expect(told.args.text).toContain(
      `${decided.status === 'approved' ? 'Approved' : 'Denied'} by ops@example.com`,
    );
    // One decision, one update of the message.
    await slack.waitForCall('chat.update', updateOf(approval.id));
    expect(slack.calls.filter((c) => c.method === 'chat.update' && updateOf(approval.id)(c))).toHaveLength(1);
  });

  test('a decision in the dashboard, and an expiry, update the Slack message too', async () => {
    const p = await project();
    const decided = await p.ask();
    const expiring = await p.ask({ timeout_ms: 1000 });
    await slack.waitForCall('chat.postMessage', postOf(decided.id));
    await slack.waitForCall('chat.postMessage', postOf(expiring.id));

    const res = await dashboard('POST', `/api/projects/${p.id}/approvals/${decided.id}/decision`, {
      decision: 'deny',
      reason: 'over the limit',
    });
    expect(res.status).toBe(200);

    const byDashboard = await slack.waitForCall('chat.update', updateOf(decided.id));
    expect(JSON.stringify(byDashboard.args.blocks)).toContain('Denied by ops@example.com at');
    const byExpiry = await slack.waitForCall('chat.update', updateOf(expiring.id));
    expect(JSON.stringify(byExpiry.args.blocks)).toContain('Expired at');
  });

  test('a Slack that fails is retried, and the approval is made and decided regardless', async () => {
    const p = await project();
    slack.failNext('chat.postMessage', 2, 500);

    const approval = await p.ask();

    const post = await slack.waitForCall('chat.postMessage', postOf(approval.id), 3);
    expect(post.args.channel).toBe('#approvals');
    expect((await p.sdk('GET', `/api/approvals/${approval.id}`)).body.status).toBe('pending');
  });

  test('Socket Mode: a click arrives over the socket, is acknowledged, and decides', async () => {
    const p = await project({
      mode: 'socket',
      app_token: 'xapp-1-A0123-socket-token',
      signing_secret: undefined,
    });
    await slack.socketConnected();
    const open = await slack.waitForCall('apps.connections.open');
    expect(open.token).toBe('xapp-1-A0123-socket-token');
    const approval = await p.ask();
    await slack.waitForCall('chat.postMessage', postOf(approval.id));

    const ack = await slack.sendEnvelope('interactive', clickPayload(approval.id, MEMBER, 'approve'));

    expect(ack.envelope_id).toBe('env-1');
    const update = await slack.waitForCall('chat.update', updateOf(approval.id));
    expect(JSON.stringify(update.args.blocks)).toContain('Approved by ops@example.com at');
    expect((await p.sdk('GET', `/api/approvals/${approval.id}`)).body.status).toBe('approved');
    // A stranger over the socket is refused like one over HTTP.
    const other = await p.ask();
    await slack.sendEnvelope('interactive', clickPayload(other.id, STRANGER, 'approve'));
    await slack.waitForCall('chat.postEphemeral', (c) => c.args.user === STRANGER, 2);
    expect((await p.sdk('GET', `/api/approvals/${other.id}`)).body.status).toBe('pending');
    // Disconnecting closes the socket connection.
    expect((await dashboard('DELETE', `/api/projects/${p.id}/integrations/slack`)).status).toBe(200);
  });

  test('Socket Mode disconnected before it connects: nothing is left unhandled and the server goes on', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const p = await project({
        mode: 'socket',
        app_token: 'xapp-1-A0123-socket-token',
        signing_secret: undefined,
      });
      // At once: the client is still opening its connection when it is told to close.
      expect((await dashboard('DELETE', `/api/projects/${p.id}/integrations/slack`)).status).toBe(200);
      await slack.waitForCall('apps.connections.open');
      // Time for the abandoned start to settle, and for a rejection nobody handles to be seen.
      await new Promise((r) => setTimeout(r, 1000));
      expect(unhandled).toEqual([]);
      expect((await dashboard('GET', `/api/projects/${p.id}/integrations/slack`)).body).toMatchObject({
        connected: false,
      });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('the Slack connection is seen and changed only by a signed-in user, and its secrets never come back whole', async () => {
    const p = await project();
    const { token: readToken } = await t.server.admin.createReadToken(p.id);
    const path = `/api/projects/${p.id}/integrations/slack`;

    const shown = await dashboard('GET', path);
    expect(shown.body).toMatchObject({
      connected: true,
      mode: 'http',
      channel: '#approvals',
      bot_token: '…en-a',
      signing_secret: '…ct-a',
      updated_by: 'ops@example.com',
    });
    expect(JSON.stringify(shown.body)).not.toContain(BOT_TOKEN);
    expect(JSON.stringify(shown.body)).not.toContain(SIGNING_SECRET);

    for (const where of [path, `/api/projects/${p.id}/integrations/webhook`])
      for (const [headers, status] of [
        [{}, 401],
        [{ authorization: 'Bearer asr_not_a_real_token' }, 401],
        [{ authorization: `Bearer ${p.apiKey}` }, 403],
        [{ authorization: `Bearer ${readToken}` }, 403],
      ] as const) {
        const got = await dashboard('GET', where, undefined, headers);
        expect({
          where,
          status: got.status,
          leaks: /…en-a|…ct-a|"connected"/.test(JSON.stringify(got.body)),
        }).toEqual({
          where,
          status,
          leaks: false,
        });
      }
    const byToken = await dashboard('GET', path, undefined, { authorization: `Bearer ${readToken}` });
    expect(byToken.status).toBe(403);
    const changeByToken = await dashboard('DELETE', path, undefined, {
      authorization: `Bearer ${readToken}`,
    });
    expect(changeByToken.status).toBe(403);
    const noCsrf = await dashboard('DELETE', path, undefined, { cookie: session.cookie });
    expect(noCsrf.status).toBe(403);
    const bad = await dashboard('PUT', path, {
      bot_token: 'xoxp-user-token-1234',
      signing_secret: SIGNING_SECRET,
      channel: '#a',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_body', field: 'bot_token' });
    expect(bad.body.message).not.toContain('xoxp-user-token-1234');

    expect((await dashboard('DELETE', path)).body).toEqual({ connected: false });
    expect((await dashboard('GET', path)).body).toEqual({ connected: false });
  });

  test('no body, signed or not, makes the integration routes or the interactivity endpoint answer 5xx', async () => {
    const p = await project();
    const approval = await p.ask();
    const hostile = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('', '\u0000', 'xoxb-\u0000aaaaaaaa', 'x'.repeat(600), '#', 'C', 'xapp-'),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const slackBody = fc.record(
      {
        mode: fc.oneof(fc.constantFrom('http', 'socket'), hostile),
        bot_token: fc.oneof(fc.constant(BOT_TOKEN), hostile),
        signing_secret: fc.oneof(fc.constant(SIGNING_SECRET), hostile),
        app_token: fc.oneof(fc.constant('xapp-1-A0123-token'), hostile),
        channel: fc.oneof(fc.constantFrom('#approvals', 'C0123ABCD'), hostile),
      },
      { requiredKeys: [] },
    );
    const webhookBody = fc.record(
      { url: fc.oneof(fc.webUrl(), hostile), secret: hostile },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(slackBody, hostile),
        fc.oneof(webhookBody, hostile),
        async (slackConfig, hook) => {
          const a = await dashboard('PUT', `/api/projects/${p.id}/integrations/slack`, slackConfig);
          const b = await dashboard('PUT', `/api/projects/${p.id}/integrations/webhook`, hook);
          expect(a.status).toBeLessThan(500);
          expect(b.status).toBeLessThan(500);
        },
      ),
      { numRuns: 40 },
    );
    // Restore the connection the clicks below are signed for.
    await dashboard('PUT', `/api/projects/${p.id}/integrations/slack`, {
      bot_token: BOT_TOKEN,
      signing_secret: SIGNING_SECRET,
      channel: '#approvals',
    });
    const payload = fc.oneof(
      hostile.map((v) => ({
        type: 'block_actions',
        actions: [{ action_id: 'agentsudo_approve', value: v }],
        user: v,
      })),
      fc.constant(clickPayload(approval.id, STRANGER, 'approve')),
      hostile,
    );
    await fc.assert(
      fc.asyncProperty(payload, fc.boolean(), fc.boolean(), async (value, asForm, signed) => {
        const body = asForm
          ? `payload=${encodeURIComponent(JSON.stringify(value))}`
          : String(JSON.stringify(value));
        const timestamp = String(Math.floor(Date.now() / 1000));
        const res = await fetch(`${t.url}/api/slack/interactions`, {
          method: 'POST',
          headers: {
            'content-type': asForm ? 'application/x-www-form-urlencoded' : 'application/json',
            'x-slack-request-timestamp': timestamp,
            'x-slack-signature': signed ? slackSignature(SIGNING_SECRET, timestamp, body) : 'v0=bad',
          },
          body,
        });
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
    expect((await p.sdk('GET', `/api/approvals/${approval.id}`)).body.status).toBe('pending');
  }, 120_000);
});
