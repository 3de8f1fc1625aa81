import { Catch, Inject, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PermissionError } from '@agentsudo/core';
import { AgentForbiddenException } from './http-exceptions';
import { AGENTSUDO_MODULE_OPTIONS, type AgentSudoModuleOptions } from './module-options';

/**
 * Answers a `PermissionError` that reached Nest's exception layer untranslated (thrown by
 * a guard of your own, say) with the same 403 body as `AgentForbiddenException`. The
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
    const exception = new AgentForbiddenException(error, { exposeDetails: this.options?.exposeDetails });
    const response = host.switchToHttp().getResponse<unknown>();
    this.adapterHost.httpAdapter.reply(response, exception.getResponse(), exception.getStatus());
  }
}
