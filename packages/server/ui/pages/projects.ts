import { api, type Project } from '../api';
import { field, h, replaceChildren } from '../dom';
import { notice, pageHeader } from '../layout';
import type { Page } from '../router';
import { codeBlock, cloudSnippet, copyButton, readSnippet } from '../snippet';
import { state } from '../state';
import { formatTime } from '../format';

/**
 * The panel that shows a brand-new key: the only time the full key is ever visible. An
 * ingest key comes with the code that sends checks with it; a read token with the
 * commands that read events and exports with it (it cannot send).
 *
 * @example
 * ```ts
 * replaceChildren(slot, newKeyPanel(project.id, apiKey, 'Project created'));
 * replaceChildren(slot, newKeyPanel(project.id, token, 'New read token', 'read'));
 * ```
 */
export function newKeyPanel(
  projectId: string,
  apiKey: string,
  title: string,
  kind: 'ingest' | 'read' = 'ingest',
): HTMLElement {
  const use =
    kind === 'read'
      ? [
          h(
            'p',
            {},
            'Read this project’s events and exports with it, from scripts and tools. It cannot send checks: SDKs need the ingest key.',
          ),
          codeBlock(readSnippet(projectId, apiKey), 'curl commands that read events and exports'),
          h(
            'a',
            { class: 'button primary', href: `#/projects/${encodeURIComponent(projectId)}/audit` },
            'Open the audit log →',
          ),
        ]
      : [
          h('p', {}, 'Send checks here with cloud mode:'),
          codeBlock(cloudSnippet(apiKey), 'configureCloud setup code'),
          h(
            'a',
            { class: 'button primary', href: `#/projects/${encodeURIComponent(projectId)}/feed` },
            'Open the live feed →',
          ),
        ];
  return h(
    'section',
    { class: 'card new-key', role: 'region', 'aria-labelledby': 'new-key-title', 'data-kind': kind },
    h('h2', { id: 'new-key-title' }, title),
    h(
      'p',
      {},
      `Copy this ${kind === 'read' ? 'read token' : 'API key'} now. It is shown only once; the server keeps only its hash.`,
    ),
    h(
      'div',
      { class: 'key-row' },
      h('code', { class: 'api-key', 'data-testid': 'new-api-key' }, apiKey),
      copyButton(apiKey, 'Copy key'),
    ),
    use,
  );
}

function projectCard(project: Project): HTMLElement {
  const base = `#/projects/${encodeURIComponent(project.id)}`;
  return h(
    'li',
    { class: 'card project-card' },
    h('h2', {}, h('a', { href: `${base}/feed` }, project.name)),
    h('p', { class: 'muted' }, h('code', {}, project.id), ' · created ', formatTime(project.created_at)),
    h(
      'p',
      { class: 'links' },
      h('a', { href: `${base}/feed` }, 'Live feed'),
      h('a', { href: `${base}/analytics` }, 'Analytics'),
      h('a', { href: `${base}/audit` }, 'Audit log'),
      h('a', { href: `${base}/agents` }, 'Agents'),
      h('a', { href: `${base}/settings` }, 'Settings'),
    ),
  );
}

/**
 * The project picker: every project, and a form to create one (which shows its first key).
 *
 * @example
 * ```ts
 * router.add('/projects', projectsPage);
 * ```
 */
export const projectsPage: Page = (main) => {
  const list = h('ul', { class: 'project-list' });
  const created = h('div');
  const name = h('input', { name: 'name', required: true, maxlength: '100', placeholder: 'checkout-agents' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'card inline-form',
      'aria-label': 'Create a project',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        error.textContent = '';
        try {
          const { project, api_key } = await api.createProject(name.value.trim());
          state.newKeys.set(project.id, api_key);
          state.projects = (await api.projects()).projects;
          name.value = '';
          replaceChildren(created, newKeyPanel(project.id, api_key, `Project “${project.name}” created`));
          drawList();
          created.querySelector('button')?.focus();
        } catch (err) {
          error.textContent = (err as Error).message;
        }
      },
    },
    field('New project name', name),
    h('button', { type: 'submit', class: 'primary' }, 'Create project'),
    error,
  );

  function drawList(): void {
    replaceChildren(
      list,
      state.projects.length === 0
        ? h(
            'li',
            {},
            notice('empty', 'No projects yet. Create one: each project gets its own API key and events.'),
          )
        : state.projects.map(projectCard),
    );
  }

  replaceChildren(main, pageHeader('Projects'), created, form, list);
  drawList();
  void api
    .projects()
    .then(({ projects }) => {
      state.projects = projects;
      drawList();
    })
    .catch((err: Error) => replaceChildren(list, notice('error', err.message)));
};
