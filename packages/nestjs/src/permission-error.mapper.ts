import { Inject, Injectable, Logger, type ExecutionContext } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, FILTER_CATCH_EXCEPTIONS } from '@nestjs/common/constants';
import { APP_FILTER, DiscoveryService, HttpAdapterHost } from '@nestjs/core';
import { PermissionError } from '@agentsudo/core';
import { AgentTooManyRequestsException, denialException } from './http-exceptions';
import { AGENTSUDO_MODULE_OPTIONS, type AgentSudoModuleOptions } from './module-options';

type ErrorType = abstract new (...args: never[]) => unknown;

/**
 * Turns a `PermissionError` into the exception Nest's exception layer expects, so any
 * filter written for `HttpException` answers 403 (`AgentForbiddenException`), or 429
 * (`AgentTooManyRequestsException`, with `Retry-After` set on the response) when the call
 * can pass later. The one exception: when
 * the app has its own filter for `PermissionError` (an `APP_FILTER`, or `@UseFilters` on
 * the controller or handler), the error is left as it is, so that filter gets it. The full
 * message (the agent's other scopes, the function's name) goes to the server log.
 *
 * @example
 * ```ts
 * throw mapper.toHttp(err, context); // AgentForbiddenException, AgentTooManyRequestsException, or err itself
 * ```
 */
@Injectable()
export class PermissionErrorMapper {
  private readonly logger = new Logger('AgentSudo');
  private appFilterTypes: ErrorType[] | undefined;
  private readonly scopedFilterTypes = new WeakMap<Function, ErrorType[]>();

  constructor(
    @Inject(AGENTSUDO_MODULE_OPTIONS) private readonly options: AgentSudoModuleOptions,
    private readonly discovery: DiscoveryService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * What to throw instead of `error` while handling `context`.
   *
   * @example
   * ```ts
   * return next.handle().pipe(catchError((err) => throwError(() => mapper.toHttp(err, context))));
   * ```
   */
  toHttp(error: unknown, context: ExecutionContext): unknown {
    if (!(error instanceof PermissionError) || context.getType() !== 'http') return error;
    this.logger.warn(error.message);
    const caughtByApp = [...this.appFilters(), ...this.scopedFilters(context)].some(
      (type) => error instanceof type,
    );
    if (caughtByApp) return error;
    const exception = denialException(error, { exposeDetails: this.options.exposeDetails === true });
    if (exception instanceof AgentTooManyRequestsException) {
      const response = context.switchToHttp().getResponse<unknown>();
      this.adapterHost.httpAdapter.setHeader(response, 'Retry-After', String(exception.retryAfterSeconds));
    }
    return exception;
  }

  /** The PermissionError types the app's own APP_FILTERs catch, found once (they exist after init). */
  private appFilters(): ErrorType[] {
    if (this.appFilterTypes === undefined) {
      this.appFilterTypes = this.discovery
        .getProviders()
        .filter((wrapper) => typeof wrapper.token === 'string' && wrapper.token.startsWith(APP_FILTER))
        .flatMap((wrapper) => permissionErrorTypesOf(wrapper.instance));
    }
    return this.appFilterTypes;
  }

  private scopedFilters(context: ExecutionContext): ErrorType[] {
    const handler = context.getHandler();
    let types = this.scopedFilterTypes.get(handler);
    if (types === undefined) {
      types = [handler, context.getClass()]
        .flatMap((target) => (Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, target) ?? []) as unknown[])
        .flatMap(permissionErrorTypesOf);
      this.scopedFilterTypes.set(handler, types);
    }
    return types;
  }
}

/** The PermissionError (sub)classes a filter (class or instance) names in its @Catch. */
function permissionErrorTypesOf(filter: unknown): ErrorType[] {
  if (filter === null || filter === undefined) return [];
  const type = typeof filter === 'function' ? filter : (filter as object).constructor;
  const caught = (Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, type) ?? []) as ErrorType[];
  return caught.filter((t) => t === (PermissionError as ErrorType) || t.prototype instanceof PermissionError);
}
