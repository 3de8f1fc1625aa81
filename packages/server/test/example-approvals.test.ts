import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { backends, jsonOf, startServer, type TestServer } from './helpers';

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
  await t.server.admin.createUser(LOGIN.email, LOGIN.password);
  const res = await fetch(`${t.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(LOGIN),
  });
  session = {
    cookie: res.headers.get('set-cookie')!.split(';')[0],
    csrf: (await jsonOf<{ csrf_token: string }>(res)).csrf_token,
  };
}, 60_000);
afterAll(async () => {
  await t?.server.close();
  await sqlite.cleanup();
});

/** Starts the example; resolves with its output once it exits. */
function runExample(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EXAMPLE], {
      env: { ...process.env, AGENTSUDO_ENDPOINT: t.url, AGENTSUDO_API_KEY: t.apiKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
  });
}

/** The example's request once it is in the queue. */
async function waitingRequest(): Promise<{ id: string; description?: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { approvals } = await t.server.storage.approvals.list(t.projectId, { status: 'pending', limit: 5 });
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
