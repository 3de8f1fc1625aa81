import { api, type Integration, type IntegrationKind } from '../api';
import { h, replaceChildren } from '../dom';
import { formatTime } from '../format';
import { notice } from '../layout';

let fieldIds = 0;

/** A labelled input in the page's `.field` style. */
function field(
  label: string,
  name: string,
  options: { type?: string; placeholder?: string; hint?: string; required?: boolean } = {},
): { element: HTMLElement; input: HTMLInputElement } {
  const id = `integration-${name}-${++fieldIds}`;
  const input = h('input', {
    id,
    name,
    type: options.type ?? 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: options.placeholder ?? '',
  });
  input.required = options.required ?? true;
  return {
    input,
    element: h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      input,
      options.hint ? h('small', {}, options.hint) : null,
    ),
  };
}

/**
 * One integration's card: what is connected (secrets by their last 4 characters), a form to
 * connect or replace it, and Disconnect. `form` builds the fields and reads them into the
 * body of the PUT; `summary` describes a connection.
 */
function integrationCard(
  project: string,
  kind: IntegrationKind,
  title: string,
  intro: string,
  form: () => { fields: HTMLElement[]; body: () => Record<string, string> },
  summary: (i: Integration) => Array<HTMLElement | string>,
): HTMLElement {
  const titleId = `${kind}-title`;
  const status = h('div', { 'data-testid': `${kind}-status` });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const shownOnce = h('div');
  const { fields, body } = form();
  const connect = h('button', { type: 'submit', class: 'primary' }, 'Connect');
  const disconnect = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: () =>
        act(async () => {
          if (!confirm(`Disconnect ${title}? Approval requests stop going there at once.`)) return;
          await api.disconnectIntegration(project, kind);
        }),
    },
    'Disconnect',
  );

  async function act(work: () => Promise<Integration | void>): Promise<void> {
    error.textContent = '';
    replaceChildren(shownOnce);
    connect.disabled = true;
    try {
      const answer = await work();
      if (answer && answer.secret_shown_once && answer.secret)
        replaceChildren(
          shownOnce,
          h(
            'p',
            { class: 'notice' },
            'The signing secret, shown only now: ',
            h('code', { 'data-testid': `${kind}-secret` }, answer.secret),
          ),
        );
      await draw();
    } catch (err) {
      error.textContent = (err as Error).message;
    } finally {
      connect.disabled = false;
    }
  }

  async function draw(): Promise<void> {
    const now = await api.integration(project, kind);
    disconnect.hidden = !now.connected;
    connect.textContent = now.connected ? 'Replace' : 'Connect';
    replaceChildren(
      status,
      now.connected
        ? h(
            'p',
            {},
            h('span', { class: 'badge badge-allowed' }, 'Connected'),
            ' ',
            ...summary(now),
            ` · by ${now.updated_by ?? '?'} ${now.updated_at ? formatTime(now.updated_at) : ''}`,
          )
        : h('p', {}, h('span', { class: 'badge' }, 'Not connected')),
    );
  }

  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': titleId, 'data-integration': kind },
    h('h2', { id: titleId }, title),
    h('p', { class: 'muted' }, intro),
    status,
    shownOnce,
    h(
      'form',
      {
        'aria-label': `Connect ${title}`,
        onsubmit: (e: Event) => {
          e.preventDefault();
          void act(() => api.connectIntegration(project, kind, body()));
        },
      },
      ...fields,
      error,
      h('div', { class: 'actions' }, connect, disconnect),
    ),
  );
  draw().catch((err: Error) => replaceChildren(status, notice('error', err.message)));
  return section;
}

/**
 * The Settings card that connects a project to Slack (bot token, signing secret or Socket
 * Mode app token, channel) or disconnects it.
 *
 * @example
 * ```ts
 * main.append(slackCard(projectId));
 * ```
 */
export function slackCard(project: string): HTMLElement {
  return integrationCard(
    project,
    'slack',
    'Slack',
    'Approval requests are posted to a channel with Approve and Deny buttons; people whose Slack email is a dashboard login may decide. Set-up: docs/approvals.md#slack.',
    () => {
      const mode = h(
        'select',
        { id: 'slack-mode', name: 'mode' },
        h('option', { value: 'http' }, 'Interactivity URL (/api/slack/interactions)'),
        h('option', { value: 'socket' }, 'Socket Mode (no public URL)'),
      );
      const bot = field('Bot token', 'bot_token', { type: 'password', placeholder: 'xoxb-…' });
      const signing = field('Signing secret', 'signing_secret', { type: 'password' });
      const app = field('App-level token', 'app_token', { type: 'password', placeholder: 'xapp-…' });
      const channel = field('Channel', 'channel', { placeholder: 'C0123ABCD or #approvals' });
      const showMode = () => {
        const socket = mode.value === 'socket';
        signing.element.hidden = socket;
        signing.input.required = !socket;
        app.element.hidden = !socket;
        app.input.required = socket;
      };
      mode.addEventListener('change', showMode);
      showMode();
      return {
        fields: [
          h('div', { class: 'field' }, h('label', { for: 'slack-mode' }, 'Mode'), mode),
          bot.element,
          signing.element,
          app.element,
          channel.element,
        ],
        body: () => ({
          mode: mode.value,
          bot_token: bot.input.value.trim(),
          channel: channel.input.value.trim(),
          ...(mode.value === 'socket'
            ? { app_token: app.input.value.trim() }
            : { signing_secret: signing.input.value.trim() }),
        }),
      };
    },
    (i) => [
      h('span', {}, `${i.mode === 'socket' ? 'Socket Mode' : 'Interactivity URL'} · channel `),
      h('code', {}, i.channel ?? ''),
      h('span', {}, ` · bot token `),
      h('code', {}, i.bot_token ?? ''),
    ],
  );
}

/**
 * The Settings card that sends approval requests to a webhook URL, signed, or stops it.
 *
 * @example
 * ```ts
 * main.append(webhookCard(projectId));
 * ```
 */
export function webhookCard(project: string): HTMLElement {
  return integrationCard(
    project,
    'webhook',
    'Webhook',
    'Each approval request is POSTed as signed JSON to this URL (X-AgentSudo-Signature; see docs/approvals.md#webhook). Leave the secret empty and one is made for you.',
    () => {
      const url = field('URL', 'url', { type: 'url', placeholder: 'https://ops.example.com/agentsudo' });
      const secret = field('Signing secret', 'secret', {
        type: 'password',
        required: false,
        hint: 'Optional, at least 16 characters.',
      });
      return {
        fields: [url.element, secret.element],
        body: () => ({
          url: url.input.value.trim(),
          ...(secret.input.value ? { secret: secret.input.value } : {}),
        }),
      };
    },
    (i) => [h('code', {}, i.url ?? ''), h('span', {}, ' · secret '), h('code', {}, i.secret ?? '')],
  );
}
