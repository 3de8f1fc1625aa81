import { sudo } from '@agentsudo/core';

/**
 * A check that the calling agent holds every one of `scopes`, built on core's `sudo()`
 * so a route-level check is decided, logged and denied exactly like a `@Sudo` method:
 * it emits the same events and throws the same `PermissionError`s.
 *
 * @example
 * ```ts
 * const check = scopeCheck(['write:refunds'], 'RefundsController.create');
 * check(); // inside the request's session; throws PermissionDeniedError when lacking
 * ```
 */
export function scopeCheck(scopes: readonly string[], functionName: string): () => void {
  const checks = scopes.map((scope) => sudo(scope, allowed, { name: functionName }));
  return () => {
    for (const check of checks) check();
  };
}

function allowed(): void {
  // The check itself is the point: sudo() decides before this runs.
}
