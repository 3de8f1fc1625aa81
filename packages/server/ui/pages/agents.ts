import { api, type AgentSummary } from '../api';
import { h, replaceChildren } from '../dom';
import { formatCount, formatTime } from '../format';
import { notice, pageHeader } from '../layout';
import type { Page } from '../router';
import { projectSetupSteps } from '../snippet';

/** A scope's colour: red if it was ever denied, else amber if audited, else green. */
function chipTone(scope: AgentSummary['scopes'][number]): string {
  if (scope.denied > 0) return 'chip-denied';
  return scope.audit > 0 ? 'chip-audit' : 'chip-allowed';
}

function scopeChip(scope: AgentSummary['scopes'][number]): HTMLElement {
  return h(
    'li',
    {
      class: `chip ${chipTone(scope)}`,
      title: `${scope.events} checks, ${scope.denied} denied, ${scope.audit} audit; last ${formatTime(scope.last_seen)}`,
    },
    h('code', {}, scope.scope),
    ` ${formatCount(scope.events)}`,
    scope.denied > 0
      ? h('span', { class: 'chip-denied-count' }, ` · ${formatCount(scope.denied)} denied`)
      : null,
    scope.audit > 0 ? h('span', { class: 'chip-audit-count' }, ` · ${formatCount(scope.audit)} audit`) : null,
  );
}

/**
 * The agent's permission checks, as analytics counts them: its `events` also hold its session
 * starts and ends, which check no scope, so they are left out to keep both pages' Checks alike.
 */
function checksOf(agent: AgentSummary): number {
  return agent.scopes.reduce((sum, scope) => sum + scope.events, 0);
}

function agentCard(project: string, agent: AgentSummary): HTMLElement {
  const audit = `#/projects/${encodeURIComponent(project)}/audit?agent=${encodeURIComponent(agent.agent_name)}`;
  return h(
    'article',
    { class: 'card agent-card', 'data-agent': agent.agent_name, 'aria-label': agent.agent_name },
    h('h2', {}, agent.agent_name),
    h(
      'dl',
      { class: 'facts' },
      h(
        'div',
        { title: 'permission checks; session starts and ends are not counted, as in analytics' },
        h('dt', {}, 'Checks'),
        h('dd', { 'data-checks': String(checksOf(agent)) }, formatCount(checksOf(agent))),
      ),
      h(
        'div',
        { class: agent.denied ? 'tone-denied' : '' },
        h('dt', {}, 'Denied'),
        h('dd', { 'data-denied': String(agent.denied) }, formatCount(agent.denied)),
      ),
      h(
        'div',
        { class: agent.audit ? 'tone-audit' : '' },
        h('dt', {}, 'Audit'),
        h('dd', { 'data-audit': String(agent.audit) }, formatCount(agent.audit)),
      ),
      h('div', {}, h('dt', {}, 'First seen'), h('dd', {}, formatTime(agent.first_seen))),
      h('div', {}, h('dt', {}, 'Last seen'), h('dd', {}, formatTime(agent.last_seen))),
    ),
    h('h3', {}, 'Scopes used'),
    h('ul', { class: 'chips' }, agent.scopes.map(scopeChip)),
    h('a', { href: audit }, `Audit log for ${agent.agent_name} →`),
  );
}

/**
 * Agents: every agent that has sent checks, its scopes, denials (red), audit-mode violations
 * (amber) and when it was first and last seen.
 *
 * @example
 * ```ts
 * router.add('/projects/:project/agents', agentsPage);
 * ```
 */
export const agentsPage: Page = (main, { project }) => {
  const body = h('div', { class: 'agent-grid' }, notice('loading', 'Loading agents…'));
  replaceChildren(main, pageHeader('Agents'), body);
  void api
    .agents(project)
    .then(({ agents }) =>
      replaceChildren(
        body,
        agents.length ? agents.map((a) => agentCard(project, a)) : projectSetupSteps(project),
      ),
    )
    .catch((err: Error) => replaceChildren(body, notice('error', err.message)));
};
