import { Catch, Inject, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PermissionError } from '@agentsudo/core';
import { AgentTooManyRequestsException, denialException } from './http-exceptions';
import { AGENTSUDO_MODULE_OPTIONS, type AgentSudoModuleOptions } from './module-options';

/**
 * Answers a `PermissionError` that reached Nest's exception layer untranslated (thrown by
 * a guard of your own, say) with the same answer as the module's interceptor: 403, or 429
 * with `Retry-After` when the call can pass later (see `denialStatus`). The
 * module does not install it: its guard and interceptor already throw HTTP exceptions,
 * and a global filter of ours would shadow a `@Catch(PermissionError)` filter of yours.
 *
 * @example
 * ```ts
 * @UseFilters(PermissionErrorFilter)
 * @Controller('reports')
 * export class ReportsController {}
 * ```
 */
@Catch(PermissionError)
export class PermissionErrorFilter implements ExceptionFilter<PermissionError> {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(AGENTSUDO_MODULE_OPTIONS) private readonly options?: AgentSudoModuleOptions,
  ) {}

  catch(error: PermissionError, host: ArgumentsHost): void {
    // Other transports (microservices, websockets) have their own error shapes.
    if (host.getType() !== 'http') throw error;
    const exception = denialException(error, { exposeDetails: this.options?.exposeDetails });
    const response = host.switchToHttp().getResponse<unknown>();
    if (exception instanceof AgentTooManyRequestsException) {
      this.adapterHost.httpAdapter.setHeader(response, 'Retry-After', String(exception.retryAfterSeconds));
    }
    this.adapterHost.httpAdapter.reply(response, exception.getResponse(), exception.getStatus());
  }
}
