import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PermissionError } from '@agentsudo/core';
import { forbiddenBody } from './responses';

/**
 * Answers any `PermissionError` thrown while handling an HTTP request (a failed
 * `@RequireScope`, a denied `@Sudo` deep in a service) with 403 JSON
 * `{ error, scope, agent }` instead of Nest's default 500. Installed app-wide by
 * `AgentSudoModule`; it answers through the HTTP adapter, so it is not tied to Express.
 *
 * @example
 * ```ts
 * // Installed for you; to use it without the module:
 * app.useGlobalFilters(new PermissionErrorFilter(app.get(HttpAdapterHost)));
 * ```
 */
@Catch(PermissionError)
export class PermissionErrorFilter implements ExceptionFilter<PermissionError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: PermissionError, host: ArgumentsHost): void {
    // Other transports (microservices, websockets) have their own error shapes.
    if (host.getType() !== 'http') throw error;
    const response = host.switchToHttp().getResponse<unknown>();
    this.adapterHost.httpAdapter.reply(response, forbiddenBody(error), 403);
  }
}
