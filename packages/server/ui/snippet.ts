import { api } from './api';
import { h, replaceChildren } from './dom';
import { notice } from './layout';
import { state } from './state';

/**
 * Copies text to the clipboard. The Clipboard API needs a secure context (https or
 * localhost); a dashboard opened over plain http on a LAN address falls back to a hidden
 * text area and the older copy command.
 *
 * @example
 * ```ts
 * if (await copyText(apiKey)) button.textContent = 'Copied';
 * ```
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' }, text);
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/**
 * A button that copies `text` and says so.
 *
 * @example
 * ```ts
 * row.append(copyButton(apiKey, 'Copy key'));
 * ```
 */
export function copyButton(text: string, label = 'Copy'): HTMLButtonElement {
  const button: HTMLButtonElement = h(
    'button',
    {
      type: 'button',
      class: 'copy',
      onclick: async () => {
        const ok = await copyText(text);
        button.textContent = ok ? 'Copied ✓' : 'Select and copy manually';
        setTimeout(() => (button.textContent = label), 2000);
      },
    },
    label,
  );
  return button;
}

/**
 * A block of code with a copy button.
 *
 * @example
 * ```ts
 * card.append(codeBlock(cloudSnippet(apiKey), 'setup code'));
 * ```
 */
export function codeBlock(code: string, label: string): HTMLElement {
  return h(
    'div',
    { class: 'code-block' },
    h('pre', { tabindex: '0', 'aria-label': label }, h('code', {}, code)),
    copyButton(code),
  );
}

/**
 * The code that sends a project's checks here: this dashboard's own address and, when it
 * was just created in this tab, the project's real key.
 *
 * @example
 * ```ts
 * cloudSnippet('as_abc'); // "import { configureCloud } from 'agentsudo'; …"
 * ```
 */
export function cloudSnippet(apiKey: string | undefined): string {
  const endpoint = location.origin;
  const key = apiKey ? `'${apiKey}'` : 'process.env.AGENTSUDO_API_KEY';
  return [
    "import { configureCloud } from 'agentsudo';",
    '',
    'configureCloud({',
    `  endpoint: '${endpoint}',`,
    `  apiKey: ${key},`,
    '});',
  ].join('\n');
}

/**
 * Shell commands that read a project with a read token: its latest events from the read
 * API, and the whole log exported as CSV and as JSON Lines. A read token cannot send
 * checks (the ingest API answers 403), so this is what a read token's card shows.
 *
 * @example
 * ```ts
 * readSnippet('prj_1', 'asr_abc'); // "curl -H 'Authorization: Bearer asr_abc' …/events?limit=20 …"
 * ```
 */
export function readSnippet(projectId: string, token: string): string {
  const base = `${location.origin}/api/projects/${encodeURIComponent(projectId)}`;
  // Single quotes: nothing in the token, the origin or the path is read by the shell.
  const auth = `-H 'Authorization: Bearer ${token}'`;
  return [
    '# The latest 20 events, newest first (JSON)',
    `curl ${auth} '${base}/events?limit=20'`,
    '',
    '# The whole audit log, as CSV and as JSON Lines',
    `curl ${auth} -o agentsudo-audit.csv '${base}/export?format=csv'`,
    `curl ${auth} -o agentsudo-audit.jsonl '${base}/export?format=jsonl'`,
  ].join('\n');
}

/**
 * What a project with no events yet shows: how to send the first ones.
 *
 * @example
 * ```ts
 * replaceChildren(body, setupSteps(state.newKeys.get(projectId), 'as_Jx3q9Kd0'));
 * ```
 */
export function setupSteps(apiKey: string | undefined, keyPrefix?: string): HTMLElement {
  return h(
    'section',
    { class: 'card empty-state', 'aria-labelledby': 'setup-title' },
    h('h2', { id: 'setup-title' }, 'No permission checks yet'),
    h(
      'p',
      {},
      'Send this project’s checks here with cloud mode. Add this where your agents start, then call any ',
      h('code', {}, '@Sudo'),
      ' method: the check shows up on this page within a second.',
    ),
    codeBlock(cloudSnippet(apiKey), 'configureCloud setup code'),
    apiKey
      ? h(
          'p',
          { class: 'muted' },
          'This key is shown only while this tab is open. Keep it in a secret store.',
        )
      : h(
          'p',
          { class: 'muted' },
          'Set ',
          h('code', {}, 'AGENTSUDO_API_KEY'),
          keyPrefix ? ` to this project’s key (it starts with ${keyPrefix}…)` : ' to this project’s key',
          '. Lost it? Rotate the key in Settings to get a new one.',
        ),
  );
}

/**
 * The setup steps for a project with no events at all, as every page shows them: the key
 * just created in this tab if there is one, else the start of the project's active ingest
 * key, looked up so the user knows which key to set. Returns at once; the key guidance
 * fills in when the lookup answers (a page that gets events meanwhile just drops it).
 *
 * @example
 * ```ts
 * if (page.events.length === 0) replaceChildren(slot, projectSetupSteps(projectId));
 * ```
 */
export function projectSetupSteps(projectId: string): HTMLElement {
  const fresh = state.newKeys.get(projectId);
  const slot = h('div', {}, fresh ? setupSteps(fresh) : notice('loading', 'Looking up this project’s key…'));
  if (fresh) return slot;
  void api
    .keys(projectId)
    .then(({ keys }) => {
      const active = keys.find((k) => k.kind === 'ingest' && !k.revoked_at);
      replaceChildren(slot, setupSteps(undefined, active?.prefix));
    })
    .catch(() => replaceChildren(slot, setupSteps(undefined)));
  return slot;
}
