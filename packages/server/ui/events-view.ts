import type { ApiEvent } from './api';
import { h } from './dom';
import { formatTime, outcomeLabel, outcomeOf, reasonLabel } from './format';
import { outcomeIcon } from './icons';
import { go } from './router';

/**
 * An outcome badge: icon and word, so colour is never the only signal.
 *
 * @example
 * ```ts
 * cell.append(outcomeBadge(event)); // ✅ Allowed / ❌ Denied / ⚠ Audit
 * ```
 */
export function outcomeBadge(event: ApiEvent): HTMLElement {
  const outcome = outcomeOf(event);
  return h('span', { class: `badge badge-${outcome}` }, outcomeIcon(outcome), outcomeLabel(outcome));
}

/**
 * Why a call was refused, as a chip beside the outcome; nothing when the event has no
 * reason (the server gives every denial one: `scope` when its SDK sent none).
 *
 * @example
 * ```ts
 * cell.append(outcomeBadge(event), reasonChip(event) ?? '');
 * ```
 */
export function reasonChip(event: ApiEvent): HTMLElement | null {
  if (!event.reason) return null;
  return h(
    'span',
    { class: 'chip chip-reason', 'data-reason': event.reason, title: `Reason: ${event.reason}` },
    reasonLabel(event.reason),
  );
}

/**
 * Which approval an event is a step of and who decided it, as short text; nothing on
 * events that are not approval steps.
 *
 * @example
 * ```ts
 * approvalNote({ approval_id: 'apr_1', decided_by: 'ops@example.com', … }); // approval apr_1 · by ops@example.com
 * ```
 */
export function approvalNote(event: ApiEvent): HTMLElement | null {
  if (!event.approval_id && !event.decided_by) return null;
  return h(
    'span',
    { class: 'approval muted', 'data-approval-id': event.approval_id ?? '' },
    event.approval_id ? [' · approval ', h('code', {}, event.approval_id)] : null,
    event.decided_by ? [' · by ', h('span', { class: 'decided-by' }, event.decided_by)] : null,
  );
}

/**
 * One event as a feed entry.
 *
 * @example
 * ```ts
 * feedList.prepend(feedRow(event));
 * ```
 */
export function feedRow(event: ApiEvent): HTMLElement {
  const outcome = outcomeOf(event);
  return h(
    'li',
    {
      class: `event-row openable outcome-${outcome}`,
      tabindex: '0',
      title: 'Open this event',
      'data-event-id': event.event_id,
      'data-outcome': outcome,
    },
    outcomeBadge(event),
    h(
      'span',
      { class: 'event-main' },
      h('strong', { class: 'agent' }, event.agent_name),
      ' ',
      event.function_name ? h('code', { class: 'function' }, `${event.function_name}()`) : null,
      event.scope ? h('span', { class: 'scope' }, ' needs ', h('code', {}, event.scope)) : null,
      reasonChip(event),
      event.action !== 'permission_check' ? h('span', { class: 'action muted' }, ` · ${event.action}`) : null,
      approvalNote(event),
    ),
    h('time', { datetime: event.timestamp, class: 'muted' }, formatTime(event.timestamp, { fraction: true })),
  );
}

/**
 * One event as an audit-log table row.
 *
 * @example
 * ```ts
 * tbody.append(...page.events.map(auditRow));
 * ```
 */
export function auditRow(event: ApiEvent): HTMLTableRowElement {
  const outcome = outcomeOf(event);
  return h(
    'tr',
    {
      class: `openable outcome-${outcome}`,
      tabindex: '0',
      title: 'Open this event',
      'data-event-id': event.event_id,
      'data-outcome': outcome,
    },
    h('td', {}, h('time', { datetime: event.timestamp }, formatTime(event.timestamp, { fraction: true }))),
    h('td', { class: 'outcome-cell' }, outcomeBadge(event), reasonChip(event)),
    h('td', {}, event.agent_name),
    h('td', {}, event.scope ? h('code', {}, event.scope) : '—'),
    h('td', {}, event.function_name ? h('code', {}, event.function_name) : '—'),
    h('td', {}, event.action, approvalNote(event)),
    h('td', { class: 'muted session', title: event.session_id ?? '' }, event.session_id?.slice(0, 8) ?? ''),
  );
}

/**
 * The address of one event's page.
 *
 * @example
 * ```ts
 * h('a', { href: `#${eventPath('prj_1', event.event_id)}` }, 'Open');
 * ```
 */
export function eventPath(projectId: string, eventId: string): string {
  return `/projects/${encodeURIComponent(projectId)}/events/${encodeURIComponent(eventId)}`;
}

/**
 * Opens an event's page when one of the rows inside `container` (built by {@link feedRow} or
 * {@link auditRow}) is clicked, or focused and Enter pressed. One listener for all rows, so
 * rows added later open too.
 *
 * @example
 * ```ts
 * openEventsFrom(list, projectId);
 * ```
 */
export function openEventsFrom(container: HTMLElement, projectId: string): void {
  const open = (target: EventTarget | null) => {
    const row = (target as Element | null)?.closest<HTMLElement>('.openable[data-event-id]');
    if (row && container.contains(row)) go(eventPath(projectId, row.dataset.eventId!));
  };
  container.addEventListener('click', (e) => {
    // Selecting text in a row (to copy a scope, say) is not a request to open it.
    if (!window.getSelection()?.isCollapsed) return;
    open(e.target);
  });
  container.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.target as Element).matches('.openable')) {
      e.preventDefault();
      open(e.target);
    }
  });
}
