'use strict';
/* global fetch */
/**
 * Screenshots of every dashboard page for the docs, taken in Chromium against a real
 * server with a day of sample traffic from three agents sent through the ingest API.
 * Needs the built package (`npm run build -w @agentsudo/server`).
 *
 *   node packages/server/scripts/screenshots.js [outDir]   # default: docs/images
 *
 * @example
 * ```sh
 * npm run build && node packages/server/scripts/screenshots.js /tmp/shots
 * ```
 */
const { mkdirSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { createServer, dashboard } = require('../dist');
const { buildUi } = require('./build-ui');
const { launchChromium } = require('./chromium');

/** The id of the denied refund the event page is photographed with. */
const REFUND_EVENT_ID = '6f1c2b9e-3a4d-4c5e-8f70-1a2b3c4d5e6f';

const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
const HOUR = 3_600_000;

/**
 * Agents of a support desk, what they call, which of their calls are denied and why (no
 * reason: the SDK sent none, and the dashboard reads it as a missing scope).
 */
const AGENTS = [
  {
    name: 'SupportBot',
    calls: [
      ['CustomerService.getCustomer', 'read:customers', true],
      ['OrderService.getOrder', 'read:orders', true],
      ['CustomerService.processRefund', 'write:refunds', false, 'budget'],
    ],
  },
  {
    name: 'BillingBot',
    calls: [
      ['InvoiceService.createInvoice', 'write:invoices', true],
      ['InvoiceService.voidInvoice', 'delete:invoices', false],
    ],
  },
  {
    name: 'ResearchBot',
    calls: [
      ['SearchService.search', 'read:web', true],
      ['MailService.sendEmail', 'send:email', false, 'guardrail'],
    ],
  },
];

/** A small deterministic generator, so the screenshots show the same shape every run. */
function random(seed) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** A day of traffic: busier in the working hours, a denial now and then. */
function sampleEvents(now) {
  const next = random(42);
  const events = [];
  for (let hour = 23; hour >= 0; hour--) {
    const busy = 4 + Math.round(10 * Math.max(0, Math.sin(((24 - hour) / 24) * Math.PI)) * next());
    for (let i = 0; i < busy; i++) {
      const agent = AGENTS[Math.floor(next() * AGENTS.length)];
      const [fn, scope, allowed, reason] = agent.calls[Math.floor(next() * agent.calls.length)];
      events.push({
        timestamp: new Date(now - hour * HOUR - Math.floor(next() * HOUR)).toISOString(),
        agent_name: agent.name,
        action: 'permission_check',
        scope,
        allowed,
        function_name: fn,
        ...(reason ? { reason } : {}),
      });
    }
  }
  return events;
}

async function post(url, apiKey, events) {
  const response = await fetch(`${url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(events),
  });
  if (!response.ok) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
}

/** Asks for an approval as an agent's SDK does (the project's ingest key); resolves with its id. */
async function askApproval(url, apiKey, request) {
  const response = await fetch(`${url}/api/approvals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ args_digest: 'a1'.repeat(32), ...request }),
  });
  if (!response.ok) throw new Error(`approvals answered ${response.status}: ${await response.text()}`);
  return (await response.json()).id;
}

async function main(outDir) {
  mkdirSync(outDir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'agentsudo-screenshots-'));
  const publicDir = await buildUi({ outdir: join(dir, 'public') });
  const server = await createServer({
    db: join(dir, 'agentsudo.db'),
    port: 0,
    extend: dashboard({ publicDir }),
  });
  const browser = await launchChromium();
  try {
    await server.admin.createUser(LOGIN.email, LOGIN.password);
    const { project, apiKey } = await server.admin.createProject('support-desk');
    const url = await server.listen();
    await post(url, apiKey, sampleEvents(Date.now()));

    const context = await browser.newContext({
      baseURL: url,
      viewport: { width: 1280, height: 800 },
      colorScheme: 'light',
    });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const shot = (name) =>
      page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true, animations: 'disabled' });
    const base = `/#/projects/${project.id}`;

    await page.goto('/#/login');
    await page.getByLabel('Email').fill(LOGIN.email);
    await page.getByLabel('Password').fill(LOGIN.password);
    await shot('login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.feed .event-row').first().waitFor();

    // Two checks arriving while the feed is open.
    const now = new Date().toISOString();
    await post(url, apiKey, [
      {
        timestamp: now,
        agent_name: 'SupportBot',
        action: 'permission_check',
        scope: 'read:customers',
        allowed: true,
        function_name: 'CustomerService.getCustomer',
      },
      {
        // Everything an SDK can send, for the event page's screenshot; stamped to the
        // microsecond, as the Python SDK does.
        event_id: REFUND_EVENT_ID,
        timestamp: now.replace('Z', '412Z'),
        agent_name: 'SupportBot',
        agent_id: 'support-bot-eu-1',
        role: 'support',
        session_id: 'sess-7f3a9c2e',
        action: 'permission_check',
        scope: 'write:refunds',
        allowed: false,
        reason: 'condition',
        function_name: 'CustomerService.processRefund',
        sdk: 'agentsudo-js/0.1.0',
        metadata: {
          team: 'cx',
          region: 'eu-west',
          ticket: 'T-1042',
          model: { provider: 'openai', tools: 7 },
        },
      },
      // A refund over the limit, sent to a person and approved.
      {
        timestamp: now,
        agent_name: 'SupportBot',
        action: 'approval_requested',
        scope: 'write:refunds',
        allowed: false,
        function_name: 'CustomerService.processRefund',
        approval_id: 'apr_7Qx2mK',
      },
      {
        timestamp: now,
        agent_name: 'SupportBot',
        action: 'approval_granted',
        scope: 'write:refunds',
        allowed: true,
        function_name: 'CustomerService.processRefund',
        approval_id: 'apr_7Qx2mK',
        decided_by: 'ops@example.com',
      },
      {
        timestamp: now,
        agent_name: 'ResearchBot',
        action: 'audit_violation',
        scope: 'send:email',
        allowed: true,
        function_name: 'MailService.sendEmail',
      },
    ]);
    await page.locator('.feed .event-row.outcome-audit').waitFor();
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: join(outDir, 'live-feed.png'), animations: 'disabled' });

    await page.goto(`${base}/analytics`);
    await page.locator('svg.sparkline').first().waitFor();
    await shot('analytics');

    await page.goto(`${base}/audit?outcome=denied`);
    await page.locator('.audit-table tbody tr').first().waitFor();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(outDir, 'audit-log.png'), animations: 'disabled' });

    // A row opens the event in full.
    await page.locator(`.audit-table tr[data-event-id="${REFUND_EVENT_ID}"]`).click();
    await page.locator('.event-detail').waitFor();
    await shot('event-detail');

    await page.goto(`${base}/agents`);
    await page.locator('.agent-card').first().waitFor();
    await shot('agents');

    // Approvals: one decided with a remembered grant, one denied, two waiting.
    const decided = [
      [
        {
          agent_name: 'BillingBot',
          scope: 'delete:invoices',
          function_name: 'InvoiceService.voidInvoice',
          description: 'Void invoice INV-2291 (duplicate)',
        },
        { decision: 'approve', reason: 'duplicate confirmed', rememberMinutes: 60 },
      ],
      [
        {
          agent_name: 'ResearchBot',
          scope: 'send:email',
          function_name: 'MailService.sendEmail',
          description: 'Email 312 customers about the outage',
        },
        { decision: 'deny', reason: 'needs legal review' },
      ],
    ];
    for (const [request, decision] of decided) {
      const id = await askApproval(url, apiKey, { ...request, timeout_ms: 600_000 });
      await server.storage.approvals.decide(project.id, id, { ...decision, decidedBy: LOGIN.email });
    }
    await askApproval(url, apiKey, {
      agent_name: 'SupportBot',
      scope: 'write:refunds',
      function_name: 'CustomerService.processRefund',
      description: 'Refund 120 EUR on order o-7',
      timeout_ms: 300_000,
    });
    await askApproval(url, apiKey, {
      agent_name: 'SupportBot',
      scope: 'write:refunds',
      function_name: 'CustomerService.processRefund',
      description: 'Refund 1,450 EUR on order o-9 (over the 500 EUR limit)',
      timeout_ms: 900_000,
    });
    await page.goto(`${base}/approvals`);
    await page.locator('li.approval').nth(1).waitFor();
    await page.locator('tr[data-grant]').first().waitFor();
    await shot('approvals');

    await page.goto('/#/projects');
    await page.getByLabel('New project name').fill('checkout-agents');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByTestId('new-api-key').waitFor();
    await shot('projects');

    await page.goto(`${base}/settings`);
    await page.locator('tr[data-key]').first().waitFor();
    await page.getByRole('button', { name: 'Create read token' }).click();
    await page.locator('.new-key[data-kind="read"]').waitFor();
    await page.locator('tr[data-key^="asr_"]').waitFor();
    await shot('settings');

    const empty = (await server.storage.accounts.findProject('checkout-agents')).id;
    await page.goto(`/#/projects/${empty}/feed`);
    await page.locator('.empty-state').waitFor();
    await shot('empty-state');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/feed`);
    await page.locator('.feed .event-row').first().waitFor();
    await page.screenshot({ path: join(outDir, 'live-feed-phone.png'), animations: 'disabled' });

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${base}/analytics`);
    await page.locator('svg.sparkline').first().waitFor();
    await shot('analytics-dark');
    console.log(`screenshots written to ${outDir}`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main(resolve(process.argv[2] ?? join(__dirname, '..', '..', '..', 'docs', 'images'))).catch((error) => {
  console.error(`screenshots: ${error.stack ?? error.message}`);
  process.exit(1);
});
