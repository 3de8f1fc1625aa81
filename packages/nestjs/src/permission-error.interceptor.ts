import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import { PermissionErrorMapper } from './permission-error.mapper';

/**
 * Turns a `PermissionError` thrown by a handler, its pipes or anything it awaits (a denied
 * `@Sudo` deep in a service) into an `AgentForbiddenException` before Nest's exception
 * filters see it, so your own catch-all filter answers 403, not 500. Installed app-wide
 * by `AgentSudoModule` unless `global: false`.
 *
 * @example
 * ```ts
 * @UseInterceptors(PermissionErrorInterceptor)
 * @Controller('refunds')
 * export class RefundsController {}
 * ```
 */
@Injectable()
export class PermissionErrorInterceptor implements NestInterceptor {
  constructor(private readonly mapper: PermissionErrorMapper) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(catchError((err: unknown) => throwError(() => this.mapper.toHttp(err, context))));
  }
}
