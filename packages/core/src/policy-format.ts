import type { AgentOptions } from './agent';
import { ConfigurationError } from './errors';
import { limitRuleProblem, type LimitKind, type LimitRules } from './limit-rules';
import { PolicyError, type PolicyPath } from './policy-error';
import { assertValidScope, describeValue } from './scopes';

/**
 * The guards a policy may name, each built by `@agentsudo/guardrails` with the options the
 * policy gives it. `detector()` is missing on purpose: it needs a classifier function, which a
 * file cannot hold.
 *
 * @example
 * ```ts
 * POLICY_GUARD_NAMES.includes('pii'); // true
 * ```
 */
export const POLICY_GUARD_NAMES = Object.freeze([
  'promptInjection',
  'pii',
  'topics',
  'deny.pattern',
] as const);

/**
 * A guard a policy names.
 *
 * @example
 * ```ts
 * const name: PolicyGuardName = 'deny.pattern';
 * ```
 */
export type PolicyGuardName = (typeof POLICY_GUARD_NAMES)[number];

/**
 * One guard of a policy, as written: its name and its options (for `deny.pattern`, `pattern`
 * and `flags` are the regular expression; the other options go to the guard).
 *
 * @example
 * ```ts
 * const guard: PolicyGuardSpec = { name: 'deny.pattern', options: { pattern: '\\bDROP\\s+TABLE\\b', flags: 'i' }, path: ['guards', 'write:refunds', 0] };
 * ```
 */
export interface PolicyGuardSpec {
  readonly name: PolicyGuardName;
  readonly options: Readonly<Record<string, unknown>>;
  /** Where it is in the document, for errors found when it is built. */
  readonly path: PolicyPath;
}

/**
 * One agent of a policy: what `new Agent` receives, plus where the MCP proxy finds its token.
 *
 * @example
 * ```ts
 * const spec: PolicyAgentSpec = { options: { name: 'RefundBot', id: 'RefundBot', scopes: ['write:refunds'] } };
 * ```
 */
export interface PolicyAgentSpec {
  readonly options: AgentOptions;
  /** The environment variable holding the agent's bearer token (the MCP proxy over HTTP). */
  readonly tokenEnv?: string;
}

/**
 * A policy document that passed {@link validatePolicy}: every value checked, in the
 * document's order.
 *
 * @example
 * ```ts
 * const spec = validatePolicy({ agents: { RefundBot: { scopes: ['write:refunds'] } } });
 * spec.agents[0].options.name; // 'RefundBot'
 * ```
 */
export interface PolicySpec {
  readonly agents: readonly PolicyAgentSpec[];
  /** Scope patterns whose calls go to the approver instead of being refused. */
  readonly approval: readonly string[];
  /** Guards by scope pattern: every entry whose pattern grants a call's scope applies. */
  readonly guards: readonly { readonly pattern: string; readonly guards: readonly PolicyGuardSpec[] }[];
  /** The MCP proxy's rules: a glob on tool names and the scope a matching tool needs. */
  readonly tools: readonly { readonly glob: string; readonly scope: string }[] | undefined;
  /** The MCP proxy's answer for tools no rule matches. */
  readonly unlisted: 'deny' | 'allow' | undefined;
}

const TOP_KEYS = ['agents', 'approval', 'guards', 'tools', 'unlisted'];
const AGENT_KEYS = ['scopes', 'id', 'role', 'metadata', 'limits', 'budgets', 'token_env'];
/** Tool names are letters, digits, `_`, `-`, `.` and `/` (SEP-986); `*` is the one wildcard. */
const TOOL_GLOB = /^[A-Za-z0-9_.\-/*]+$/;
/** Environment variable names as POSIX shells accept them. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The options each guard takes (see @agentsudo/guardrails): a misspelt one is refused, not ignored. */
const WALK_OPTIONS = ['limits', 'onOversize'];
const GUARD_OPTIONS: Readonly<Record<PolicyGuardName, readonly string[]>> = {
  promptInjection: ['action', 'skip', ...WALK_OPTIONS],
  pii: ['mode', 'kinds', ...WALK_OPTIONS],
  topics: ['deny', 'action', ...WALK_OPTIONS],
  'deny.pattern': ['pattern', 'flags', 'rule', 'message', 'action', 'timeoutMs', ...WALK_OPTIONS],
};
/** Flags that change what a pattern matches; `g` and `y` only change where a search starts. */
const PATTERN_FLAGS = /^[imsu]*$/;

const EXAMPLE = `agents:
  RefundBot:
    scopes: [read:orders, write:refunds]
    limits: { write:refunds: { max: 10, per: 1h } }`;

type Doc = Record<string, unknown>;

/**
 * Checks a parsed policy document (the plain values a YAML or JSON parser returns) and
 * returns it checked. Agents get the same checks as `new Agent`. The first mistake throws
 * {@link PolicyError} with its path in the document and the fix; a parser's location mapper
 * turns that path into a file, line and column.
 *
 * @example
 * ```ts
 * const spec = validatePolicy({
 *   agents: { RefundBot: { scopes: ['write:refunds'], limits: { 'write:refunds': { max: 10, per: '1h' } } } },
 *   approval: ['write:refunds'],
 *   guards: { 'write:refunds': ['promptInjection'] },
 * });
 * ```
 */
export function validatePolicy(doc: unknown): PolicySpec {
  const root = mapAt(
    [],
    doc,
    'a policy is a map with agents: (and approval:, guards:, tools:).',
    `Write it like:\n${EXAMPLE}`,
  );
  knownKeys([], root, TOP_KEYS, 'the policy');
  if (!('agents' in root)) {
    throw new PolicyError([], 'the policy has no agents:.', `Add them, like:\n${EXAMPLE}`);
  }
  const agentsDoc = root.agents;
  if (!isMap(agentsDoc) || Object.keys(agentsDoc).length === 0) {
    throw new PolicyError(
      ['agents'],
      'agents: must map agent names to their scopes.',
      `Write it like:\n${EXAMPLE}`,
    );
  }
  const agents = Object.entries(agentsDoc).map(([name, value]) => agentSpec(name, value));
  return {
    agents,
    approval: root.approval === undefined ? [] : scopeList(['approval'], root.approval, 'approval:'),
    guards: root.guards === undefined ? [] : guardRules(root.guards),
    tools: root.tools === undefined ? undefined : toolRules(root.tools),
    unlisted: root.unlisted === undefined ? undefined : unlisted(root.unlisted),
  };
}

function agentSpec(name: string, value: unknown): PolicyAgentSpec {
  const at = ['agents', name];
  if (name.trim() === '') {
    throw new PolicyError(at, 'an agent name is blank.', 'Name the agent, like RefundBot:.', 'key');
  }
  if (name.startsWith('<') && name.endsWith('>')) {
    throw new PolicyError(
      at,
      `the agent name '${name}' is reserved for refusals in audit events.`,
      'Rename the agent.',
      'key',
    );
  }
  const fields = mapAt(
    at,
    value,
    `agent '${name}' must be a map with scopes:.`,
    'Write it like: RefundBot: { scopes: [read:orders] }',
  );
  knownKeys(at, fields, AGENT_KEYS, `agent '${name}'`);
  if (!Array.isArray(fields.scopes)) {
    throw new PolicyError(
      'scopes' in fields ? [...at, 'scopes'] : at,
      `agent '${name}' needs scopes: as a list.`,
      'Write them like: scopes: [read:orders] (or [] for none).',
    );
  }
  const scopes = scopeList([...at, 'scopes'], fields.scopes, `agent '${name}' scopes:`);
  const text = (key: string, pattern: RegExp | undefined, fix: string): string | undefined => {
    const v = fields[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '' || (pattern !== undefined && !pattern.test(v))) {
      throw new PolicyError([...at, key], `${key} of agent '${name}' is ${describeValue(v)}.`, fix);
    }
    return v;
  };
  // A policy's agents keep one identity across reloads, restarts and processes: their
  // counters in a shared limit store are keyed by it.
  const id = text('id', undefined, 'Write a fixed id, like id: refund-bot-1.') ?? name;
  const role = text('role', undefined, 'Write the role as text, like role: support.');
  const tokenEnv = text(
    'token_env',
    ENV_NAME,
    "Write the variable's name, like token_env: REFUND_BOT_TOKEN, and put the token in that variable.",
  );
  let metadata: Record<string, unknown> | undefined;
  if (fields.metadata !== undefined) {
    metadata = mapAt(
      [...at, 'metadata'],
      fields.metadata,
      `metadata of agent '${name}' must be a map.`,
      'Write it like: metadata: { team: payments }.',
    );
  }
  const limits = limitRules([...at, 'limits'], fields.limits, 'rate_limit');
  const budgets = limitRules([...at, 'budgets'], fields.budgets, 'budget');
  return { options: { name, id, scopes, role, metadata, limits, budgets }, tokenEnv };
}

function limitRules(at: PolicyPath, value: unknown, kind: LimitKind): LimitRules | undefined {
  if (value === undefined) return undefined;
  const example =
    kind === 'rate_limit'
      ? '{ write:refunds: { max: 10, per: 1h } }'
      : '{ write:refunds: { max: 500, per: 1d } }';
  const rules = mapAt(
    at,
    value,
    `${at[at.length - 1]}: must map scope patterns to rules.`,
    `Write it like: ${at[at.length - 1]}: ${example}`,
  );
  for (const [pattern, rule] of Object.entries(rules)) {
    checkScope([...at, pattern], pattern, 'key');
    const problem = limitRuleProblem(kind, rule);
    if (problem === undefined) continue;
    const path = problem.field === undefined ? [...at, pattern] : [...at, pattern, problem.field];
    const onKey = problem.field !== undefined && problem.field !== 'max' && problem.field !== 'per';
    throw new PolicyError(
      path,
      problem.problem,
      kind === 'rate_limit' ? 'A rate limit counts calls.' : "A budget adds up the calls' cost.",
      onKey ? 'key' : 'value',
    );
  }
  return rules as LimitRules;
}

function guardRules(value: unknown): PolicySpec['guards'] {
  const example =
    "guards: { write:refunds: [ promptInjection, { deny.pattern: { pattern: '\\bDROP\\s+TABLE\\b', flags: i } } ] }";
  const rules = mapAt(
    ['guards'],
    value,
    'guards: must map scope patterns to lists of guards.',
    `Write it like: ${example}`,
  );
  return Object.entries(rules).map(([pattern, list]) => {
    const at = ['guards', pattern];
    checkScope(at, pattern, 'key');
    if (!Array.isArray(list)) {
      throw new PolicyError(at, `the guards of '${pattern}' must be a list.`, `Write it like: ${example}`);
    }
    return { pattern, guards: list.map((item, i) => guardSpec([...at, i], item)) };
  });
}

function guardSpec(at: PolicyPath, item: unknown): PolicyGuardSpec {
  const names = POLICY_GUARD_NAMES.join(', ');
  let name: unknown = item;
  let options: unknown = {};
  if (isMap(item)) {
    const keys = Object.keys(item);
    if (keys.length !== 1) {
      throw new PolicyError(
        at,
        `a guard is one name with its options, got ${keys.length === 0 ? 'an empty map' : `the keys ${keys.join(', ')}`}.`,
        'Write it like: { pii: { action: flag } } or just pii.',
      );
    }
    name = keys[0];
    options = item[keys[0]] ?? {};
  }
  if (typeof name !== 'string' || !(POLICY_GUARD_NAMES as readonly string[]).includes(name)) {
    throw new PolicyError(
      at,
      `${describeValue(name)} is not a guard a policy can name.`,
      `Use one of: ${names}.`,
      isMap(item) ? 'key' : 'value',
    );
  }
  const path = [...at, name];
  const opts = mapAt(
    path,
    options,
    `the options of ${name} must be a map.`,
    `Write them like: { ${name}: { action: flag } }, or {} for none.`,
  );
  knownKeys(path, opts, GUARD_OPTIONS[name as PolicyGuardName], name);
  if (name === 'deny.pattern') denyPattern(path, opts);
  return { name: name as PolicyGuardName, options: opts, path: at };
}

/** The one guard whose options are more than data: its pattern must compile here, not later. */
function denyPattern(at: PolicyPath, options: Doc): void {
  const { pattern, flags = '' } = options;
  if (typeof pattern !== 'string' || pattern === '') {
    throw new PolicyError(
      'pattern' in options ? [...at, 'pattern'] : at,
      `deny.pattern needs pattern: as text, got ${describeValue(pattern)}.`,
      "Write the regular expression's source in single quotes, like pattern: '\\bDROP\\s+TABLE\\b'.",
    );
  }
  if (typeof flags !== 'string' || !PATTERN_FLAGS.test(flags)) {
    throw new PolicyError(
      [...at, 'flags'],
      `flags ${describeValue(flags)} are not flags deny.pattern uses.`,
      'Use some of i, m, s and u, like flags: i.',
    );
  }
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    throw new PolicyError(
      [...at, 'pattern'],
      `${JSON.stringify(pattern)} is not a regular expression (${(err as Error).message}).`,
      'Fix the pattern; in YAML, single quotes keep backslashes as they are.',
    );
  }
}

function toolRules(value: unknown): NonNullable<PolicySpec['tools']> {
  const example = 'tools:\n  "read_*": read:files\n  "*": admin:files';
  const rules = mapAt(
    ['tools'],
    value,
    'tools: must map tool names (globs) to scopes.',
    `Write it like:\n${example}`,
  );
  if (Object.keys(rules).length === 0) {
    throw new PolicyError(
      ['tools'],
      'tools: must map tool names (globs) to scopes.',
      `Write it like:\n${example}`,
    );
  }
  return Object.entries(rules).map(([glob, scope]) => {
    if (!TOOL_GLOB.test(glob)) {
      throw new PolicyError(
        ['tools', glob],
        `the tool glob ${JSON.stringify(glob)} has a character tool names do not have.`,
        'Tool names are letters, digits, _ - . and /; the only wildcard is * (no [ ], { } or ?).',
        'key',
      );
    }
    checkScope(['tools', glob], scope, 'value', `tool '${glob}'`);
    return { glob, scope: scope as string };
  });
}

function unlisted(value: unknown): 'deny' | 'allow' {
  if (value !== 'deny' && value !== 'allow') {
    throw new PolicyError(
      ['unlisted'],
      `unlisted: must be deny or allow, got ${JSON.stringify(value ?? null)}.`,
      'Write unlisted: deny (the default: tools no rule matches are refused and hidden) or unlisted: allow.',
    );
  }
  return value;
}

function scopeList(at: PolicyPath, value: unknown, what: string): string[] {
  if (!Array.isArray(value)) {
    throw new PolicyError(
      at,
      `${what} must be a list of scope patterns.`,
      'Write it like: [write:refunds, "delete:*"].',
    );
  }
  return value.map((scope, i) => {
    checkScope([...at, i], scope, 'value', what);
    return scope as string;
  });
}

/** The scope checks of `new Agent`, reported at `at`. */
function checkScope(at: PolicyPath, scope: unknown, target: 'key' | 'value', what = 'a pattern'): void {
  try {
    assertValidScope(scope, what);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    throw new PolicyError(
      at,
      err.message,
      'Write a scope like read:orders (or a pattern like write:*).',
      target,
    );
  }
}

function mapAt(at: PolicyPath, value: unknown, problem: string, fix: string): Doc {
  if (!isMap(value)) throw new PolicyError(at, `${problem} Got ${describeValue(value)}.`, fix);
  return value;
}

function knownKeys(at: PolicyPath, doc: Doc, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(doc)) {
    if (!allowed.includes(key)) {
      throw new PolicyError(
        [...at, key],
        `${what} has an unknown key ${JSON.stringify(key)}.`,
        `The keys it may have are: ${allowed.join(', ')}.`,
        'key',
      );
    }
  }
}

function isMap(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
