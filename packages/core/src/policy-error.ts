import { ConfigurationError } from './errors';

/**
 * Where a value sits in a policy document: map keys and list indexes from the root, such
 * as `['agents', 'RefundBot', 'limits', 'write:refunds', 'per']`.
 *
 * @example
 * ```ts
 * const path: PolicyPath = ['guards', 'write:refunds', 1, 'deny.pattern', 'flags'];
 * ```
 */
export type PolicyPath = readonly (string | number)[];

/**
 * A place in a policy file, as a location mapper of the file's parser reports it.
 *
 * @example
 * ```ts
 * const where: PolicyLocation = { file: 'agentsudo.policy.yaml', line: 7, column: 14 };
 * ```
 */
export interface PolicyLocation {
  file: string;
  line: number;
  column: number;
}

/**
 * Turns a path in the document into a place in its file. `target: 'key'` asks for the key
 * at the end of the path (an unknown key), `'value'` for its value. A path that goes past
 * what the file has maps to the deepest part that exists.
 *
 * @example
 * ```ts
 * const locate: PolicyLocator = (path) => ({ file: 'inline', line: 1, column: 1 });
 * ```
 */
export type PolicyLocator = (path: PolicyPath, target: 'key' | 'value') => PolicyLocation;

const PLAIN_KEY = /^[A-Za-z0-9_:*\-/]+$/;

/**
 * A path as the errors print it: `agents.RefundBot.limits.write:refunds.per`, with indexes
 * as `[1]` and keys holding other characters quoted (`guards.write:refunds[1]["deny.pattern"]`).
 *
 * @example
 * ```ts
 * formatPolicyPath(['agents', 'RefundBot', 'scopes', 0]); // 'agents.RefundBot.scopes[0]'
 * ```
 */
export function formatPolicyPath(path: PolicyPath): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (PLAIN_KEY.test(part)) text += text === '' ? part : `.${part}`;
    else text += `[${JSON.stringify(part)}]`;
  }
  return text === '' ? '(the policy)' : text;
}

/**
 * A policy that cannot be used: the path of the bad value in the document, the problem and
 * the fix. Once a parser has mapped the path (see {@link PolicyError.locatedBy}) it also
 * carries the file, line and column, and its message reads
 * `file:line:column: path: problem fix`, the form editors and terminals turn into a link.
 *
 * @example
 * ```ts
 * try {
 *   validatePolicy(doc);
 * } catch (e) {
 *   if (e instanceof PolicyError) console.error(formatPolicyPath(e.path), e.problem, e.fix);
 * }
 * ```
 */
export class PolicyError extends ConfigurationError {
  constructor(
    /** Where the bad value is in the document. */
    readonly path: PolicyPath,
    /** What is wrong, naming the value. */
    readonly problem: string,
    /** What to write instead. */
    readonly fix: string,
    /** Whether the key at the end of `path` is the mistake, rather than its value. */
    readonly target: 'key' | 'value' = 'value',
    /** Where in its file, once a parser has mapped the path. */
    readonly location?: PolicyLocation,
  ) {
    const where = location ? `${location.file}:${location.line}:${location.column}: ` : '';
    super(`${where}${formatPolicyPath(path)}: ${problem} ${fix}`);
    this.name = 'PolicyError';
  }

  /** The file the error is in, once located. */
  get file(): string | undefined {
    return this.location?.file;
  }

  /** Its 1-based line, once located. */
  get line(): number | undefined {
    return this.location?.line;
  }

  /** Its 1-based column, once located. */
  get column(): number | undefined {
    return this.location?.column;
  }

  /**
   * The same error with the file, line and column `locate` finds for its path.
   *
   * @example
   * ```ts
   * throw err.locatedBy(locate); // agentsudo.policy.yaml:7:14: agents.RefundBot...
   * ```
   */
  locatedBy(locate: PolicyLocator): PolicyError {
    return new PolicyError(this.path, this.problem, this.fix, this.target, locate(this.path, this.target));
  }
}
