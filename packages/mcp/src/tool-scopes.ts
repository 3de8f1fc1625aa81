import { ConfigurationError, assertValidScope } from '@agentsudo/core';
import { ConflictingToolScopeError } from './errors';
import { SCOPE_META_KEY } from './scope-meta';

/**
 * Tool name to the scope it needs, as `guardMcpServer`'s `scopes` option takes it.
 *
 * @example
 * ```ts
 * const scopes: ToolScopeMap = { read_file: 'read:files', write_file: 'write:files' };
 * ```
 */
export type ToolScopeMap = Readonly<Record<string, string>>;

/**
 * Finds the scope of a tool by name, for rules a plain map cannot hold (globs in a policy
 * file, say); undefined means the tool declares none.
 *
 * @example
 * ```ts
 * const lookup: ToolScopeLookup = (name) => (name.startsWith('read_') ? 'read:files' : undefined);
 * ```
 */
export type ToolScopeLookup = (toolName: string) => string | undefined;

/**
 * What happens to a tool that declares no scope: `'deny'` (the default) refuses every
 * call to it and hides it from `tools/list`; `'allow'` lets every agent call it.
 *
 * @example
 * ```ts
 * guardMcpServer(server, { scopes, agent, unlisted: 'allow' });
 * ```
 */
export type UnlistedTools = 'deny' | 'allow';

/**
 * What calling a tool takes: a scope, nothing (`open`: it declares none and unlisted tools
 * are allowed), or it is refused whoever calls (`refused`, with why).
 *
 * @example
 * ```ts
 * const need: ToolRequirement = { kind: 'scope', scope: 'write:files' };
 * ```
 */
export type ToolRequirement =
  | { kind: 'scope'; scope: string }
  | { kind: 'open' }
  | { kind: 'refused'; reason: 'unlisted' }
  | { kind: 'refused'; reason: 'invalid_scope' | 'conflicting_scope'; error: ConfigurationError };

/**
 * How the scopes of a server's tools are declared: the map (or lookup) given to the guard,
 * the tools' own `_meta['agentsudo/scope']`, and what to do with tools that have neither.
 *
 * @example
 * ```ts
 * const options: ToolScopeOptions = { scopes: { read_file: 'read:files' }, unlisted: 'deny' };
 * ```
 */
export interface ToolScopeOptions {
  scopes?: ToolScopeMap | ToolScopeLookup;
  unlisted?: UnlistedTools;
}

/**
 * Answers which scope a tool needs. Scopes given in the map are checked once, here; a
 * scope found in a tool's `_meta` is checked the first time it is seen. A tool given one
 * scope in the map and another in its `_meta` is refused: which one was meant cannot be
 * known, and a permission layer does not guess.
 *
 * @example
 * ```ts
 * const toolScopes = new ToolScopes({ scopes: { read_file: 'read:files' } }, 'guardMcpServer');
 * toolScopes.requirementOf('read_file'); // { kind: 'scope', scope: 'read:files' }
 * toolScopes.requirementOf('rm_rf'); // { kind: 'refused', reason: 'unlisted' }
 * ```
 */
export class ToolScopes {
  private readonly byName: Map<string, string> | undefined;
  private readonly lookup: ToolScopeLookup | undefined;
  private readonly unlisted: UnlistedTools;
  /** Scopes met in tools' `_meta`, with the error of an invalid one (which names the fix). */
  private readonly metaScopes = new Map<string, ConfigurationError | undefined>();

  constructor(
    options: ToolScopeOptions,
    private readonly where: string,
  ) {
    const { scopes, unlisted = 'deny' } = options;
    if (unlisted !== 'deny' && unlisted !== 'allow') {
      throw new ConfigurationError(
        `${where}: unlisted must be 'deny' (the default) or 'allow', got ${JSON.stringify(unlisted)}.`,
      );
    }
    this.unlisted = unlisted;
    if (typeof scopes === 'function') {
      this.lookup = scopes;
    } else if (scopes !== undefined) {
      if (typeof scopes !== 'object' || scopes === null || Array.isArray(scopes)) {
        throw new ConfigurationError(
          `${where}: scopes must map tool names to scopes, like { read_file: 'read:files' }.`,
        );
      }
      // A Map, not the object: a tool named 'constructor' or '__proto__' must not find Object's.
      this.byName = new Map(Object.entries(scopes));
      for (const [tool, scope] of this.byName) assertValidScope(scope, `${where} scopes.${tool}`);
    }
  }

  /**
   * The requirement of the tool `toolName`, whose registration carried `meta` (its `_meta`).
   *
   * @example
   * ```ts
   * toolScopes.requirementOf('delete_file', { 'agentsudo/scope': 'delete:files' });
   * ```
   */
  requirementOf(toolName: string, meta?: Readonly<Record<string, unknown>>): ToolRequirement {
    const declared = this.byName !== undefined ? this.byName.get(toolName) : this.lookup?.(toolName);
    const fromMeta = meta?.[SCOPE_META_KEY];
    if (fromMeta === undefined) {
      if (declared !== undefined) return { kind: 'scope', scope: declared };
      return this.unlisted === 'allow' ? { kind: 'open' } : { kind: 'refused', reason: 'unlisted' };
    }
    const problem = this.problemWith(fromMeta);
    if (problem !== undefined) return { kind: 'refused', reason: 'invalid_scope', error: problem };
    if (declared !== undefined && declared !== fromMeta) {
      const error = new ConflictingToolScopeError(this.where, toolName, declared, fromMeta as string);
      return { kind: 'refused', reason: 'conflicting_scope', error };
    }
    return { kind: 'scope', scope: fromMeta as string };
  }

  /**
   * Throws the configuration error behind a `refused` requirement other than `unlisted`, so
   * a server that starts with a bad declaration fails at start-up rather than at a call.
   *
   * @example
   * ```ts
   * toolScopes.assertDeclarable('delete_file', tool._meta);
   * ```
   */
  assertDeclarable(toolName: string, meta?: Readonly<Record<string, unknown>>): void {
    const requirement = this.requirementOf(toolName, meta);
    if (requirement.kind === 'refused' && requirement.reason !== 'unlisted') throw requirement.error;
  }

  /** Why a `_meta` scope is unusable, or undefined when it is fine; the answer is kept. */
  private problemWith(scope: unknown): ConfigurationError | undefined {
    const where = `${this.where}: a tool's _meta['${SCOPE_META_KEY}']`;
    if (typeof scope !== 'string') {
      return new ConfigurationError(
        `${where} must be a scope string such as 'read:files', got ${typeof scope}.`,
      );
    }
    if (this.metaScopes.has(scope)) return this.metaScopes.get(scope);
    let problem: ConfigurationError | undefined;
    try {
      assertValidScope(scope, where);
    } catch (err) {
      problem = err as ConfigurationError;
    }
    this.metaScopes.set(scope, problem);
    return problem;
  }
}
