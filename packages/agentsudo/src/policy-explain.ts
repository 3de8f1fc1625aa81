import { assertValidScope, compileScopes, formatPolicyPath } from '@agentsudo/core';
import type { Policy } from './policy-load';

/**
 * What a policy decides for one agent calling one scope, and why, as the lines
 * `agentsudo policy explain` prints: whether a pattern grants the scope (and which), whether
 * a refusal goes to an approver, the rate limits and budgets that apply, and the guards
 * that run. A `when` condition lives in code, so it is not in the file and not here.
 *
 * @example
 * ```ts
 * explainDecision(loadPolicy('agentsudo.policy.yaml'), 'RefundBot', 'write:refunds').join('\n');
 * // RefundBot calling write:refunds: allowed …
 * ```
 */
export function explainDecision(policy: Policy, agentName: string, scope: string): string[] {
  assertValidScope(scope, '--scope');
  const agent = policy.agent(agentName);
  const grantedBy = agent.scopes.find((pattern) => compileScopes([pattern]).test(scope));
  const approval = policy.rules.approvalPatternFor(scope);
  const verdict =
    grantedBy !== undefined
      ? 'allowed, within the limits below'
      : approval !== undefined
        ? 'refused (scope), unless an approver allows it'
        : 'refused (scope)';
  const lines = [`${agent.name} calling ${scope}: ${verdict}`];
  lines.push(
    grantedBy !== undefined
      ? `  scope:      granted by ${JSON.stringify(grantedBy)} (agents.${agent.name}.scopes)`
      : `  scope:      not granted: none of ${JSON.stringify(agent.scopes)} matches ${scope}`,
  );
  lines.push(
    approval !== undefined
      ? `  approval:   a refusal (scope or when) goes to the approver (approval: ${JSON.stringify(approval)})`
      : '  approval:   not listed: a refusal stays a refusal',
  );
  const rules = [
    ['rate limit', 'limits', agent.limits, 'calls'],
    ['budget', 'budgets', agent.budgets, 'of cost'],
  ] as const;
  let anyRule = false;
  for (const [label, key, table, unit] of rules) {
    for (const [pattern, rule] of Object.entries(table ?? {})) {
      if (!compileScopes([pattern]).test(scope)) continue;
      anyRule = true;
      const where = formatPolicyPath(['agents', agent.name, key, pattern]);
      lines.push(`  ${`${label}:`.padEnd(11)} ${rule.max} ${unit} per ${rule.per} (${where})`);
    }
  }
  if (!anyRule) lines.push('  limits:     none');
  const guards = policy.rules.guardSpecsFor(scope);
  lines.push(
    guards.length === 0
      ? '  guards:     none'
      : `  guards:     ${guards.map((g) => `${g.name} (${formatPolicyPath(g.path)})`).join(', ')}`,
  );
  return lines;
}
