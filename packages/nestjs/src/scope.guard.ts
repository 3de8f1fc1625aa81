import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { AGENT_REQUIREMENT_METADATA_KEY, type AgentRequirement } from './agent-requirement.decorator';
import { ExcludedRoutes } from './excluded-routes';
import { AgentUnauthorizedException } from './http-exceptions';
import { AGENTSUDO_MODULE_OPTIONS, type AgentSudoModuleOptions } from './module-options';
import { PermissionErrorMapper } from './permission-error.mapper';
import { noteOrigin, recordUnauthenticated } from './refusal-events';
import { REQUIRE_SCOPE_METADATA_KEY } from './require-scope.decorator';
import { assertSessionIntact, requestIdentity, requestRefusal, WWW_AUTHENTICATE } from './request-session';
import { scopeCheck } from './scope-check';

/**
 * Requires an agent (401 `AgentUnauthorizedException` without one) on every route but
 * those marked `@Public()` / `@OptionalAgent()` or left out with the module's `exclude`,
 * and enforces `@RequireScope` (403
 * `AgentForbiddenException`). It runs inside the session the middleware opened for the
 * request. Installed app-wide by `AgentSudoModule` unless `global: false`. It checks each
 * request once, however many times it is applied (globally and with `@UseGuards`).
 *
 * @example
 * ```ts
 * @UseGuards(ScopeGuard)
 * @Controller('refunds')
 * export class RefundsController {}
 * ```
 */
// Requests already checked by some ScopeGuard instance: the global one and one added with
// @UseGuards are different instances, and each check is an audit event.
const guardedRequests = new WeakSet<object>();

@Injectable()
export class ScopeGuard implements CanActivate {
  // One check per handler, built on first use: checks are core sudo() wrappers.
  private readonly checks = new WeakMap<Function, () => void>();

  constructor(
    private readonly reflector: Reflector,
    private readonly mapper: PermissionErrorMapper,
    private readonly adapterHost: HttpAdapterHost,
    private readonly excluded: ExcludedRoutes,
    @Inject(AGENTSUDO_MODULE_OPTIONS) private readonly options: AgentSudoModuleOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') {
      // Express's request is Node's; Fastify's wraps it as `.raw`. Key on Node's. (Only
      // HTTP: a websocket's first argument is the connection, shared by all its messages.)
      const request = context.switchToHttp().getRequest<{ raw?: object }>();
      const key = request.raw ?? request;
      if (guardedRequests.has(key)) return true;
      guardedRequests.add(key);
      this.requireAgent(context);
    }
    const check = this.checkFor(context);
    try {
      check();
    } catch (err) {
      throw this.mapper.toHttp(err, context);
    }
    return true;
  }

  private requireAgent(context: ExecutionContext): void {
    const http = context.switchToHttp();
    const req = http.getRequest<object>();
    const origin = noteOrigin(req);
    if (requestIdentity(req) !== undefined) {
      assertSessionIntact(req, 'ScopeGuard');
      return;
    }
    // Undefined when no session middleware saw the request (one mounted by hand elsewhere).
    const refusal = requestRefusal(req);
    if (refusal === undefined) return;
    const requirement = this.excluded.covers(context.getClass(), context.getHandler())
      ? 'none'
      : this.reflector.getAllAndOverride<AgentRequirement | undefined>(AGENT_REQUIREMENT_METADATA_KEY, [
          context.getHandler(),
          context.getClass(),
        ]);
    if (requirement === 'none') return;
    if (requirement === 'optional' && refusal.reason === 'missing_token') return;
    if (this.options.auditRefusals !== false) {
      recordUnauthenticated(
        `${context.getClass().name}.${context.getHandler().name}`,
        origin,
        refusal.reason,
      );
    }
    this.adapterHost.httpAdapter.setHeader(http.getResponse(), 'WWW-Authenticate', WWW_AUTHENTICATE);
    throw new AgentUnauthorizedException(refusal);
  }

  private checkFor(context: ExecutionContext): () => void {
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
    return check;
  }
}

function noCheck(): void {
  // Routes without @RequireScope pass.
}
