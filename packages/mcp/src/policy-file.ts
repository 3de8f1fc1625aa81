import {
  compilePolicy,
  ConfigurationError,
  PolicyError,
  type Agent,
  type PolicyLocator,
  type PolicyRules,
  type PolicySpec,
} from '@agentsudo/core';
import { AgentRegistry } from '@agentsudo/nestjs/express';
import { parsePolicyDocument, readPolicyDocument, type PolicyDocument } from 'agentsudo/policy';
import type { ToolScopeLookup, UnlistedTools } from './tool-scopes';

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
 * const policy = loadMcpPolicy('agentsudo.policy.yaml');
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
   * The agent named `name`; an unknown name throws `PolicyError` pointing at the file's
   * `agents:` and naming the agents it has.
   */
  agentNamed(name: string): Agent;
  /**
   * The agents that have a `token_env`, registered by the tokens those variables hold in
   * `env`. A variable unset, empty, too short or shared with another agent throws
   * `PolicyError` at that `token_env`.
   */
  registry(env: NodeJS.ProcessEnv): AgentRegistry;
}

const EXAMPLE = `agents:
  ReadOnlyBot:
    scopes: ["read:files"]
    token_env: READONLY_BOT_TOKEN
tools:
  "read_*": read:files
  "*": admin:files`;

/**
 * Reads and checks the MCP policy file `file`: the policy file format of `agentsudo/policy`
 * (`docs/policy.md`), read by the same loader. Every mistake is a `PolicyError` naming the
 * file, line and column and the fix.
 *
 * @example
 * ```ts
 * const policy = loadMcpPolicy('agentsudo.policy.yaml');
 * const reader = policy.agentNamed('ReadOnlyBot');
 * ```
 */
export function loadMcpPolicy(file: string): McpPolicy {
  return mcpPolicy(readPolicyDocument(file));
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
  return mcpPolicy(parsePolicyDocument(text, file));
}

function mcpPolicy({ file, spec, locate }: PolicyDocument): McpPolicy {
  refuseUnenforced(spec, locate);
  if (spec.tools === undefined) {
    throw new PolicyError(
      [],
      'the policy has no tools:, so the proxy cannot tell which scope a tool needs.',
      `Add them, like:\n${EXAMPLE}`,
    ).locatedBy(locate);
  }
  let rules: PolicyRules;
  try {
    rules = compilePolicy(spec);
  } catch (err) {
    throw err instanceof PolicyError ? err.locatedBy(locate) : err;
  }
  const agents: PolicyAgent[] = rules.agents.map((agent, i) => ({
    agent,
    tokenEnv: spec.agents[i].tokenEnv,
  }));
  const tools: ToolRule[] = spec.tools.map((rule) => ({ glob: rule.glob, scope: rule.scope }));
  const fail = (path: (string | number)[], problem: string, fix: string, target: 'key' | 'value') => {
    throw new PolicyError(path, problem, fix, target).locatedBy(locate);
  };
  return {
    file,
    agents,
    tools,
    unlisted: spec.unlisted ?? 'deny',
    scopeOf: rules.scopeOf,
    agentNamed(name) {
      const found = agents.find((entry) => entry.agent.name === name);
      if (found !== undefined) return found.agent;
      return fail(
        ['agents'],
        `the policy has no agent named ${JSON.stringify(name)}.`,
        `Use one of: ${agents.map((a) => a.agent.name).join(', ')}, or add it under agents:.`,
        'key',
      );
    },
    registry(env) {
      const registry = new AgentRegistry();
      for (const { agent, tokenEnv } of agents) {
        if (tokenEnv === undefined) continue;
        const at = ['agents', agent.name, 'token_env'];
        const token = env[tokenEnv];
        if (token === undefined || token === '') {
          fail(
            at,
            `the environment variable ${tokenEnv} (token_env of agent '${agent.name}') is ${token === undefined ? 'not set' : 'empty'}.`,
            `Set ${tokenEnv} to the agent's bearer token (at least 16 characters; e.g. from \`node -e "console.log(require('crypto').randomBytes(24).toString('base64url'))"\`).`,
            'value',
          );
        }
        try {
          registry.register({ agent, token: token! }, `token_env ${tokenEnv}`);
        } catch (err) {
          if (!(err instanceof ConfigurationError)) throw err;
          fail(at, err.message, 'Fix this value.', 'value');
        }
      }
      if (registry.list().length === 0) {
        fail(
          ['agents'],
          'no agent has a token_env, so no request over HTTP could name an agent.',
          'Give each agent that calls over HTTP a token_env: NAME_OF_ITS_TOKEN_VARIABLE.',
          'key',
        );
      }
      return registry;
    },
  };
}

/**
 * The proxy decides on a tool's scope alone. A policy asking for more (a person's approval,
 * guards on the arguments, rate limits or budgets) is refused rather than loaded, so no one
 * believes a call is held, inspected or counted when it is not.
 */
function refuseUnenforced(spec: PolicySpec, locate: PolicyLocator): void {
  const proxyCannot = 'agentsudo-mcp enforces scopes only';
  const fix =
    'Remove it from the file the proxy reads, or enforce it in the server with guardMcpServer and @Sudo (docs/policy.md).';
  if (spec.approval.length > 0) {
    throw new PolicyError(
      ['approval'],
      `${proxyCannot}: it cannot hold a call for approval:.`,
      fix,
      'key',
    ).locatedBy(locate);
  }
  if (spec.guards.length > 0) {
    throw new PolicyError(
      ['guards'],
      `${proxyCannot}: it cannot run guards: on a tool's arguments.`,
      fix,
      'key',
    ).locatedBy(locate);
  }
  for (const { options } of spec.agents) {
    for (const key of ['limits', 'budgets'] as const) {
      if (options[key] === undefined) continue;
      throw new PolicyError(
        ['agents', options.name, key],
        `${proxyCannot}: it cannot count agent '${options.name}''s ${key}:.`,
        fix,
        'key',
      ).locatedBy(locate);
    }
  }
}
