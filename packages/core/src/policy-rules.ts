import { Agent } from './agent';
import { ConfigurationError } from './errors';
import { PolicyError } from './policy-error';
import type { PolicyGuardSpec, PolicySpec } from './policy-format';
import { compileScopes, type ScopeMatcher } from './scopes';

/**
 * A checked policy made usable: real {@link Agent}s and the lookups a check needs, each
 * pattern compiled once. Immutable, so a reload swaps one reference and a check sees the
 * old policy or the new one, never a mix.
 *
 * @example
 * ```ts
 * const rules = compilePolicy(validatePolicy(doc));
 * rules.agentNamed('RefundBot');
 * rules.needsApproval('write:refunds'); // true when approval: lists a pattern granting it
 * ```
 */
export interface PolicyRules {
  readonly spec: PolicySpec;
  /** The agents, in the document's order. */
  readonly agents: readonly Agent[];
  /** The agent named `name`, or undefined. */
  agentNamed(name: string): Agent | undefined;
  /** The first `approval:` pattern that grants `scope`, or undefined. */
  approvalPatternFor(scope: string): string | undefined;
  /** True when a call needing `scope` goes to the approver instead of being refused. */
  needsApproval(scope: string): boolean;
  /** The guards for `scope`: those of every `guards:` pattern that grants it, in order. */
  guardSpecsFor(scope: string): readonly PolicyGuardSpec[];
  /** The scope of the first `tools:` rule whose glob matches `tool`, or undefined. */
  scopeOf(tool: string): string | undefined;
}

/**
 * Builds the agents and lookups of a checked policy. Agents of `previous` whose definition
 * did not change are kept as they are, with their in-process rate limit and budget windows:
 * a reload that only touches one agent must not hand the others fresh counters.
 *
 * @example
 * ```ts
 * const next = compilePolicy(validatePolicy(edited), current);
 * ```
 */
export function compilePolicy(spec: PolicySpec, previous?: PolicyRules): PolicyRules {
  const agents = spec.agents.map(({ options }) => {
    const kept = previous?.agentNamed(options.name);
    if (kept !== undefined && sameDefinition(kept, options)) return kept;
    try {
      return new Agent(options);
    } catch (err) {
      if (!(err instanceof ConfigurationError)) throw err;
      throw new PolicyError(['agents', options.name], err.message, 'Fix this agent.', 'key');
    }
  });
  const byName = new Map(agents.map((agent) => [agent.name, agent]));
  const approval = spec.approval.map((pattern) => ({ pattern, matcher: compileScopes([pattern]) }));
  const guards = spec.guards.map((rule) => ({ ...rule, matcher: compileScopes([rule.pattern]) }));
  const tools = (spec.tools ?? []).map((rule) => ({ ...rule, matcher: compileScopes([rule.glob]) }));
  const guardCache = new Map<string, readonly PolicyGuardSpec[]>();
  const first = <T extends { matcher: ScopeMatcher }>(list: T[], name: string) =>
    list.find((entry) => entry.matcher.test(name));
  return Object.freeze({
    spec,
    agents: Object.freeze(agents),
    agentNamed: (name: string) => byName.get(name),
    approvalPatternFor: (scope: string) => first(approval, scope)?.pattern,
    needsApproval: (scope: string) => first(approval, scope) !== undefined,
    guardSpecsFor(scope: string) {
      let found = guardCache.get(scope);
      if (found === undefined) {
        found = Object.freeze(
          guards.filter((rule) => rule.matcher.test(scope)).flatMap((rule) => rule.guards),
        );
        // Scopes come from code (decorators), so the cache is bounded by the program.
        if (guardCache.size < 4096) guardCache.set(scope, found);
      }
      return found;
    },
    scopeOf: (tool: string) => first(tools, tool)?.scope,
  });
}

function sameDefinition(agent: Agent, options: PolicySpec['agents'][number]['options']): boolean {
  const now = {
    id: agent.id,
    scopes: agent.scopes,
    role: agent.role,
    metadata: agent.metadata,
    limits: agent.limits,
    budgets: agent.budgets,
  };
  const next = {
    id: options.id,
    scopes: options.scopes,
    role: options.role,
    metadata: options.metadata,
    limits: options.limits,
    budgets: options.budgets,
  };
  return JSON.stringify(now) === JSON.stringify(next);
}
