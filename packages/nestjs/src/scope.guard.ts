import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { REQUIRE_SCOPE_METADATA_KEY } from './require-scope.decorator';
import { assertSessionIntact } from './request-session';
import { scopeCheck } from './scope-check';

/**
 * Enforces `@RequireScope` (installed app-wide by `AgentSudoModule`). It runs inside the
 * session the module's middleware opened for the request; a missing scope throws core's
 * `PermissionDeniedError`, which the module's filter answers with 403.
 *
 * @example
 * ```ts
 * // Installed for you; to use it without the module:
 * app.useGlobalGuards(new ScopeGuard(app.get(Reflector)));
 * ```
 */
@Injectable()
export class ScopeGuard implements CanActivate {
  // One check per handler, built on first use: checks are core sudo() wrappers.
  private readonly checks = new WeakMap<Function, () => void>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let check = this.checks.get(handler);
    if (check === undefined) {
      const scopes = this.reflector.getAllAndMerge<string[]>(REQUIRE_SCOPE_METADATA_KEY, [
        handler,
        context.getClass(),
      ]);
      const unique = [...new Set(scopes)];
      const name = `${context.getClass().name}.${handler.name}`;
      check = unique.length ? scopeCheck(unique, name) : noCheck;
      this.checks.set(handler, check);
    }
    if (check === noCheck) return true;
    if (context.getType() === 'http') {
      assertSessionIntact(context.switchToHttp().getRequest<object>(), 'ScopeGuard');
    }
    check();
    return true;
  }
}

function noCheck(): void {
  // Routes without @RequireScope pass.
}
