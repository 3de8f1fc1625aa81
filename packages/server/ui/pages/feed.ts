import { api, type ApiEvent } from '../api';
import { field, h, options, replaceChildren } from '../dom';
import { feedRow, openEventsFrom } from '../events-view';
import { matchesOutcome, OUTCOME_FILTERS } from '../format';
import { notice, pageHeader } from '../layout';
import type { Page } from '../router';
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

/**
 * Live feed: the project's checks as they are ingested (Server-Sent Events), newest on
 * top, with pause/resume and filters by agent and outcome.
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
    matchesOutcome(e, outcomeFilter.value);

  function redraw(): void {
    replaceChildren(list, events.filter(visible).map(feedRow));
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
  agentFilter.addEventListener('input', redraw);
  outcomeFilter.addEventListener('change', redraw);

  replaceChildren(
    main,
    pageHeader('Live feed', status, pause),
    h(
      'form',
      { class: 'filters', 'aria-label': 'Filter the feed', onsubmit: (e: Event) => e.preventDefault() },
      field('Agent', agentFilter),
      agentList,
      field('Outcome', outcomeFilter),
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

  return () => source.close();
};
