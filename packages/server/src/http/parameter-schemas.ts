import { ApiError } from './api-error';
import { queryParameterError } from './query';

/**
 * Longest value a path parameter or query string parameter may have (the router's
 * `maxParamLength`); query.ts and the approval parsers check what a value means.
 *
 * @example
 * ```ts
 * text(); // { type: 'string', maxLength: MAX_PARAMETER_LENGTH }
 * ```
 */
export const MAX_PARAMETER_LENGTH = 512;

/**
 * A string parameter of at most `maxLength` characters: the first check of every path and
 * query parameter (types and lengths), before the semantic checks of query.ts.
 *
 * @example
 * ```ts
 * const params = paramsSchema({ project: text(), eventId: text() });
 * ```
 */
export function text(maxLength = MAX_PARAMETER_LENGTH) {
  return { type: 'string', maxLength } as const;
}

/**
 * The schema of a route's path parameters: every one named, each required.
 *
 * @example
 * ```ts
 * app.get('/api/projects/:project/grants', { schema: { params: paramsSchema({ project: text() }) } }, list);
 * ```
 */
export function paramsSchema(properties: Record<string, ReturnType<typeof text>>) {
  return {
    type: 'object',
    required: Object.keys(properties),
    properties,
    additionalProperties: false,
  } as const;
}

/**
 * The schema of a route's query string: each named parameter given at most once, as a
 * string of bounded length. Unknown parameters are left alone, as they always were
 * (a cache-busting `_=` must not fail a request).
 *
 * @example
 * ```ts
 * app.get('/api/grants', { schema: { querystring: querySchema(['agent_name']) } }, list);
 * ```
 */
export function querySchema(names: readonly string[]) {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, text()])),
  } as const;
}

/**
 * The names of the event filter that `parseFilter` reads (listing, export, live feed).
 *
 * @example
 * ```ts
 * querySchema([...FILTER_PARAMETERS, 'limit', 'cursor']);
 * ```
 */
export const FILTER_PARAMETERS = [
  'agent',
  'scope',
  'function',
  'session',
  'q',
  'allowed',
  'outcome',
  'action',
  'reason',
  'approval_id',
  'from',
  'to',
] as const;

/** One failure of a params or querystring schema, as Ajv reports it. */
interface SchemaFailure {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

/**
 * A path or query parameter that failed its schema, as the 400 the semantic checks answer:
 * `Query parameter limit=["1","2"] is invalid: give the parameter once.` (`invalid_query`),
 * or `Path parameter eventId=… is invalid: …` (`invalid_path`), with the parameter as `field`.
 *
 * @example
 * ```ts
 * throw parameterError('querystring', request.query, { instancePath: '/limit', keyword: 'type', params: { type: 'string' } });
 * ```
 */
export function parameterError(
  where: 'querystring' | 'params',
  values: unknown,
  failure: SchemaFailure,
): ApiError {
  const name =
    failure.keyword === 'required'
      ? String(failure.params.missingProperty)
      : failure.instancePath.split('/').slice(1).join('.') || where;
  const value = (values as Record<string, unknown> | undefined)?.[name];
  const limit = Number(failure.params.limit);
  const [shown, hint] =
    failure.keyword === 'maxLength'
      ? [`${String(value).slice(0, 20)}…`, `at most ${limit} characters`]
      : failure.keyword === 'required'
        ? [value, 'it is required']
        : Array.isArray(value)
          ? [value, 'give the parameter once']
          : failure.keyword === 'type'
            ? [value, `give a ${String(failure.params.type)}`]
            : [value, 'check its value'];
  return where === 'querystring'
    ? queryParameterError(name, shown, hint)
    : new ApiError(
        400,
        'invalid_path',
        `Path parameter ${name}=${JSON.stringify(shown)} is invalid: ${hint}.`,
        name,
      );
}
