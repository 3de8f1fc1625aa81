import {
  compilePolicy,
  PolicyError,
  type Agent,
  type Approver,
  type Guard,
  type GuardFinding,
  type PolicyLocator,
  type PolicyRules,
} from '@agentsudo/core';
import { buildPolicyGuards } from './policy-guards';
import { readPolicyDocument } from './policy-yaml';

/**
 * A loaded policy file: its agents (real `Agent`s) and what the file says about a scope.
 * Immutable: {@link watchPolicy} hands out a new one on each good edit.
 *
 * @example
 * ```ts
 * const policy = loadPolicy('agentsudo.policy.yaml');
 * const bot = policy.agent('RefundBot');
 * class Payments {
 *   @Sudo('write:refunds', { guards: policy.guardsFor('write:refunds'), onDeny: policy.approver(askOnSlack) })
 *   async refund(orderId: string, amount: number) {}
 * }
 * ```
 */
export class Policy {
  /** The agents, in the file's order. */
  readonly agents: readonly Agent[];
  private readonly guards = new Map<string, readonly Guard[]>();

  /** @internal Use {@link loadPolicy}. */
  constructor(
    /** The file it was read from. */
    readonly file: string,
    /** The compiled rules, for tools that explain a decision. */
    readonly rules: PolicyRules,
    /** Maps a path in the document to its line and column. */
    readonly locate: PolicyLocator,
  ) {
    this.agents = rules.agents;
    // Every guard is built now, so a bad option fails the load, not a call.
    for (const rule of rules.spec.guards) buildPolicyGuards(rule.guards, locate);
  }

  /**
   * The agent named `name`; an unknown name throws `PolicyError` at the file's `agents:`,
   * naming the agents it has.
   *
   * @example
   * ```ts
   * await policy.agent('RefundBot').startSession(() => payments.refund('o-1', 20));
   * ```
   */
  agent(name: string): Agent {
    const found = this.rules.agentNamed(name);
    if (found !== undefined) return found;
    throw new PolicyError(
      ['agents'],
      `the policy has no agent named ${JSON.stringify(name)}.`,
      `Use one of: ${this.agents.map((a) => a.name).join(', ')}, or add it under agents:.`,
      'key',
    ).locatedBy(this.locate);
  }

  /**
   * True when the file's `approval:` lists a pattern that grants `scope`: a refused call
   * needing it goes to the approver (see {@link Policy.approver}).
   *
   * @example
   * ```ts
   * policy.needsApproval('write:refunds'); // true
   * ```
   */
  needsApproval(scope: string): boolean {
    return this.rules.needsApproval(scope);
  }

  /**
   * The guards the file names for `scope` (of every `guards:` pattern that grants it, in
   * order), built by `@agentsudo/guardrails`.
   *
   * @example
   * ```ts
   * @Sudo('write:refunds', { guards: policy.guardsFor('write:refunds') })
   * ```
   */
  guardsFor(scope: string): readonly Guard[] {
    let built = this.guards.get(scope);
    if (built === undefined) {
      built = Object.freeze(buildPolicyGuards(this.rules.guardSpecsFor(scope), this.locate));
      if (this.guards.size < 4096) this.guards.set(scope, built);
    }
    return built;
  }

  /**
   * An `onDeny` approver that asks `approver` only for scopes the file's `approval:` lists,
   * and refuses every other call, so the file decides which refusals a person may overturn.
   *
   * @example
   * ```ts
   * @Sudo('write:refunds', { when: ({ args }) => (args[1] as number) <= 100, onDeny: policy.approver(askOnSlack) })
   * ```
   */
  approver(approver: Approver): Approver {
    return policyApprover(() => this, approver);
  }

  /**
   * One guard that runs, on each call, the guards this policy names for the call's scope.
   *
   * @example
   * ```ts
   * @Sudo('write:refunds', { guards: [policy.guard()] })
   * ```
   */
  guard(): Guard {
    return policyGuard(() => this);
  }
}

/**
 * Reads, checks and builds the policy file `file` (YAML). Every mistake is a `PolicyError`
 * whose message starts `file:line:column:` and ends with the fix.
 *
 * @example
 * ```ts
 * const policy = loadPolicy('agentsudo.policy.yaml');
 * policy.agents.map((a) => a.name); // ['RefundBot', 'SupportBot']
 * ```
 */
export function loadPolicy(file: string): Policy {
  return buildPolicy(file);
}

/** @internal Loads `file`, keeping the unchanged agents of `previous`. */
export function buildPolicy(file: string, previous?: Policy): Policy {
  const { spec, locate } = readPolicyDocument(file);
  let rules: PolicyRules;
  try {
    rules = compilePolicy(spec, previous?.rules);
  } catch (err) {
    throw err instanceof PolicyError ? err.locatedBy(locate) : err;
  }
  return new Policy(file, rules, locate);
}

/**
 * An approver that asks `approver` only when the current policy lists the call's scope
 * under `approval:`; any other refusal stays a refusal.
 *
 * @example
 * ```ts
 * const onDeny = policyApprover(() => watcher.current, askOnSlack);
 * ```
 */
export function policyApprover(current: () => Policy, approver: Approver): Approver {
  return (ctx) => (current().needsApproval(ctx.scope) ? approver(ctx) : false);
}

/**
 * A guard that runs the current policy's guards for the call's scope, so an edited file
 * applies to the next call. It answers the first refusal, else the first flag.
 *
 * @example
 * ```ts
 * @Sudo('write:refunds', { guards: [policyGuard(() => watcher.current)] })
 * ```
 */
export function policyGuard(current: () => Policy): Guard {
  return {
    name: 'policy',
    inspect(args, ctx) {
      return runInOrder(current().guardsFor(ctx.scope), 0, args, ctx, undefined);
    },
  };
}

type Answer = GuardFinding | undefined;

function runInOrder(
  guards: readonly Guard[],
  from: number,
  args: readonly unknown[],
  ctx: Parameters<Guard['inspect']>[1],
  flag: Answer,
): Answer | Promise<Answer> {
  for (let i = from; i < guards.length; i++) {
    const answer = guards[i].inspect(args, ctx);
    if (answer instanceof Promise) {
      return answer.then((found) =>
        found?.action === 'refuse' ? found : runInOrder(guards, i + 1, args, ctx, flag ?? found),
      );
    }
    if (answer?.action === 'refuse') return answer;
    flag ??= answer;
  }
  return flag;
}
