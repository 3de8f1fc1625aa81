import { api, type EventQuery } from '../api';
import { field, h, options, replaceChildren } from '../dom';
import { auditRow, openEventsFrom } from '../events-view';
import type { DenialReason } from '@agentsudo/core';
import { localInputToIso, OUTCOME_FILTERS, REASON_FILTERS, type Outcome } from '../format';
import { notice, pageHeader } from '../layout';
import { go, type Page } from '../router';
import { projectSetupSteps } from '../snippet';

const ACTIONS: ReadonlyArray<readonly [string, string]> = [
  ['', 'Any action'],
  ...[
    'permission_check',
    'audit_violation',
    'approval_granted',
    'approval_denied',
    'session_start',
    'session_end',
    'session_expired',
    'approval_requested',
    'approval_expired',
  ].map((a) => [a, a] as const),
];

const PAGE_SIZE = 50;

/** The form's fields, as kept in the page address (`#/projects/p/audit?outcome=denied`). */
interface AuditForm {
  agent: string;
  scope: string;
  outcome: string;
  reason: string;
  action: string;
  approval_id: string;
  function: string;
  session: string;
  from: string;
  to: string;
  q: string;
}

function formFromHash(): AuditForm {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const get = (k: string) => params.get(k) ?? '';
  return {
    agent: get('agent'),
    scope: get('scope'),
    outcome: get('outcome'),
    reason: get('reason'),
    action: get('action'),
    approval_id: get('approval_id'),
    function: get('function'),
    session: get('session'),
    from: get('from'),
    to: get('to'),
    q: get('q'),
  };
}

/** What the server filters on: the form's fields as the listing's query parameters. */
function toQuery(form: AuditForm): EventQuery {
  const query: EventQuery = {
    agent: form.agent || undefined,
    scope: form.scope || undefined,
    action: form.action || undefined,
    approval_id: form.approval_id || undefined,
    function: form.function || undefined,
    session: form.session || undefined,
    q: form.q || undefined,
    from: localInputToIso(form.from),
    to: localInputToIso(form.to),
  };
  if (form.outcome) query.outcome = form.outcome as Outcome;
  if (form.reason) query.reason = form.reason as DenialReason;
  return query;
}

/**
 * Audit log: every stored event, filtered by the server (agent, scope pattern, outcome,
 * denial reason, action, approval, function, session, time range), searched, paged with a cursor, and exported as CSV or
 * JSON Lines with the same filter.
 *
 * @example
 * ```ts
 * router.add('/projects/:project/audit', auditPage); // filters: #/projects/p/audit?outcome=denied
 * ```
 */
export const auditPage: Page = (main, { project }) => {
  const form = formFromHash();
  const query = toQuery(form);
  const input = (name: keyof AuditForm, props: Record<string, string> = {}) =>
    h('input', { name, value: form[name], autocomplete: 'off', ...props });
  const controls = {
    agent: input('agent', { placeholder: 'SupportBot' }),
    scope: input('scope', { placeholder: 'write:*' }),
    outcome: h('select', { name: 'outcome' }, options(OUTCOME_FILTERS, form.outcome)),
    reason: h('select', { name: 'reason' }, options(REASON_FILTERS, form.reason)),
    action: h('select', { name: 'action' }, options(ACTIONS, form.action)),
    approval_id: input('approval_id', { placeholder: 'exact approval id' }),
    function: input('function', { placeholder: 'processRefund' }),
    session: input('session', { placeholder: 'exact session id' }),
    from: input('from', { type: 'datetime-local', step: '1' }),
    to: input('to', { type: 'datetime-local', step: '1' }),
    q: input('q', { type: 'search', placeholder: 'agent, scope, function, session…' }),
  };
  const filters = h(
    'form',
    {
      class: 'filters audit-filters',
      'aria-label': 'Filter the audit log',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const params = new URLSearchParams();
        for (const [name, el] of Object.entries(controls)) if (el.value) params.set(name, el.value);
        const qs = params.toString();
        go(`/projects/${encodeURIComponent(project)}/audit${qs ? `?${qs}` : ''}`);
      },
    },
    field('Agent', controls.agent),
    field('Scope', controls.scope, 'Wildcards: read:*'),
    field('Outcome', controls.outcome),
    field('Reason', controls.reason),
    field('Action', controls.action),
    field('Approval', controls.approval_id),
    field('Function', controls.function),
    field('Session', controls.session),
    field('From', controls.from),
    field('To', controls.to),
    field('Search', controls.q),
    h(
      'div',
      { class: 'filter-buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
      h('a', { class: 'button ghost', href: `#/projects/${encodeURIComponent(project)}/audit` }, 'Clear'),
    ),
  );

  const rows = h('tbody');
  openEventsFrom(rows, project);
  const summary = h('p', { class: 'muted', role: 'status' }, 'Loading…');
  const more = h('button', { type: 'button', hidden: true }, 'Load older events');
  const setup = h('div');
  const table = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'audit-table' },
      h('caption', { class: 'visually-hidden' }, 'Events, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Time', 'Outcome', 'Agent', 'Scope', 'Function', 'Action', 'Session'].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      rows,
    ),
  );
  let cursor: string | undefined;

  /** Nothing matched: a project with no events at all gets the setup steps instead. */
  async function showEmpty(): Promise<void> {
    const filtered = Object.values(query).some((v) => v !== undefined);
    if (filtered && (await api.events(project, {}, undefined, 1)).events.length > 0) {
      summary.textContent = 'No events match these filters.';
      return;
    }
    summary.textContent = 'This project has no events yet.';
    table.hidden = true;
    replaceChildren(setup, projectSetupSteps(project));
  }

  async function loadPage(): Promise<void> {
    more.disabled = true;
    table.setAttribute('aria-busy', 'true');
    try {
      const page = await api.events(project, query, cursor, PAGE_SIZE);
      rows.append(...page.events.map(auditRow));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      const shown = rows.childElementCount;
      if (shown === 0) return await showEmpty();
      summary.textContent = `${shown} event${shown === 1 ? '' : 's'} shown${form.q ? ` matching “${form.q}”` : ''}${cursor ? '; older events are on the next page' : ''}.`;
    } catch (err) {
      replaceChildren(summary, notice('error', (err as Error).message));
    } finally {
      more.disabled = false;
      table.removeAttribute('aria-busy');
    }
  }
  more.addEventListener('click', () => void loadPage());

  const exportLink = (format: 'csv' | 'jsonl', label: string) =>
    h(
      'a',
      {
        class: 'button',
        href: api.exportUrl(project, query, format),
        download: `agentsudo-audit.${format}`,
        'data-export': format,
      },
      label,
    );

  replaceChildren(
    main,
    pageHeader('Audit log', exportLink('csv', 'Export CSV'), exportLink('jsonl', 'Export JSON Lines')),
    filters,
    summary,
    setup,
    table,
    more,
  );
  void loadPage();
};
