import { api, type ApiEvent } from '../api';
import { field, h, options, replaceChildren } from '../dom';
import { feedRow, openEventsFrom } from '../events-view';
import { LIFECYCLE_ACTIONS } from '../../src/outcome';
import { matchesOutcome, OUTCOME_FILTERS, REASON_FILTERS } from '../format';
import { notice, pageHeader } from '../layout';
import { hashQuery, type Page } from '../router';
import { projectSetupSteps } from '../snippet';

/** Entries kept on screen; older ones drop off the bottom (the audit log has them all). */
const MAX_ROWS = 300;

/** Reads the events out of one live-feed message: a single event or a batch. */
function eventsOfMessage(data: string): ApiEvent[] {
  try {
    const parsed = JSON.parse(data) as unknown;
    const list = Array.isArray(parsed) ? parsed : ((parsed as { events?: unknown }).events ?? [parsed]);
    return (list as ApiEvent[]).filter((e) => e && typeof e.event_id === 'string');
  } catch {
    return [];
  }
}

/** The feed's filters, as kept in the page address (`#/projects/p/feed?outcome=denied&reason=budget&sessions=hide`). */
interface FeedFilters {
  agent: string;
  outcome: string;
  /** Why a call was refused; '' for any. */
  reason: string;
  /** Session start and end rows hidden. */
  hideSessions: boolean;
}

function filtersOf(query: URLSearchParams): FeedFilters {
  const outcome = query.get('outcome') ?? '';
  const reason = query.get('reason') ?? '';
  return {
    agent: query.get('agent') ?? '',
    // An outcome or reason the menu does not offer (a hand-edited address) filters nothing.
    outcome: OUTCOME_FILTERS.some(([value]) => value === outcome) ? outcome : '',
    reason: REASON_FILTERS.some(([value]) => value === reason) ? reason : '',
    hideSessions: query.get('sessions') === 'hide',
  };
}

function queryOf(filters: FeedFilters): string {
  const query = new URLSearchParams();
  if (filters.agent) query.set('agent', filters.agent);
  if (filters.outcome) query.set('outcome', filters.outcome);
  if (filters.reason) query.set('reason', filters.reason);
  if (filters.hideSessions) query.set('sessions', 'hide');
  const text = query.toString();
  return text ? `?${text}` : '';
}

/**
 * Live feed: the project's checks as they are ingested (Server-Sent Events), newest on
 * top, with pause/resume, filters by agent, outcome and denial reason, and session start and end rows
 * hidden on request. The filters live in the page address: a reload keeps them, back and
 * forward step through them, and neither reconnects the feed.
 *
 * @example
 * ```ts
 * router.add('/projects/:project/feed', feedPage);
 * ```
 */
export const feedPage: Page = (main, { project }) => {
  const events: ApiEvent[] = [];
  const seen = new Set<string>();
  let paused = false;
  let held: ApiEvent[] = [];

  const agentFilter = h('input', {
    name: 'agent',
    list: 'feed-agents',
    placeholder: 'Any agent',
    autocomplete: 'off',
  });
  const agentList = h('datalist', { id: 'feed-agents' });
  const outcomeFilter = h('select', { name: 'outcome' }, options(OUTCOME_FILTERS, ''));
  const reasonFilter = h('select', { name: 'reason' }, options(REASON_FILTERS, ''));
  const hideSessions = h('input', { type: 'checkbox', name: 'sessions', value: 'hide' });
  const status = h(
    'span',
    { class: 'live-status', role: 'status', 'data-state': 'connecting' },
    'Connecting…',
  );
  const pause = h('button', { type: 'button', 'aria-pressed': 'false', class: 'pause' }, 'Pause');
  const list = h('ol', {
    class: 'feed',
    'aria-label': 'Permission checks, newest first',
    'aria-live': 'polite',
  });
  openEventsFrom(list, project);
  const empty = h('div');

  const visible = (e: ApiEvent) =>
    // Part of a name is enough (case-insensitive): "support" finds SupportBot and SupportBot-eu.
    e.agent_name.toLowerCase().includes(agentFilter.value.trim().toLowerCase()) &&
    matchesOutcome(e, outcomeFilter.value) &&
    (reasonFilter.value === '' || e.reason === reasonFilter.value) &&
    // Only session start and end: an approval being asked for is info too, but worth seeing.
    !(hideSessions.checked && LIFECYCLE_ACTIONS.includes(e.action));

  function redraw(): void {
    replaceChildren(list, events.filter(visible).map(feedRow));
  }

  function showFilters(filters: FeedFilters): void {
    agentFilter.value = filters.agent;
    outcomeFilter.value = filters.outcome;
    reasonFilter.value = filters.reason;
    hideSessions.checked = filters.hideSessions;
  }

  /** True while the agent field is being typed in: one history entry per edit, not per key. */
  let typing = false;
  /**
   * Writes the filters into the address without drawing the page again: a new history
   * entry (so back undoes it), or, while typing, the current one.
   */
  function keepFilters(replace: boolean): void {
    const filters = {
      agent: agentFilter.value,
      outcome: outcomeFilter.value,
      reason: reasonFilter.value,
      hideSessions: hideSessions.checked,
    };
    const hash = `#/projects/${encodeURIComponent(project)}/feed${queryOf(filters)}`;
    if (hash === location.hash) return;
    if (replace) history.replaceState(history.state, '', hash);
    else history.pushState(null, '', hash);
  }

  function add(batch: ApiEvent[], fresh: boolean): void {
    const added = batch.filter((e) => !seen.has(e.event_id));
    if (added.length === 0) return;
    for (const e of added) seen.add(e.event_id);
    // Batches arrive oldest first; the feed shows newest first.
    events.unshift(...[...added].reverse());
    const dropped = events.splice(MAX_ROWS);
    for (const e of dropped) seen.delete(e.event_id);
    if (events.length === added.length) replaceChildren(empty);
    const rows = [...added].reverse().filter(visible).map(feedRow);
    if (fresh) for (const row of rows) row.classList.add('fresh');
    list.prepend(...rows);
    while (list.childElementCount > MAX_ROWS) list.lastElementChild?.remove();
    replaceChildren(
      agentList,
      [...new Set(events.map((e) => e.agent_name))].sort().map((a) => h('option', { value: a })),
    );
  }

  function setPaused(value: boolean): void {
    paused = value;
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused && held.length > 0) {
      add(held, true);
      held = [];
    }
    pause.textContent = paused ? 'Resume' : 'Pause';
    status.dataset.state = paused ? 'paused' : source.readyState === EventSource.OPEN ? 'live' : 'connecting';
    status.textContent = paused ? 'Paused' : status.dataset.state === 'live' ? 'Live' : 'Connecting…';
  }

  pause.addEventListener('click', () => setPaused(!paused));
  showFilters(filtersOf(hashQuery()));
  agentFilter.addEventListener('input', () => {
    keepFilters(typing);
    typing = true;
    redraw();
  });
  agentFilter.addEventListener('change', () => (typing = false));
  for (const control of [outcomeFilter, reasonFilter, hideSessions]) {
    control.addEventListener('change', () => {
      typing = false;
      keepFilters(false);
      redraw();
    });
  }

  replaceChildren(
    main,
    pageHeader('Live feed', status, pause),
    h(
      'form',
      { class: 'filters', 'aria-label': 'Filter the feed', onsubmit: (e: Event) => e.preventDefault() },
      field('Agent', agentFilter),
      agentList,
      field('Outcome', outcomeFilter),
      field('Reason', reasonFilter),
      h('div', { class: 'field field-check' }, h('label', {}, hideSessions, 'Hide session start and end')),
    ),
    empty,
    list,
  );

  const source = new EventSource(api.liveUrl(project), { withCredentials: true });
  const onMessage = (message: MessageEvent<string>) => {
    const batch = eventsOfMessage(message.data);
    if (paused) {
      held.push(...batch);
      pause.textContent = `Resume (${held.length} new)`;
    } else {
      add(batch, true);
    }
  };
  source.addEventListener('message', onMessage);
  source.addEventListener('events', onMessage as EventListener);
  source.addEventListener('event', onMessage as EventListener);
  let dropped = false;
  source.addEventListener('open', () => {
    if (!paused) Object.assign(status, { textContent: 'Live' }).dataset.state = 'live';
    // After a dropped connection, fetch what arrived meanwhile (duplicates are skipped).
    if (dropped) void loadRecent().catch(() => undefined);
    dropped = false;
  });
  source.addEventListener('error', () => {
    dropped = true;
    if (!paused) Object.assign(status, { textContent: 'Reconnecting…' }).dataset.state = 'connecting';
    // The browser gives up on a refused stream (e.g. the login expired): find out why.
    if (source.readyState === EventSource.CLOSED) void api.me().catch(() => undefined);
  });

  async function loadRecent(): Promise<void> {
    const { events: recent } = await api.events(project, {}, undefined, 50);
    add([...recent].reverse(), false);
  }

  // The latest events first, so the feed is not blank until the next check happens.
  loadRecent()
    .then(() => {
      if (events.length === 0) replaceChildren(empty, projectSetupSteps(project));
    })
    .catch((err: Error) => replaceChildren(empty, notice('error', err.message)));

  return {
    leave: () => source.close(),
    // Back or forward to other filters: show them, keep the connection and the rows.
    query: (query) => {
      typing = false;
      showFilters(filtersOf(query));
      redraw();
    },
  };
};
