import { api, ApiError, type ApiEvent } from '../api';
import { h, replaceChildren, type Child } from '../dom';
import { outcomeBadge, reasonChip } from '../events-view';
import { formatTime } from '../format';
import { notice, pageHeader } from '../layout';
import type { Page } from '../router';
import { state } from '../state';

/** A time as the viewer reads it, with the exact value the server holds underneath. */
function timeField(iso: string | undefined): Child {
  if (!iso) return null;
  return [
    h('time', { datetime: iso }, formatTime(iso, { fraction: true })),
    h('br'),
    h('code', { class: 'muted exact-time' }, iso),
  ];
}

/** The metadata as indented JSON, inserted as text: it comes from the agent and may hold anything. */
function metadataField(metadata: ApiEvent['metadata']): Child {
  if (metadata === undefined || metadata === null) return null;
  return h(
    'pre',
    { class: 'metadata', tabindex: '0', 'aria-label': 'Metadata' },
    JSON.stringify(metadata, null, 2),
  );
}

/**
 * The fields of one event as a description list, in the order a reader asks about them:
 * what happened, who did it, in which session, and when. Empty fields say so.
 */
function eventFields(project: string, event: ApiEvent): HTMLElement {
  const session = event.session_id
    ? [
        h('code', {}, event.session_id),
        ' ',
        h(
          'a',
          {
            href: `#/projects/${encodeURIComponent(project)}/audit?${new URLSearchParams({ session: event.session_id })}`,
            'data-session-link': '',
          },
          'All events of this session →',
        ),
      ]
    : null;
  const code = (value: string | undefined) => (value ? h('code', {}, value) : null);
  const approval = event.approval_id
    ? [
        h('code', {}, event.approval_id),
        ' ',
        h(
          'a',
          {
            href: `#/projects/${encodeURIComponent(project)}/audit?${new URLSearchParams({ approval_id: event.approval_id })}`,
            'data-approval-link': '',
          },
          'Every step of this approval →',
        ),
      ]
    : null;
  const rows: Array<[string, Child]> = [
    ['Outcome', outcomeBadge(event)],
    ['Reason', reasonChip(event)],
    ['Action', code(event.action)],
    ['Approval', approval],
    ['Decided by', event.decided_by],
    ['Scope', code(event.scope)],
    ['Function', code(event.function_name)],
    ['Agent name', event.agent_name],
    ['Agent id', code(event.agent_id)],
    ['Role', event.role],
    ['Session', session],
    ['Event time', timeField(event.timestamp)],
    ['Received', timeField(event.received_at)],
    ['Event id', code(event.event_id)],
    ['SDK', code(event.sdk)],
    ['Metadata', metadataField(event.metadata)],
  ];
  return h(
    'dl',
    { class: 'event-fields' },
    rows.map(([label, value]) => [
      h('dt', {}, label),
      h(
        'dd',
        { 'data-field': label.toLowerCase().replace(/ /g, '-') },
        value || h('span', { class: 'muted' }, '—'),
      ),
    ]),
  );
}

/**
 * One event in full (`#/projects/:project/events/:event`): outcome, why it was refused,
 * action, the approval it is a step of (linked to its other steps) and who decided it, scope, function,
 * agent, role, session (linked to that session's events in the audit log), both times with
 * their fractions, event id, SDK and the metadata pretty-printed. Opened from a row of the
 * live feed or the audit log; the address works on its own (reload, pasted, bookmarked).
 *
 * @example
 * ```ts
 * router.add('/projects/:project/events/:event', eventPage);
 * ```
 */
export const eventPage: Page = (main, { project, event: eventId }) => {
  const auditLog = `#/projects/${encodeURIComponent(project)}/audit`;
  // Back to where the reader came from (the feed, a filtered audit log), keeping its
  // filters; opened from a pasted address, back to the audit log.
  const back = h(
    'a',
    {
      class: 'button ghost',
      href: auditLog,
      onclick: (e: Event) => {
        if (!state.previousPath) return;
        e.preventDefault();
        history.back();
      },
    },
    state.previousPath ? '← Back' : '← Audit log',
  );
  const body = h('div', { 'aria-busy': 'true' }, notice('loading', 'Loading the event…'));
  replaceChildren(main, pageHeader('Event', back), body);

  api
    .event(project, eventId)
    .then(({ event }) => {
      replaceChildren(
        body,
        h(
          'section',
          { class: 'card event-detail', 'aria-labelledby': 'event-title', 'data-event-id': event.event_id },
          h(
            'h2',
            { id: 'event-title' },
            event.agent_name,
            event.function_name ? [' · ', h('code', {}, `${event.function_name}()`)] : null,
          ),
          eventFields(project, event),
        ),
      );
    })
    .catch((err: Error) => {
      const text =
        err instanceof ApiError && err.status === 404
          ? `${err.message} Find it in the audit log instead.`
          : err.message;
      replaceChildren(body, notice('error', text), h('a', { href: auditLog }, 'Open the audit log'));
    })
    .finally(() => body.removeAttribute('aria-busy'));
};
