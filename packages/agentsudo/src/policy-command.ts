import { command, UsageError } from '@agentsudo/command-line';
import { ConfigurationError, PolicyError } from '@agentsudo/core';
import { explainDecision } from './policy-explain';
import { loadPolicy } from './policy-load';

/**
 * `agentsudo policy check FILE`: validates a policy file, guards included. Exit 0 when it
 * is good, 1 with `FILE:LINE:COL: message` on stderr when not, 2 on a usage mistake.
 *
 * @example
 * ```sh
 * agentsudo policy check agentsudo.policy.yaml
 * ```
 */
export const POLICY_CHECK_COMMAND = command(
  {
    name: 'policy check',
    summary: 'validate a policy file',
    details:
      'Reads a policy file (agentsudo.policy.yaml) as loadPolicy does and reports the first mistake as FILE:LINE:COL.',
    arguments: [{ name: 'file', description: 'the policy file, e.g. agentsudo.policy.yaml' }],
    options: {},
  },
  async ({ positionals }) =>
    withPolicyErrors(() => {
      const policy = loadPolicy(positionals[0]);
      const n = policy.agents.length;
      process.stdout.write(`${positionals[0]}: ok, ${n} agent${n === 1 ? '' : 's'}\n`);
    }),
);

/**
 * `agentsudo policy explain FILE --agent A --scope S`: prints what the policy decides for
 * agent A calling scope S, and why.
 *
 * @example
 * ```sh
 * agentsudo policy explain agentsudo.policy.yaml --agent RefundBot --scope write:refunds
 * ```
 */
export const POLICY_EXPLAIN_COMMAND = command(
  {
    name: 'policy explain',
    summary: 'print what a policy decides for an agent and a scope, and why',
    details:
      'Prints whether the agent has the scope (and which pattern grants it), whether a refusal\ngoes to an approver, the rate limits and budgets that apply and the guards that run.',
    arguments: [{ name: 'file', description: 'the policy file, e.g. agentsudo.policy.yaml' }],
    options: {
      agent: { type: 'string', value: 'NAME', description: 'the agent, as the file names it' },
      scope: { type: 'string', value: 'SCOPE', description: "the scope a call needs, e.g. 'write:refunds'" },
    },
  },
  async ({ positionals, values }) => {
    if (values.agent === undefined) throw new UsageError('--agent NAME is required');
    if (values.scope === undefined) throw new UsageError('--scope SCOPE is required');
    const { agent, scope } = values;
    return withPolicyErrors(() => {
      const policy = loadPolicy(positionals[0]);
      process.stdout.write(`${explainDecision(policy, agent, scope).join('\n')}\n`);
    });
  },
);

function withPolicyErrors(run: () => void): number {
  try {
    run();
    return 0;
  } catch (err) {
    if (!(err instanceof PolicyError)) {
      // Not the file's fault: a bad --scope.
      if (err instanceof ConfigurationError) throw new UsageError(err.message.replace(/\.$/, ''));
      throw err;
    }
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
}
