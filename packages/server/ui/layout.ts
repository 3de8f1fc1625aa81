import { api } from './api';
import { stopWatchingApprovals, watchApprovals } from './approval-watch';
import { h, options, replaceChildren } from './dom';
import { go } from './router';
import { state } from './state';
import { setTimeZoneChoice, timeZoneChoice, type TimeZoneChoice } from './time-zone';

/**
 * The sections of a project, in navigation order.
 *
 * @example
 * ```ts
 * SECTIONS.map(([id, label]) => h('a', { href: `#/projects/${p}/${id}` }, label));
 * ```
 */
export const SECTIONS: ReadonlyArray<readonly [string, string]> = [
  ['feed', 'Live feed'],
  ['approvals', 'Approvals'],
  ['analytics', 'Analytics'],
  ['audit', 'Audit log'],
  ['agents', 'Agents'],
  ['settings', 'Settings'],
];

/** Stops the nav badge of the frame drawn before, so a page swap does not pile listeners up. */
let stopBadge: (() => void) | undefined;

/**
 * The Approvals tab's badge: how many requests wait for a decision, kept live from the
 * project's feed, and hidden when none do.
 */
function pendingBadge(projectId: string): HTMLElement {
  const badge = h('span', { class: 'nav-count', 'data-testid': 'pending-count', hidden: true });
  stopBadge?.();
  stopBadge = watchApprovals(projectId, (pending) => {
    replaceChildren(
      badge,
      pending > 99 ? '99+' : String(pending),
      h('span', { class: 'visually-hidden' }, ' pending'),
    );
    badge.hidden = pending === 0;
  });
  return badge;
}

/**
 * The signed-in frame: brand, project picker, the time zone switch (local or UTC), section
 * navigation (the Approvals tab with its live pending count), the user and a logout button,
 * and the `main` element the page draws into.
 *
 * @example
 * ```ts
 * const { root, main } = shell({ project: 'prj_1' }, 'feed');
 * ```
 */
export function shell(
  params: Record<string, string>,
  section: string,
): { root: HTMLElement; main: HTMLElement } {
  const projectId = params.project;
  const picker = h(
    'select',
    {
      'aria-label': 'Project',
      class: 'project-picker',
      onchange: (e: Event) => {
        const value = (e.target as HTMLSelectElement).value;
        go(value ? `/projects/${encodeURIComponent(value)}/${section || 'feed'}` : '/projects');
      },
    },
    options([['', 'All projects…'], ...state.projects.map((p) => [p.id, p.name] as const)], projectId ?? ''),
  );
  stopBadge?.();
  stopBadge = undefined;
  if (!projectId) stopWatchingApprovals();
  const nav = projectId
    ? h(
        'nav',
        { class: 'sections', 'aria-label': 'Project sections' },
        SECTIONS.map(([id, label]) =>
          h(
            'a',
            {
              href: `#/projects/${encodeURIComponent(projectId)}/${id}`,
              'aria-current': id === section ? 'page' : null,
              'data-section': id,
            },
            label,
            id === 'approvals' ? pendingBadge(projectId) : null,
          ),
        ),
      )
    : null;
  const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zone = h(
    'select',
    {
      'aria-label': 'Time zone',
      title: localZone ? `Local time is ${localZone}` : null,
      class: 'zone-picker',
      onchange: (e: Event) => {
        setTimeZoneChoice((e.target as HTMLSelectElement).value as TimeZoneChoice);
        // Draw the page again in the new zone, at the same address.
        go(location.hash.slice(1));
      },
    },
    options(
      [
        ['local', 'Local time'],
        ['utc', 'UTC'],
      ],
      timeZoneChoice(),
    ),
  );
  const logout = h(
    'button',
    {
      type: 'button',
      class: 'ghost',
      onclick: async () => {
        stopWatchingApprovals();
        await api.logout().catch(() => undefined);
        state.user = undefined;
        state.newKeys.clear();
        go('/login');
      },
    },
    'Log out',
  );
  const main = h('main', { id: 'main', tabindex: '-1' });
  const root = h(
    'div',
    { class: 'shell' },
    h(
      'header',
      { class: 'topbar' },
      h(
        'a',
        { class: 'brand', href: '#/projects' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '✓'),
        'AgentSudo',
      ),
      picker,
      h('div', { class: 'spacer' }),
      zone,
      h('span', { class: 'user', title: 'Signed in as' }, state.user?.email ?? ''),
      logout,
    ),
    nav,
    main,
  );
  return { root, main };
}

/**
 * A page heading with optional actions on the right.
 *
 * @example
 * ```ts
 * pageHeader('Audit log', exportCsvLink, exportJsonLink);
 * ```
 */
export function pageHeader(title: string, ...actions: Array<HTMLElement | null>): HTMLElement {
  return h('div', { class: 'page-header' }, h('h1', {}, title), h('div', { class: 'actions' }, actions));
}

/**
 * A message in place of content: loading, an error, or nothing yet.
 *
 * @example
 * ```ts
 * replaceChildren(body, notice('loading', 'Loading agents…'));
 * ```
 */
export function notice(kind: 'loading' | 'error' | 'empty', text: string): HTMLElement {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}
