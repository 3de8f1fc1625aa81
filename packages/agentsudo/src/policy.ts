/**
 * `agentsudo/policy`: the policy file alone (YAML reading, `loadPolicy`, `watchPolicy`),
 * without the transports and defaults the package's main entry installs. The MCP proxy
 * reads its policy through it.
 *
 * @example
 * ```ts
 * import { loadPolicy } from 'agentsudo/policy';
 * const policy = loadPolicy('agentsudo.policy.yaml');
 * ```
 */
export { Policy, loadPolicy, policyApprover, policyGuard } from './policy-load';
export { watchPolicy, type PolicyWatch, type PolicyChange, type WatchPolicyOptions } from './policy-watch';
export { readPolicyDocument, parsePolicyDocument, type PolicyDocument } from './policy-yaml';
