import type { Page } from 'playwright-core';
import { logIn, startDashboardRig, type DashboardRig } from './dashboard-harness';

/**
 * The Settings page's Slack and Webhook cards in a real Chromium against a real server:
 * connect, see only the last 4 characters of each secret, replace, disconnect.
 */
jest.setTimeout(90_000);

let rig: DashboardRig;
let page: Page;
let projectId = '';

beforeAll(async () => {
  rig = await startDashboardRig();
  projectId = (await rig.server.admin.createProject('support-desk')).project.id;
  page = await (await rig.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  await logIn(page);
  await page.locator('.user').waitFor({ state: 'attached' });
  await page.goto(`/#/projects/${projectId}/settings`);
});

afterAll(async () => {
  await rig?.close();
});

describe('Settings → Slack', () => {
  const card = () => page.locator('[data-integration="slack"]');

  test("a bad bot token is refused with the server's message naming the field", async () => {
    await card().getByLabel('Bot token').fill('xoxp-a-user-token-not-a-bot');
    await card().getByLabel('Signing secret').fill('0123456789abcdef0123');
    await card().getByLabel('Channel').fill('#approvals');
    await card().getByRole('button', { name: 'Connect' }).click();

    await card().getByRole('alert').filter({ hasText: 'bot_token' }).waitFor();
    expect(await rig.server.storage.integrations.get(projectId, 'slack')).toBeUndefined();
  });

  test('connecting shows the connection with the token by its last 4 characters only', async () => {
    await card().getByLabel('Bot token').fill('xoxb-1111-2222-a-bot-token-wxyz');
    await card().getByRole('button', { name: 'Connect' }).click();

    const status = page.getByTestId('slack-status');
    await status.getByText('Connected', { exact: true }).waitFor();
    const shown = (await status.textContent()) ?? '';
    expect(shown).toContain('#approvals');
    expect(shown).toContain('…wxyz');
    expect(shown).not.toContain('xoxb-1111');
    expect((await rig.server.storage.integrations.get(projectId, 'slack'))?.config).toEqual({
      mode: 'http',
      botToken: 'xoxb-1111-2222-a-bot-token-wxyz',
      signingSecret: '0123456789abcdef0123',
      channel: '#approvals',
    });
  });

  test('Socket Mode asks for the app-level token instead of the signing secret', async () => {
    await card().getByLabel('Mode').selectOption('socket');
    expect(await card().getByLabel('Signing secret').isVisible()).toBe(false);
    await card().getByLabel('App-level token').fill('xapp-1-A0123-an-app-level-token');
    await card().getByLabel('Bot token').fill('xoxb-1111-2222-a-bot-token-wxyz');
    await card().getByRole('button', { name: 'Replace' }).click();

    await page.getByTestId('slack-status').getByText('Socket Mode').waitFor();
    expect((await rig.server.storage.integrations.get(projectId, 'slack'))?.config.appToken).toBe(
      'xapp-1-A0123-an-app-level-token',
    );
  });

  test('Disconnect removes it', async () => {
    await card().getByRole('button', { name: 'Disconnect' }).click();

    await page.getByTestId('slack-status').getByText('Not connected').waitFor();
    expect(await rig.server.storage.integrations.get(projectId, 'slack')).toBeUndefined();
  });
});

describe('Settings → Webhook', () => {
  const card = () => page.locator('[data-integration="webhook"]');

  test('a URL without a secret gets one made, shown once, then only its last 4 characters', async () => {
    await card().getByLabel('URL').fill('https://hooks.example.com/agentsudo');
    await card().getByRole('button', { name: 'Connect' }).click();

    const secret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    expect((await rig.server.storage.integrations.get(projectId, 'webhook'))?.config).toEqual({
      url: 'https://hooks.example.com/agentsudo',
      secret,
    });
    const status = page.getByTestId('webhook-status');
    await status.getByText('Connected', { exact: true }).waitFor();
    expect(await status.textContent()).toContain(`…${secret.slice(-4)}`);

    await page.reload();
    await page.getByTestId('webhook-status').getByText('Connected', { exact: true }).waitFor();
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);
  });

  test('a loopback URL is refused with the reason', async () => {
    await card().getByLabel('URL').fill('http://127.0.0.1:8080/hook');
    await card().getByRole('button', { name: 'Replace' }).click();

    await card().getByRole('alert').filter({ hasText: 'loopback or private address' }).waitFor();
  });

  test('Disconnect removes it', async () => {
    await card().getByRole('button', { name: 'Disconnect' }).click();

    await page.getByTestId('webhook-status').getByText('Not connected').waitFor();
    expect(await rig.server.storage.integrations.get(projectId, 'webhook')).toBeUndefined();
  });
});
