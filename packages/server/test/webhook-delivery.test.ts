import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { backends, jsonOf, startServer, type TestServer, signIn } from './helpers';

/**
 * Approval requests POSTed to a project's webhook, on SQLite and PostgreSQL: a receiver on
 * 127.0.0.1 (allowed by allowPrivateWebhookUrls) checks each request as docs/approvals.md
 * tells receivers to, fails on demand, and the server retries with backoff, bounded.
 */
const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
const SECRET = 'whsec_test-secret-of-the-webhook';
const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');

/** The receiver's check, as docs/approvals.md shows it: HMAC of `{timestamp}.{raw body}`, fresh, constant time. */
function verify(secret: string, headers: http.IncomingHttpHeaders, rawBody: string): boolean {
  const timestamp = String(headers['x-agentsudo-timestamp']);
  const signature = String(headers['x-agentsudo-signature']);
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
  return (
    signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  );
}

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A webhook receiver that answers `statuses` in turn (then 200) and records every request. */
async function receiver() {
  const received: Received[] = [];
  let statuses: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/agentsudo`,
    received,
    answer: (...next: number[]) => (statuses = next),
    async waitFor(n: number, where: (r: Received) => boolean = () => true) {
      const deadline = Date.now() + 20_000;
      while (received.filter(where).length < n) {
        if (Date.now() > deadline)
          throw new Error(`the receiver got ${received.filter(where).length} of ${n} requests`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received.filter(where);
    },
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Waits until a log line matching `pattern` was written. */
async function logLine(lines: string[], pattern: RegExp): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = lines.find((l) => pattern.test(l));
    if (line) return JSON.parse(line);
    if (Date.now() > deadline) throw new Error(`no log line matching ${pattern}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(backends())('approval requests sent to a webhook on $name', (backend) => {
  let t: TestServer;
  let session: { cookie: string; csrf: string };
  let hook: Awaited<ReturnType<typeof receiver>>;
  const logs: string[] = [];

  async function dashboard(method: string, path: string, body?: unknown) {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: {
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await jsonOf(res) };
  }

  /** A fresh project with the receiver as its webhook. */
  async function project(url = hook.url) {
    const { project: p, apiKey } = await t.server.admin.createProject(`p-${randomUUID().slice(0, 8)}`);
    const put = await dashboard('PUT', `/api/projects/${p.id}/integrations/webhook`, { url, secret: SECRET });
    expect(put.status).toBe(200);
    const ask = async () => {
      const res = await fetch(`${t.url}/api/approvals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          agent_name: 'SupportBot',
          scope: 'write:refunds',
          function_name: 'Billing.refund',
          args_digest: digestOf(randomUUID()),
          description: 'Refund 120 EUR on order o-7',
        }),
      });
      expect(res.status).toBe(201);
      return jsonOf<{ id: string }>(res);
    };
    return { id: p.id, ask };
  }

  const about = (id: string) => (r: Received) => r.body.includes(id);

  beforeAll(async () => {
    hook = await receiver();
    t = await startServer(await backend.fresh(), {
      allowPrivateWebhookUrls: true,
      notifyRetry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
      logger: { level: 'warn', stream: { write: (line: string) => void logs.push(line) } },
    });
    session = await signIn(t, LOGIN);
  }, 60_000);
  afterAll(async () => {
    await t?.server.close();
    await hook?.close();
    await backend.cleanup();
  }, 30_000);

  test('each approval request is POSTed as JSON, signed so the receiver can verify it', async () => {
    const p = await project();
    const approval = await p.ask();

    const [request] = await hook.waitFor(1, about(approval.id));

    expect(request.headers['content-type']).toBe('application/json');
    expect(verify(SECRET, request.headers, request.body)).toBe(true);
    expect(verify('another-secret-entirely', request.headers, request.body)).toBe(false);
    expect(verify(SECRET, request.headers, request.body.replace('120 EUR', '999 EUR'))).toBe(false);
    expect(JSON.parse(request.body)).toMatchObject({
      type: 'approval_requested',
      delivery_id: request.headers['x-agentsudo-delivery'],
      approval: {
        id: approval.id,
        status: 'pending',
        project: p.id,
        agent_name: 'SupportBot',
        scope: 'write:refunds',
      },
    });
  });

  test('a webhook answering 500 is retried with the same delivery id until it answers 200', async () => {
    const p = await project();
    hook.answer(500, 500);
    const approval = await p.ask();

    const tries = await hook.waitFor(3, about(approval.id));

    expect(tries.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(tries.map((r) => r.headers['x-agentsudo-delivery'])).size).toBe(1);
    for (const r of tries) expect(verify(SECRET, r.headers, r.body)).toBe(true);
  });

  test('a webhook that keeps failing is given up after the configured attempts, with a log line', async () => {
    const p = await project();
    hook.answer(503, 503, 503, 503, 503);
    const approval = await p.ask();

    const line = await logLine(
      logs,
      new RegExp(`webhook: delivering approval ${approval.id}: gave up after 3 attempts`),
    );

    expect(line.msg).toContain('answered 503');
    expect(hook.received.filter(about(approval.id))).toHaveLength(3);
    hook.answer();
  });

  test('a 404 is not retried', async () => {
    const p = await project();
    hook.answer(404);
    const approval = await p.ask();

    await logLine(logs, new RegExp(`webhook: delivering approval ${approval.id}: gave up after 1 attempt:`));
    expect(hook.received.filter(about(approval.id))).toHaveLength(1);
  });

  test('the webhook secret is shown only by its last 4 characters, or once when the server made it', async () => {
    const p = await project();
    const shown = await dashboard('GET', `/api/projects/${p.id}/integrations/webhook`);
    expect(shown.body).toMatchObject({ connected: true, url: hook.url, secret: '…hook' });

    const made = await dashboard('PUT', `/api/projects/${p.id}/integrations/webhook`, { url: hook.url });
    expect(made.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(made.body.secret_shown_once).toBe(true);
    expect((await dashboard('GET', `/api/projects/${p.id}/integrations/webhook`)).body.secret).toBe(
      `…${made.body.secret.slice(-4)}`,
    );
  });

  test('a URL that is not http or https is refused with a 400 naming it', async () => {
    const { project: p } = await t.server.admin.createProject(`p-${randomUUID().slice(0, 8)}`);
    for (const url of ['ftp://ops.example.com/hook', 'not a url', 'https://user:pw@ops.example.com/hook']) {
      const res = await dashboard('PUT', `/api/projects/${p.id}/integrations/webhook`, {
        url,
        secret: SECRET,
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_body', field: 'url' });
      expect(res.body.message).toContain(JSON.stringify(url));
    }
  });
});

describe('webhooks without allowPrivateWebhookUrls', () => {
  const [sqlite] = backends();
  let t: TestServer;
  let session: { cookie: string; csrf: string };
  let hook: Awaited<ReturnType<typeof receiver>>;
  const logs: string[] = [];

  beforeAll(async () => {
    hook = await receiver();
    t = await startServer(await sqlite.fresh(), {
      notifyRetry: { attempts: 2, initialDelayMs: 60_000, maxDelayMs: 60_000 },
      maxQueuedNotifications: 2,
      logger: { level: 'warn', stream: { write: (line: string) => void logs.push(line) } },
    });
    session = await signIn(t, LOGIN);
  }, 60_000);
  afterAll(async () => {
    await t?.server.close();
    await hook?.close();
    await sqlite.cleanup();
  }, 30_000);

  test('loopback, private and link-local addresses are refused', async () => {
    for (const url of [
      hook.url,
      'http://localhost:8080/x',
      'http://10.0.0.7/x',
      'http://169.254.169.254/latest',
      'http://[::1]/x',
    ]) {
      const res = await fetch(`${t.url}/api/projects/${t.projectId}/integrations/webhook`, {
        method: 'PUT',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ url, secret: SECRET }),
      });
      const body = await jsonOf(res);
      expect(res.status).toBe(400);
      expect(body.field).toBe('url');
      expect(body.message).toMatch(/loopback or private address.*allowPrivateWebhookUrls/);
    }
  });

  test('a dead endpoint cannot grow the queue: beyond its bound, requests are dropped and logged', async () => {
    // A public name whose delivery waits a minute between tries keeps its jobs queued.
    await t.server.storage.integrations.put(
      t.projectId,
      'webhook',
      { url: 'http://dead.invalid/hook', secret: SECRET },
      'test',
    );
    const ask = () =>
      fetch(`${t.url}/api/approvals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          agent_name: 'Bot',
          scope: 's',
          function_name: 'f',
          args_digest: digestOf(randomUUID()),
        }),
      });
    for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(201);

    const line = await logLine(logs, /dropped, 2 notifications are already queued/);
    expect(line).toMatchObject({ queued: 2, dropped: 1 });
  });
});
