import { api, type Approval, type ApprovalStatus, type Decision, type Grant } from '../api';
import { refreshApprovals, watchApprovals } from '../approval-watch';
import { field, h, options, replaceChildren } from '../dom';
import { latestOnly } from '../latest';
import { formatDuration, formatTime } from '../format';
import { notice, pageHeader } from '../layout';
import type { Page } from '../router';
import { projectName, state } from '../state';

/** The "remember for" choices: once, or the agent may do it again without asking for this long. */
const REMEMBER_CHOICES: ReadonlyArray<readonly [string, string]> = [
  ['', 'Once'],
  ['15', '15 minutes'],
  ['60', '1 hour'],
  ['480', '8 hours'],
  ['1440', '24 hours'],
];

/** "15 minutes", "1 hour"… as the choice was offered; any other number of minutes as such. */
function rememberLabel(minutes: number): string {
  return REMEMBER_CHOICES.find(([value]) => value === String(minutes))?.[1] ?? `${minutes} minutes`;
}

const HISTORY_FILTERS: ReadonlyArray<readonly [string, string]> = [
  ['', 'All decisions'],
  ['approved', 'Approved'],
  ['denied', 'Denied'],
  ['expired', 'Expired'],
];

const STATUS_BADGE: Record<ApprovalStatus, [string, string]> = {
  pending: ['badge-audit', 'Pending'],
  approved: ['badge-allowed', 'Approved'],
  denied: ['badge-denied', 'Denied'],
  expired: ['badge-info', 'Expired'],
};

function statusBadge(status: ApprovalStatus): HTMLElement {
  const [cls, label] = STATUS_BADGE[status];
  return h('span', { class: `badge ${cls}` }, label);
}

/** A request waiting in the queue, drawn once and kept while it waits (a typed reason survives updates). */
interface QueueItem {
  approval: Approval;
  row: HTMLElement;
  age: HTMLElement;
  left: HTMLElement;
  buttons: HTMLButtonElement[];
}

/**
 * Approvals: the project's guarded calls waiting for a person (agent, scope, function, the
 * agent's description, age and a countdown of the time left), each approved or denied
 * with an optional reason and a "remember for" choice; the history of decisions (who
 * decided, when, why) filtered by outcome; and the remembered grants, each revocable. The
 * queue follows the project's live feed: a new request, or one decided elsewhere, shows at
 * once. Only a signed-in user sees the buttons.
 *
 * @example
 * ```ts
 * router.add('/projects/:project/approvals', approvalsPage);
 * ```
 */
export const approvalsPage: Page = (main, { project }) => {
  const canDecide = state.user !== undefined;
  const queue = h('ol', { class: 'approval-queue', 'aria-label': 'Requests waiting for a decision' });
  const queueStatus = h('p', { class: 'muted', role: 'status' }, 'Loading requests…');
  const items = new Map<string, QueueItem>();

  const historyFilter = h('select', { name: 'status' }, options(HISTORY_FILTERS, ''));
  const historyRows = h('tbody');
  const grantRows = h('tbody');
  const grantError = h('p', { class: 'form-error', role: 'alert' });
  // A decision, a filter change and a live push each reload; only the newest answer draws.
  const queueLoad = latestOnly();
  const historyLoad = latestOnly();
  const grantsLoad = latestOnly();

  function tick(): void {
    const now = Date.now();
    for (const item of items.values()) {
      item.age.textContent = `${formatDuration(now - Date.parse(item.approval.created_at))} ago`;
      const left = Date.parse(item.approval.expires_at) - now;
      item.left.textContent = left > 0 ? `${formatDuration(left)} left` : 'Expired';
      if (left <= 0 && !item.row.classList.contains('expired')) {
        item.row.classList.add('expired');
        for (const b of item.buttons) b.disabled = true;
        // The server writes it expired within its sweep; the next event redraws the queue.
        refreshApprovals();
      }
    }
  }

  function decisionForm(a: Approval): { form: HTMLElement; buttons: HTMLButtonElement[] } {
    const label = `${a.function_name} for ${a.agent_name}`;
    const reason = h('input', {
      name: 'reason',
      maxlength: 500,
      autocomplete: 'off',
      placeholder: 'Optional',
    });
    const remember = h('select', { name: 'remember' }, options(REMEMBER_CHOICES, ''));
    const sameArgs = h('input', { type: 'checkbox', name: 'same_args_only', disabled: true });
    const sameArgsLabel = h('label', {}, sameArgs, 'Same arguments only');
    remember.addEventListener('change', () => {
      sameArgs.disabled = remember.value === '';
      if (sameArgs.disabled) sameArgs.checked = false;
    });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const decide = async (decision: Decision['decision']) => {
      error.textContent = '';
      const body: Decision = { decision };
      if (reason.value.trim()) body.reason = reason.value.trim();
      if (decision === 'approve' && remember.value) {
        body.remember_minutes = Number(remember.value);
        if (sameArgs.checked) body.same_args_only = true;
      }
      for (const b of buttons) b.disabled = true;
      try {
        await api.decide(project, a.id, body);
        items.get(a.id)?.row.remove();
        items.delete(a.id);
        showQueueStatus();
      } catch (err) {
        error.textContent = (err as Error).message;
        for (const b of buttons) b.disabled = false;
      }
      refreshApprovals();
      void drawHistory();
      void drawGrants();
    };
    const approve = h(
      'button',
      {
        type: 'button',
        class: 'primary',
        'aria-label': `Approve ${label}`,
        onclick: () => void decide('approve'),
      },
      'Approve',
    );
    const deny = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Deny ${label}`, onclick: () => void decide('deny') },
      'Deny',
    );
    const buttons = [approve, deny];
    const form = h(
      'form',
      {
        class: 'decision',
        'aria-label': `Decide ${label}`,
        // Enter in the reason field approves nothing by accident: only the buttons decide.
        onsubmit: (e: Event) => e.preventDefault(),
      },
      field('Reason', reason),
      field('Remember for', remember),
      h('div', { class: 'field field-check' }, sameArgsLabel),
      h('div', { class: 'actions' }, approve, deny),
      error,
    );
    return { form, buttons };
  }

  function queueItem(a: Approval): QueueItem {
    const age = h('span', { class: 'age' });
    const left = h('span', { class: 'time-left' });
    const { form, buttons } = canDecide ? decisionForm(a) : { form: null, buttons: [] };
    const row = h(
      'li',
      { class: 'card approval', 'data-approval': a.id },
      h(
        'div',
        { class: 'approval-head' },
        h('strong', { class: 'agent' }, a.agent_name),
        h('code', { class: 'scope' }, a.scope),
        h('code', { class: 'function' }, a.function_name),
        a.source === 'python' ? h('span', { class: 'badge badge-info' }, 'Python SDK') : null,
      ),
      a.description
        ? h('p', { class: 'description' }, a.description)
        : h('p', { class: 'description muted' }, 'No description.'),
      h('p', { class: 'approval-times muted' }, 'Asked ', age, ' · ', left),
      form,
    );
    return { approval: a, row, age, left, buttons };
  }

  function showQueueStatus(): void {
    const n = items.size;
    queueStatus.textContent =
      n === 0 ? 'No requests are waiting.' : `${n} request${n === 1 ? '' : 's'} waiting for a decision.`;
  }

  async function drawQueue(): Promise<void> {
    const current = queueLoad.begin();
    const { approvals } = await api.approvals(project, 'pending', 200);
    if (!current()) return;
    const ids = new Set(approvals.map((a) => a.id));
    for (const [id, item] of items) {
      if (!ids.has(id)) {
        item.row.remove();
        items.delete(id);
      }
    }
    // Oldest first: the one closest to expiring is on top. New ones go below, in order.
    for (const a of [...approvals].reverse()) {
      if (items.has(a.id)) continue;
      const item = queueItem(a);
      items.set(a.id, item);
      queue.append(item.row);
    }
    tick();
    showQueueStatus();
  }

  function historyRow(a: Approval): HTMLTableRowElement {
    const decided = a.status === 'expired' ? '—' : (a.decided_by ?? '—');
    const remembered = a.remember_minutes
      ? ` (remembered for ${rememberLabel(a.remember_minutes)}${a.same_args_only ? ', same arguments only' : ''})`
      : '';
    return h(
      'tr',
      { 'data-approval': a.id },
      h('td', {}, statusBadge(a.status)),
      h('td', {}, a.agent_name),
      h('td', {}, h('code', {}, a.scope), ' ', h('code', {}, a.function_name)),
      h('td', {}, a.description ?? ''),
      h('td', { class: 'decided-by' }, decided),
      h('td', {}, a.decided_at ? formatTime(a.decided_at) : '—'),
      h('td', {}, `${a.reason ?? ''}${remembered}`),
    );
  }

  async function drawHistory(): Promise<void> {
    const current = historyLoad.begin();
    try {
      const { approvals } = await api.approvals(project, historyFilter.value as ApprovalStatus | '', 50);
      if (!current()) return;
      const decided = approvals.filter((a) => a.status !== 'pending');
      replaceChildren(
        historyRows,
        decided.length
          ? decided.map(historyRow)
          : h('tr', {}, h('td', { colspan: '7' }, 'No decisions yet.')),
      );
    } catch (err) {
      if (!current()) return;
      replaceChildren(
        historyRows,
        h('tr', {}, h('td', { colspan: '7' }, notice('error', (err as Error).message))),
      );
    }
  }

  function grantRow(g: Grant): HTMLTableRowElement {
    const active = !g.revoked_at && Date.parse(g.expires_at) > Date.now();
    const revoke =
      canDecide && active
        ? h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'aria-label': `Revoke ${g.scope} for ${g.agent_name}`,
              onclick: async () => {
                grantError.textContent = '';
                try {
                  await api.revokeGrant(project, g.id);
                } catch (err) {
                  grantError.textContent = (err as Error).message;
                }
                await drawGrants();
              },
            },
            'Revoke',
          )
        : null;
    const status = g.revoked_at
      ? h(
          'span',
          { class: 'badge badge-denied' },
          `Revoked by ${g.revoked_by ?? '?'} ${formatTime(g.revoked_at)}`,
        )
      : active
        ? h('span', { class: 'badge badge-allowed' }, `Until ${formatTime(g.expires_at)}`)
        : h('span', { class: 'badge badge-info' }, `Expired ${formatTime(g.expires_at)}`);
    return h(
      'tr',
      { 'data-grant': g.id },
      h('td', {}, g.agent_name),
      h('td', {}, h('code', {}, g.scope)),
      h('td', {}, g.args_digest ? 'Same arguments only' : 'Any arguments'),
      h('td', {}, g.created_by),
      h('td', {}, status),
      h('td', {}, revoke),
    );
  }

  async function drawGrants(): Promise<void> {
    const current = grantsLoad.begin();
    try {
      const { grants } = await api.grants(project);
      if (!current()) return;
      replaceChildren(
        grantRows,
        grants.length
          ? grants.map(grantRow)
          : h('tr', {}, h('td', { colspan: '6' }, 'No remembered grants.')),
      );
    } catch (err) {
      if (!current()) return;
      replaceChildren(
        grantRows,
        h('tr', {}, h('td', { colspan: '6' }, notice('error', (err as Error).message))),
      );
    }
  }

  const table = (caption: string, columns: string[], body: HTMLElement) =>
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('caption', { class: 'visually-hidden' }, caption),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            columns.map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        body,
      ),
    );

  historyFilter.addEventListener('change', () => void drawHistory());

  replaceChildren(
    main,
    pageHeader(`Approvals · ${projectName(project)}`),
    h(
      'section',
      { 'aria-labelledby': 'queue-title' },
      h('h2', { id: 'queue-title' }, 'Waiting for a decision'),
      queueStatus,
      queue,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title' }, 'History'),
      h(
        'form',
        { class: 'filters', 'aria-label': 'Filter the history', onsubmit: (e: Event) => e.preventDefault() },
        field('Outcome', historyFilter),
      ),
      table(
        'Decided requests, newest first',
        ['Outcome', 'Agent', 'Scope and function', 'Description', 'Decided by', 'When', 'Reason'],
        historyRows,
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'grants-title' },
      h('h2', { id: 'grants-title' }, 'Remembered grants'),
      h(
        'p',
        { class: 'muted' },
        'An agent holding a grant runs the scope without asking until it ends. A revocation reaches every agent within a second.',
      ),
      grantError,
      table('Remembered grants', ['Agent', 'Scope', 'Arguments', 'Granted by', 'Status', ''], grantRows),
    ),
  );

  const redraw = () => {
    drawQueue().catch((err: Error) => replaceChildren(queueStatus, notice('error', err.message)));
    void drawHistory();
    void drawGrants();
  };
  // Every approval event of the project's live feed (a request, a decision, an expiry) counts
  // the queue again; each count redraws what it may have changed.
  redraw();
  const stop = watchApprovals(project, redraw);
  const timer = setInterval(tick, 1000);
  return () => {
    stop();
    clearInterval(timer);
    for (const load of [queueLoad, historyLoad, grantsLoad]) load.cancel();
  };
};
