import { SetMetadata } from '@nestjs/common';
import { ConfigurationError, assertValidScope } from '@agentsudo/core';

/**
 * Metadata key under which `@RequireScope` records its scopes; the scope guard reads it
 * through Nest's `Reflector`.
 *
 * @example
 * ```ts
 * reflector.getAllAndMerge<string[]>(REQUIRE_SCOPE_METADATA_KEY, [context.getHandler(), context.getClass()]);
 * ```
 */
export const REQUIRE_SCOPE_METADATA_KEY = 'agentsudo:require-scope';

/**
 * Requires scopes for a route (on a handler) or for every route of a controller (on the
 * class). Scopes on the class and on the handler add up: the agent needs all of them.
 * A missing scope answers 403 `{ error, scope, agent }` before the handler runs.
 *
 * @example
 * ```ts
 * @Controller('refunds')
 * @RequireScope('read:orders')
 * export class RefundsController {
 *   @Post()
 *   @RequireScope('write:refunds')
 *   create(@Body() body: RefundRequest) { … }
 * }
 * ```
 */
export function RequireScope(...scopes: string[]): ClassDecorator & MethodDecorator {
  if (scopes.length === 0) {
    throw new ConfigurationError(
      "@RequireScope(): name at least one scope, e.g. @RequireScope('write:refunds').",
    );
  }
  scopes.forEach((scope, i) => assertValidScope(scope, `@RequireScope() argument ${i + 1}`));
  return SetMetadata(REQUIRE_SCOPE_METADATA_KEY, scopes);
}
