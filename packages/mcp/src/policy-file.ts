import { readFileSync } from 'node:fs';
import { Agent, ConfigurationError, assertValidScope, compileScopes } from '@agentsudo/core';
import { AgentRegistry } from '@agentsudo/nestjs/express';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import type { ToolScopeLookup, UnlistedTools } from './tool-scopes';

/**
 * A mistake in an MCP policy file, with where it is and how to fix it. Its message reads
 * `file:line:column: problem fix`, the form editors and terminals turn into a link.
 *
 * @example
 * ```ts
 * try {
 *   loadMcpPolicy('mcp-policy.yaml');
 * } catch (e) {
 *   if (e instanceof PolicyFileError) console.error(e.file, e.line, e.column, e.problem, e.fix);
 * }
 * ```
 */
export class PolicyFileError extends ConfigurationError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${file}:${line}:${column}: ${problem} ${fix}`);
    this.name = 'PolicyFileError';
  }
}

/**
 * One agent of a policy file: its name, scopes, and the environment variable that holds
 * its bearer token over HTTP.
 *
 * @example
 * ```ts
 * const entry: PolicyAgent = { agent: new Agent({ name: 'ReadOnlyBot', scopes: ['read:files'] }), tokenEnv: 'READONLY_BOT_TOKEN' };
 * ```
 */
export interface PolicyAgent {
  agent: Agent;
  tokenEnv?: string;
}

/**
 * One `tools:` rule: a glob on upstream tool names (`*` matches any run of characters) and
 * the scope a matching tool needs.
 *
 * @example
 * ```ts
 * const rule: ToolRule = { glob: 'read_*', scope: 'read:files' };
 * ```
 */
export interface ToolRule {
  glob: string;
  scope: string;
}

/**
 * A loaded MCP policy: who may call (agents), what each upstream tool needs (the first
 * matching rule wins), and what happens to tools no rule matches.
 *
 * @example
 * ```ts
 * const policy = loadMcpPolicy('mcp-policy.yaml');
 * policy.scopeOf('read_text_file'); // 'read:files'
 * ```
 */
export interface McpPolicy {
  readonly file: string;
  readonly agents: readonly PolicyAgent[];
  readonly tools: readonly ToolRule[];
  readonly unlisted: UnlistedTools;
  /** The scope of the first rule whose glob matches `tool`, or undefined. */
  readonly scopeOf: ToolScopeLookup;
  /**
   * The agent named `name`; an unknown name throws {@link PolicyFileError} pointing at
   * the file's `agents:` and naming the agents it has.
   */
  agentNamed(name: string): Agent;
  /**
   * The agents that have a `token_env`, registered by the tokens those variables hold in
   * `env`. A variable unset, empty, too short or shared with another agent throws
   * {@link PolicyFileError} at that `token_env`.
   */
  registry(env: NodeJS.ProcessEnv): AgentRegistry;
}

/** Tool names are letters, digits, `_`, `-`, `.` and `/` (SEP-986); `*` is the one wildcard. */
const TOOL_GLOB = /^[A-Za-z0-9_.\-/*]+$/;
/** Environment variable names as POSIX shells accept them. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOP_KEYS = ['agents', 'tools', 'unlisted'];
const AGENT_KEYS = ['scopes', 'token_env'];

const EXAMPLE = `agents:
  ReadOnlyBot:
    scopes: ["read:files"]
    token_env: READONLY_BOT_TOKEN
tools:
  "read_*": read:files
  "*": admin:files`;

/**
 * Reads and checks the MCP policy file `file` (YAML). Every mistake is a
 * {@link PolicyFileError} naming the file, line and column and the fix.
 *
 * @example
 * ```ts
 * const policy = loadMcpPolicy('mcp-policy.yaml');
 * const reader = policy.agentNamed('ReadOnlyBot');
 * ```
 */
export function loadMcpPolicy(file: string): McpPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyFileError(
      file,
      1,
      1,
      `cannot read the policy file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      'Check the path given to --policy.',
    );
  }
  return parseMcpPolicy(text, file);
}

/**
 * Checks the text of an MCP policy, `file` naming it in errors.
 *
 * @example
 * ```ts
 * const policy = parseMcpPolicy('agents: { Bot: { scopes: [read:files] } }\ntools: { "*": read:files }', 'inline.yaml');
 * ```
 */
export function parseMcpPolicy(text: string, file: string): McpPolicy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const fail = (at: number | undefined, problem: string, fix: string): never => {
    const { line, col } = lines.linePos(at ?? 0);
    throw new PolicyFileError(file, line, col, problem, fix);
  };
  const [yamlError] = doc.errors;
  if (yamlError !== undefined) {
    fail(
      yamlError.pos[0],
      `this is not valid YAML (${firstLine(yamlError.message)}).`,
      'Fix the YAML syntax.',
    );
  }
  const root = doc.contents;
  if (!isMap(root)) {
    fail(startOf(root), 'a policy is a map with agents: and tools:.', `Write it like:\n${EXAMPLE}`);
  }
  const top = entriesOf(root as Node, fail, TOP_KEYS, 'the policy');
  const agentsNode = top.get('agents');
  const toolsNode = top.get('tools');
  if (agentsNode === undefined) fail(0, 'the policy has no agents:.', `Add them, like:\n${EXAMPLE}`);
  if (toolsNode === undefined) fail(0, 'the policy has no tools:.', `Add them, like:\n${EXAMPLE}`);

  const agents: PolicyAgent[] = [];
  const tokenEnvAt = new Map<string, number | undefined>();
  const agentsAt = startOf(agentsNode!.key);
  if (!isMap(agentsNode!.value) || agentsNode!.value.items.length === 0) {
    fail(
      startOf(agentsNode!.value) ?? agentsAt,
      'agents: must map agent names to their scopes.',
      `Write it like:\n${EXAMPLE}`,
    );
  }
  for (const [name, pair] of entriesOf(agentsNode!.value as Node, fail, undefined, 'agents:')) {
    if (!isMap(pair.value)) {
      fail(
        startOf(pair.value) ?? startOf(pair.key),
        `agent '${name}' must be a map with scopes:.`,
        'Write it like: ReadOnlyBot: { scopes: ["read:files"] }',
      );
    }
    const fields = entriesOf(pair.value as Node, fail, AGENT_KEYS, `agent '${name}'`);
    const scopes = fields.get('scopes');
    if (scopes === undefined || !isSeq(scopes.value)) {
      fail(
        startOf(scopes?.value) ?? startOf(pair.key),
        `agent '${name}' needs scopes: as a list.`,
        'Write them like: scopes: ["read:files"] (or [] for none).',
      );
    }
    const scopeList: string[] = [];
    for (const item of (scopes!.value as { items: unknown[] }).items) {
      const value = isScalar(item) ? item.value : undefined;
      scopeList.push(
        checked(() => assertValidScope(value, `agent '${name}'`), value as string, startOf(item), fail),
      );
    }
    const tokenEnv = fields.get('token_env');
    let tokenEnvName: string | undefined;
    if (tokenEnv !== undefined) {
      const value = isScalar(tokenEnv.value) ? tokenEnv.value.value : undefined;
      if (typeof value !== 'string' || !ENV_NAME.test(value)) {
        fail(
          startOf(tokenEnv.value),
          `token_env of agent '${name}' must name an environment variable, got ${JSON.stringify(value ?? null)}.`,
          "Write the variable's name, like token_env: READONLY_BOT_TOKEN, and put the token in that variable.",
        );
      }
      tokenEnvName = value as string;
      tokenEnvAt.set(name, startOf(tokenEnv.value));
    }
    const agent = checked(() => new Agent({ name, scopes: scopeList }), undefined, startOf(pair.key), fail);
    if (name.startsWith('<') && name.endsWith('>')) {
      fail(
        startOf(pair.key),
        `the agent name '${name}' is reserved for refusals in audit events.`,
        'Rename the agent.',
      );
    }
    agents.push({ agent, tokenEnv: tokenEnvName });
  }

  const tools: ToolRule[] = [];
  if (!isMap(toolsNode!.value) || toolsNode!.value.items.length === 0) {
    fail(
      startOf(toolsNode!.value) ?? startOf(toolsNode!.key),
      'tools: must map tool names (globs) to scopes.',
      'Write it like:\ntools:\n  "read_*": read:files\n  "*": admin:files',
    );
  }
  for (const [glob, pair] of entriesOf(toolsNode!.value as Node, fail, undefined, 'tools:')) {
    if (!TOOL_GLOB.test(glob)) {
      fail(
        startOf(pair.key),
        `the tool glob ${JSON.stringify(glob)} has a character tool names do not have.`,
        'Tool names are letters, digits, _ - . and /; the only wildcard is * (no [ ], { } or ?).',
      );
    }
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    const scope = checked(
      () => assertValidScope(value, `tool '${glob}'`),
      value as string,
      startOf(pair.value) ?? startOf(pair.key),
      fail,
    );
    tools.push({ glob, scope });
  }

  let unlisted: UnlistedTools = 'deny';
  const unlistedNode = top.get('unlisted');
  if (unlistedNode !== undefined) {
    const value = isScalar(unlistedNode.value) ? unlistedNode.value.value : undefined;
    if (value !== 'deny' && value !== 'allow') {
      fail(
        startOf(unlistedNode.value),
        `unlisted: must be deny or allow, got ${JSON.stringify(value ?? null)}.`,
        'Write unlisted: deny (the default: tools no rule matches are refused and hidden) or unlisted: allow.',
      );
    }
    unlisted = value as UnlistedTools;
  }

  const rules = tools.map((rule) => ({ matcher: compileScopes([rule.glob]), scope: rule.scope }));
  const scopeOf: ToolScopeLookup = (tool) => rules.find((rule) => rule.matcher.test(tool))?.scope;
  return {
    file,
    agents,
    tools,
    unlisted,
    scopeOf,
    agentNamed(name) {
      const found = agents.find((entry) => entry.agent.name === name);
      if (found !== undefined) return found.agent;
      return fail(
        agentsAt,
        `the policy has no agent named ${JSON.stringify(name)}.`,
        `Use one of: ${agents.map((a) => a.agent.name).join(', ')}, or add it under agents:.`,
      );
    },
    registry(env) {
      const registry = new AgentRegistry();
      for (const { agent, tokenEnv } of agents) {
        if (tokenEnv === undefined) continue;
        const at = tokenEnvAt.get(agent.name);
        const token = env[tokenEnv];
        if (token === undefined || token === '') {
          fail(
            at,
            `the environment variable ${tokenEnv} (token_env of agent '${agent.name}') is ${token === undefined ? 'not set' : 'empty'}.`,
            `Set ${tokenEnv} to the agent's bearer token (at least 16 characters; e.g. from \`node -e "console.log(require('crypto').randomBytes(24).toString('base64url'))"\`).`,
          );
        }
        checked(() => registry.register({ agent, token }, `token_env ${tokenEnv}`), undefined, at, fail);
      }
      if (registry.list().length === 0) {
        fail(
          agentsAt,
          'no agent has a token_env, so no request over HTTP could name an agent.',
          'Give each agent that calls over HTTP a token_env: NAME_OF_ITS_TOKEN_VARIABLE.',
        );
      }
      return registry;
    },
  };
}

type Fail = (at: number | undefined, problem: string, fix: string) => never;

/** A map's entries by (string) key, refusing keys that are not strings or not `allowed`. */
function entriesOf(
  node: Node,
  fail: Fail,
  allowed: readonly string[] | undefined,
  what: string,
): Map<string, Pair<Node, Node>> {
  const entries = new Map<string, Pair<Node, Node>>();
  for (const pair of (node as unknown as { items: Pair<Node, Node>[] }).items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof key !== 'string' && typeof key !== 'number') {
      fail(
        startOf(pair.key) ?? startOf(node),
        `a key of ${what} is not a name.`,
        'Write names as plain keys, like ReadOnlyBot: or "read_*":.',
      );
    }
    const name = String(key);
    if (allowed !== undefined && !allowed.includes(name)) {
      fail(
        startOf(pair.key),
        `${what} has an unknown key ${JSON.stringify(name)}.`,
        `The keys it may have are: ${allowed.join(', ')}.`,
      );
    }
    entries.set(name, pair);
  }
  return entries;
}

/** Runs a check that throws ConfigurationError, turning it into a PolicyFileError at `at`. */
function checked<T>(check: () => T | void, value: T | undefined, at: number | undefined, fail: Fail): T {
  try {
    const result = check();
    return (value === undefined ? result : value) as T;
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    return fail(at, err.message, 'Fix this value.');
  }
}

function startOf(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
