import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { backends, startServer, type TestServer, signIn } from './helpers';
import { clickPayload, slackSignature, startFakeSlack } from './slack-fake';

/**
 * examples/approvals as a user runs it (the built example in its own process, configured by
 * AGENTSUDO_ENDPOINT and AGENTSUDO_API_KEY) against a real server; a person decides through
 * the dashboard API while the example waits.
 */
jest.setTimeout(60_000);

const EXAMPLE = join(__dirname, '..', '..', '..', 'examples', 'approvals', 'dist', 'main.js');
const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
const [sqlite] = backends();
let t: TestServer;
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  t = await startServer(await sqlite.fresh());
  session = await signIn(t, LOGIN);
}, 60_000);
afterAll(async () => {
  await t?.server.close();
  await sqlite.cleanup();
});

/** Starts the example against `server`; resolves with its output once it exits. */
function runExample(server: { url: string; apiKey: string } = t): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EXAMPLE], {
      env: { ...process.env, AGENTSUDO_ENDPOINT: server.url, AGENTSUDO_API_KEY: server.apiKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
  });
}

/** The example's request once it is in the queue of `server`. */
async function waitingRequest(server: TestServer = t): Promise<{ id: string; description?: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { approvals } = await server.server.storage.approvals.list(server.projectId, {
      status: 'pending',
      limit: 5,
    });
    if (approvals.length) return approvals[0];
    if (Date.now() > deadline) throw new Error('the example never asked for approval');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const decide = (id: string, body: Record<string, unknown>) =>
  fetch(`${t.url}/api/projects/${t.projectId}/approvals/${id}/decision`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('the refund waits in the queue with its description; approved, it runs and the example prints its result', async () => {
  const output = runExample();
  const asked = await waitingRequest();
  expect(asked.description).toBe('Refund 120 EUR on order o-7');
  expect((await decide(asked.id, { decision: 'approve' })).status).toBe(200);
  const text = await output;
  expect(text).toContain('⏳ RefundBot asks to refund 120 EUR on order o-7');
  expect(text).toContain('✅ approved: refunded 120 EUR on order o-7');
});

test('denied with a reason, the example prints who denied it and why', async () => {
  const output = runExample();
  const asked = await waitingRequest();
  await decide(asked.id, { decision: 'deny', reason: 'over the limit' });
  expect(await output).toContain(
    `❌ Approval request ${asked.id} was denied by ${LOGIN.email}: over the limit`,
  );
});

describe('a second run, decided in Slack', () => {
  const SECRET = 'slack-signing-secret-of-the-example';

  test('the request is posted to the channel; a project member clicks Approve there, and the example prints its result', async () => {
    const slack = await startFakeSlack();
    slack.users.set('U0OPS', LOGIN.email);
    const backend = backends()[0];
    const s = await startServer(await backend.fresh(), { slackApiUrl: slack.apiUrl });
    try {
      const { cookie, csrf } = await signIn(s, LOGIN);
      const connected = await fetch(`${s.url}/api/projects/${s.projectId}/integrations/slack`, {
        method: 'PUT',
        headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ bot_token: 'xoxb-example', signing_secret: SECRET, channel: '#approvals' }),
      });
      expect(connected.status).toBe(200);

      const output = runExample(s);
      const asked = await waitingRequest(s);
      const post = await slack.waitForCall('chat.postMessage', (c) =>
        JSON.stringify(c.args.blocks ?? []).includes(asked.id),
      );
      expect(JSON.stringify(post.args.blocks)).toContain('Refund 120 EUR on order o-7');

      const body = `payload=${encodeURIComponent(JSON.stringify(clickPayload(asked.id, 'U0OPS', 'approve')))}`;
      const timestamp = String(Math.floor(Date.now() / 1000));
      const click = await fetch(`${s.url}/api/slack/interactions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': timestamp,
          'x-slack-signature': slackSignature(SECRET, timestamp, body),
        },
        body,
      });
      expect(click.status).toBe(200);
      expect(await output).toContain('✅ approved: refunded 120 EUR on order o-7');
      // The message in the channel now says who decided.
      const update = await slack.waitForCall('chat.update', (c) => c.args.ts === post.result?.ts);
      expect(JSON.stringify(update.args)).toContain(LOGIN.email);
    } finally {
      await s.server.close();
      await slack.close();
      await backend.cleanup();
    }
  });
});
