import { timingSafeEqual } from 'node:crypto';
import { Agent, ConfigurationError } from '@agentsudo/core';
import { hashAgentToken } from './tokens';

/** Shorter tokens are guessable; generateAgentToken() makes 43 characters. */
const MIN_TOKEN_LENGTH = 16;

/**
 * One agent known to the server, with the token it authenticates with. Give either the
 * token itself (hashed at once and then forgotten) or its SHA-256 hex digest, so the
 * plain token need not appear in the server's configuration at all.
 *
 * @example
 * ```ts
 * const registration: AgentRegistration = { agent: supportBot, token: process.env.SUPPORT_BOT_TOKEN };
 * const fromHash: AgentRegistration = { agent: auditor, tokenSha256: process.env.AUDITOR_TOKEN_SHA256 };
 * ```
 */
export interface AgentRegistration {
  agent: Agent;
  /** The agent's bearer token; at least 16 characters (see `generateAgentToken()`). */
  token?: string;
  /** `hashAgentToken(token)`: 64 hex characters. */
  tokenSha256?: string;
}

interface Entry {
  agent: Agent;
  digest: Buffer | undefined;
}

/**
 * The agents a server accepts, looked up by bearer token or by name. Only SHA-256
 * digests of tokens are kept, and a token is compared against every registered digest
 * in constant time, so neither memory dumps nor response timing reveal a token.
 *
 * @example
 * ```ts
 * const registry = new AgentRegistry([{ agent: supportBot, token: generateAgentToken() }]);
 * registry.authenticate(tokenFromRequest)?.name; // 'SupportBot', or undefined
 * ```
 */
export class AgentRegistry {
  private readonly entries: Entry[] = [];

  constructor(registrations: readonly AgentRegistration[] = []) {
    if (!Array.isArray(registrations)) {
      throw new ConfigurationError(
        `AgentRegistry: agents must be an array like [{ agent, token }], got ${describe(registrations)}.`,
      );
    }
    registrations.forEach((registration, i) => this.register(registration, `agents[${i}]`));
  }

  /**
   * Adds an agent. Names and tokens must be unique: two agents sharing a token could
   * not be told apart.
   *
   * @example
   * ```ts
   * registry.register({ agent: new Agent({ name: 'Auditor', scopes: ['read:*'] }), token });
   * ```
   */
  register(registration: AgentRegistration, where = 'register()'): this {
    if (typeof registration !== 'object' || registration === null) {
      throw new ConfigurationError(
        `AgentRegistry ${where}: expected { agent, token } or { agent, tokenSha256 }, got ${describe(registration)}.`,
      );
    }
    const { agent, token, tokenSha256 } = registration;
    if (!(agent instanceof Agent)) {
      throw new ConfigurationError(
        `AgentRegistry ${where}: agent must be an Agent from @agentsudo/core (new Agent({ name, scopes })), got ${describe(agent)}.`,
      );
    }
    if (agent.name.startsWith('<') && agent.name.endsWith('>')) {
      throw new ConfigurationError(
        `AgentRegistry ${where}: the agent name '${agent.name}' is reserved: names in angle brackets mark refusals in audit events (such as '<unauthenticated>'). Rename the agent.`,
      );
    }
    if (this.get(agent.name)) {
      throw new ConfigurationError(
        `AgentRegistry ${where}: an agent named '${agent.name}' is already registered; agent names must be unique.`,
      );
    }
    const digest = digestOf(agent.name, token, tokenSha256, where);
    if (digest && this.entries.some((e) => e.digest?.equals(digest))) {
      throw new ConfigurationError(
        `AgentRegistry ${where}: agent '${agent.name}' uses a token already given to another agent; give each agent its own token (generateAgentToken()).`,
      );
    }
    this.entries.push({ agent, digest });
    return this;
  }

  /**
   * The agent holding `token`, or undefined. Every registered digest is compared, with
   * no early exit, so the time taken does not depend on which agent (if any) matched.
   *
   * @example
   * ```ts
   * const agent = registry.authenticate(bearerToken(req));
   * ```
   */
  authenticate(token: string | undefined): Agent | undefined {
    if (typeof token !== 'string' || token === '') return undefined;
    const presented = Buffer.from(hashAgentToken(token), 'hex');
    let found: Agent | undefined;
    for (const entry of this.entries) {
      if (entry.digest && timingSafeEqual(entry.digest, presented) && found === undefined) {
        found = entry.agent;
      }
    }
    return found;
  }

  /**
   * The registered agent with this name, or undefined.
   *
   * @example
   * ```ts
   * registry.get('SupportBot')?.scopes;
   * ```
   */
  get(name: string): Agent | undefined {
    return this.entries.find((e) => e.agent.name === name)?.agent;
  }

  /**
   * Every registered agent, in registration order.
   *
   * @example
   * ```ts
   * registry.list().map((a) => `${a.name}: ${a.scopes.join(', ')}`);
   * ```
   */
  list(): Agent[] {
    return this.entries.map((e) => e.agent);
  }

  /**
   * The registered agents that have no token (neither `token` nor `tokenSha256`): a
   * bearer token can never name them, only a `resolveAgent` can.
   *
   * @example
   * ```ts
   * registry.withoutToken().map((a) => a.name); // ['GatewayBot']
   * ```
   */
  withoutToken(): Agent[] {
    return this.entries.filter((e) => e.digest === undefined).map((e) => e.agent);
  }
}

function digestOf(name: string, token: unknown, tokenSha256: unknown, where: string): Buffer | undefined {
  if (token !== undefined && tokenSha256 !== undefined) {
    throw new ConfigurationError(
      `AgentRegistry ${where}: agent '${name}' has both token and tokenSha256; give one of them.`,
    );
  }
  if (token !== undefined) {
    if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      throw new ConfigurationError(
        `AgentRegistry ${where}: the token of agent '${name}' must be a string of at least ${MIN_TOKEN_LENGTH} characters without white space; make one with generateAgentToken().`,
      );
    }
    return Buffer.from(hashAgentToken(token), 'hex');
  }
  if (tokenSha256 !== undefined) {
    if (typeof tokenSha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(tokenSha256)) {
      throw new ConfigurationError(
        `AgentRegistry ${where}: tokenSha256 of agent '${name}' must be 64 hex characters (hashAgentToken(token)), got ${describe(tokenSha256)}.`,
      );
    }
    return Buffer.from(tokenSha256, 'hex');
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 70 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return typeof value;
}
