import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { logIn, startDashboardRig, type DashboardRig } from './dashboard-harness';

jest.setTimeout(60_000);

let rig: DashboardRig;
let page: Page;
let projectId = '';

beforeAll(async () => {
  rig = await startDashboardRig();
  const created = await rig.server.admin.createProject('support-desk');
  projectId = created.project.id;
  const sent = await fetch(`${rig.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': created.apiKey },
    body: JSON.stringify([
      {
        timestamp: new Date().toISOString(),
        agent_name: 'SupportBot',
        action: 'permission_check',
        scope: 'write:refunds',
        allowed: false,
        function_name: 'CustomerService.processRefund',
      },
    ]),
  });
  expect(sent.status).toBe(200);
  page = await (await rig.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  await logIn(page);
  await page.locator('.user').waitFor({ state: 'attached' });
});

afterAll(async () => {
  await rig?.close();
});

/** Runs one line of the card's commands in a shell, in the test's folder; resolves with its output. */
function run(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { cwd: rig.dir, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} failed (${error.message}): ${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('Settings → Create read token', () => {
  let token = '';
  let commands: string[] = [];

  test('shows how to read with the token, never to send checks with it', async () => {
    await page.goto(`/#/projects/${projectId}/settings`);
    await page.getByRole('button', { name: 'Create read token' }).click();
    const card = page.locator('.new-key');
    await card.getByRole('heading', { name: 'New read token' }).waitFor();
    token = (await page.getByTestId('new-api-key').textContent()) ?? '';
    expect(token).toMatch(/^asr_/);

    const text = (await card.textContent()) ?? '';
    expect(text).not.toContain('Send checks here');
    expect(text).not.toContain('configureCloud');
    expect(text).not.toContain('apiKey:');
    expect(text).toContain('It cannot send checks');

    const code = (await card.locator('pre').textContent()) ?? '';
    commands = code.split('\n').filter((line) => line.startsWith('curl '));
    expect(commands).toHaveLength(3);
    for (const command of commands) expect(command).toContain(`Authorization: Bearer ${token}`);
    expect(commands[0]).toContain(`${rig.url}/api/projects/${projectId}/events`);
    expect(commands[1]).toContain(`${rig.url}/api/projects/${projectId}/export?format=csv`);
    expect(commands[2]).toContain(`${rig.url}/api/projects/${projectId}/export?format=jsonl`);
  });

  test('the commands shown work as written: the events, then the CSV and JSON Lines exports', async () => {
    const listing = JSON.parse(await run(commands[0])) as { events: Array<{ function_name: string }> };
    expect(listing.events.map((e) => e.function_name)).toEqual(['CustomerService.processRefund']);
    await run(commands[1]);
    const csv = readFileSync(join(rig.dir, 'agentsudo-audit.csv'), 'utf8').trim().split('\r\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain('CustomerService.processRefund');
    await run(commands[2]);
    const jsonl = readFileSync(join(rig.dir, 'agentsudo-audit.jsonl'), 'utf8').trim().split('\n');
    expect(jsonl.map((line) => JSON.parse(line).scope)).toEqual(['write:refunds']);
  });

  test('a new ingest key still shows how to send checks with it', async () => {
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Rotate ingest key' }).click();
    const card = page.locator('.new-key');
    await card.getByRole('heading', { name: 'New ingest key' }).waitFor();
    expect(await card.textContent()).toContain('Send checks here with cloud mode');
    expect(await card.locator('pre').textContent()).toContain('configureCloud');
  });
});
