import { readFileSync } from 'node:fs';
import {
  PolicyError,
  validatePolicy,
  type PolicyLocation,
  type PolicyLocator,
  type PolicyPath,
  type PolicySpec,
} from '@agentsudo/core';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/**
 * A policy file read and checked: the checked document and a locator that maps any path
 * in it to a line and column of the file, for errors found later (a guard's options, an
 * agent the caller asks for, a token variable).
 *
 * @example
 * ```ts
 * const { spec, locate } = readPolicyDocument('agentsudo.policy.yaml');
 * ```
 */
export interface PolicyDocument {
  readonly file: string;
  readonly spec: PolicySpec;
  readonly locate: PolicyLocator;
}

/**
 * Reads the policy file `file` (YAML) and checks it with core's `validatePolicy`. Every
 * mistake, the file's own included (missing, not YAML, a key given twice), is a
 * `PolicyError` whose message starts `file:line:column:`.
 *
 * @example
 * ```ts
 * const { spec } = readPolicyDocument('agentsudo.policy.yaml');
 * spec.agents.map((a) => a.options.name); // ['RefundBot']
 * ```
 */
export function readPolicyDocument(file: string): PolicyDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new PolicyError([], `cannot read the policy file (${code}).`, 'Check the path.', 'value', {
      file,
      line: 1,
      column: 1,
    });
  }
  return parsePolicyDocument(text, file);
}

/**
 * Parses and checks the text of a policy, `file` naming it in errors.
 *
 * @example
 * ```ts
 * const { spec } = parsePolicyDocument('agents: { RefundBot: { scopes: [write:refunds] } }', 'inline.yaml');
 * ```
 */
export function parsePolicyDocument(text: string, file: string): PolicyDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): PolicyLocation => {
    const { line, col } = lines.linePos(offset ?? 0);
    return { file, line, column: col };
  };
  const [yamlError] = doc.errors;
  if (yamlError !== undefined) {
    const problem = `this is not valid YAML (${yamlError.message.split('\n')[0]}).`;
    throw new PolicyError([], problem, 'Fix the YAML syntax.', 'value', at(yamlError.pos[0]));
  }
  const locate: PolicyLocator = (path, target) => at(offsetOf(doc.contents, path, target));
  let spec: PolicySpec;
  try {
    // Aliases are expanded a bounded number of times: a "billion laughs" file is refused.
    spec = validatePolicy(doc.toJS({ maxAliasCount: 100 }));
  } catch (err) {
    if (err instanceof PolicyError) throw err.locatedBy(locate);
    if (err instanceof ReferenceError || err instanceof TypeError) {
      throw new PolicyError(
        [],
        `the YAML cannot be read as data (${err.message}).`,
        'Remove the aliases (*name) it repeats or that point nowhere.',
        'value',
        at(0),
      );
    }
    throw err;
  }
  return { file, spec, locate };
}

/** Where `path` is in the parsed file: its value, or its key; else the deepest part that exists. */
function offsetOf(root: unknown, path: PolicyPath, target: 'key' | 'value'): number | undefined {
  let node = root as Node | null | undefined;
  let best = startOf(node);
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    let next: unknown;
    let keyAt: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      if (pair === undefined) return best;
      next = pair.value;
      keyAt = startOf(pair.key);
    } else if (isSeq(node) && typeof part === 'number') {
      next = node.items[part];
      keyAt = startOf(next);
    } else {
      return best;
    }
    const last = i === path.length - 1;
    if (last && target === 'key') return keyAt ?? best;
    // `key:` with no value has no node of its own: point at the key.
    best = startOf(next) ?? keyAt ?? best;
    node = next as Node;
  }
  return best;
}

function startOf(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
}
