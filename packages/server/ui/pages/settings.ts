import { api, type ApiKey } from '../api';
import { h, replaceChildren } from '../dom';
import { formatTime } from '../format';
import { notice, pageHeader } from '../layout';
import type { Page } from '../router';
import { state, projectName } from '../state';
import { slackCard, webhookCard } from './integrations';
import { newKeyPanel } from './projects';

/**
 * Project settings: the project's keys (prefix, kind, status), rotating the ingest key
 * (a new key, the old ones revoked), issuing read tokens for scripts, and revoking keys;
 * the Slack and webhook connections of approvals.
 *
 * @example
 * ```ts
 * router.add('/projects/:project/settings', settingsPage);
 * ```
 */
export const settingsPage: Page = (main, { project }) => {
  const created = h('div');
  const error = h('p', { class: 'form-error', role: 'alert' });
  const rows = h('tbody');

  async function act(work: () => Promise<void>): Promise<void> {
    error.textContent = '';
    try {
      await work();
      await drawKeys();
    } catch (err) {
      error.textContent = (err as Error).message;
    }
  }

  function showNew(apiKey: string, title: string, kind: 'ingest' | 'read'): void {
    replaceChildren(created, newKeyPanel(project, apiKey, title, kind));
    created.querySelector('button')?.focus();
  }

  const rotate = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      onclick: () =>
        act(async () => {
          if (
            !confirm(
              'Rotate the ingest key? Apps using the current key stop delivering until they use the new one.',
            )
          )
            return;
          const { api_key } = await api.rotateKey(project);
          state.newKeys.set(project, api_key);
          showNew(api_key, 'New ingest key', 'ingest');
        }),
    },
    'Rotate ingest key',
  );
  const readToken = h(
    'button',
    {
      type: 'button',
      onclick: () =>
        act(async () => {
          const { api_key } = await api.createReadToken(project);
          showNew(api_key, 'New read token', 'read');
        }),
    },
    'Create read token',
  );

  function keyRow(key: ApiKey): HTMLTableRowElement {
    const revoke = key.revoked_at
      ? null
      : h(
          'button',
          {
            type: 'button',
            class: 'danger',
            'aria-label': `Revoke key ${key.prefix}`,
            onclick: () =>
              act(async () => {
                if (!confirm(`Revoke ${key.prefix}…? Requests with it are refused at once.`)) return;
                await api.revokeKey(project, key.id);
              }),
          },
          'Revoke',
        );
    return h(
      'tr',
      { 'data-key': key.prefix },
      h('td', {}, h('code', {}, `${key.prefix}…`)),
      h('td', {}, key.kind === 'ingest' ? 'Ingest (SDKs)' : 'Read (scripts)'),
      h('td', {}, formatTime(key.created_at)),
      h(
        'td',
        {},
        key.revoked_at
          ? h('span', { class: 'badge badge-denied' }, `Revoked ${formatTime(key.revoked_at)}`)
          : h('span', { class: 'badge badge-allowed' }, 'Active'),
      ),
      h('td', {}, revoke),
    );
  }

  async function drawKeys(): Promise<void> {
    const { keys } = await api.keys(project);
    replaceChildren(
      rows,
      keys.length ? keys.map(keyRow) : h('tr', {}, h('td', { colspan: '5' }, 'No keys.')),
    );
  }

  replaceChildren(
    main,
    pageHeader(`Settings · ${projectName(project)}`),
    created,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'keys-title' },
      h('h2', { id: 'keys-title' }, 'API keys'),
      h(
        'p',
        { class: 'muted' },
        'Ingest keys let SDKs send checks; read tokens let scripts read events and exports. Only a prefix is kept in clear.',
      ),
      h('div', { class: 'actions' }, rotate, readToken),
      error,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h('caption', { class: 'visually-hidden' }, 'API keys'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Key', 'Kind', 'Created', 'Status', ''].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          rows,
        ),
      ),
    ),
    slackCard(project),
    webhookCard(project),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Project'),
      h('p', {}, 'Name: ', h('strong', {}, projectName(project))),
      h('p', {}, 'Id: ', h('code', {}, project)),
    ),
  );
  drawKeys().catch((err: Error) =>
    replaceChildren(rows, h('tr', {}, h('td', { colspan: '5' }, notice('error', err.message)))),
  );
};
