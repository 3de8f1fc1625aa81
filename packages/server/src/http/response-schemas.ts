/**
 * JSON schemas of the answers the routes send. Fastify serializes an answer with the schema
 * of its status code (fast-json-stringify): a key the schema does not list is left out and a
 * value is coerced to the declared type. So each schema lists every key its route answers,
 * with its real type (`['string', 'null']` where the value may be null), and objects whose
 * keys are data (event metadata, counts by reason) stay open. Streamed answers (exports,
 * Server-Sent Events) have none. response-schemas.test.ts holds every route to its schema.
 */

/** A string, as every name, id and ISO 8601 time in an answer is. */
const STRING = { type: 'string' } as const;
/** A count or a sequence number. */
const INTEGER = { type: 'integer' } as const;
const BOOLEAN = { type: 'boolean' } as const;
/** An object whose keys are data, answered as it is (fast-json-stringify writes it with JSON.stringify). */
const OPEN_OBJECT = { type: 'object', additionalProperties: true } as const;

/**
 * An object with these properties, the `required` ones always present, no other key
 * answered.
 *
 * @example
 * ```ts
 * const user = objectSchema({ id: { type: 'string' }, email: { type: 'string' } }, ['id', 'email']);
 * ```
 */
export function objectSchema<P extends Record<string, object>>(
  properties: P,
  required: ReadonlyArray<keyof P & string> = [],
) {
  return { type: 'object', properties, required: [...required], additionalProperties: false } as const;
}

/**
 * An array of `items`.
 *
 * @example
 * ```ts
 * const page = objectSchema({ events: arrayOf(eventSchema) }, ['events']);
 * ```
 */
export function arrayOf<S extends object>(items: S) {
  return { type: 'array', items } as const;
}

/**
 * A string or null: `next_cursor` on the last page.
 *
 * @example
 * ```ts
 * objectSchema({ next_before: nullableString });
 * ```
 */
export const nullableString = { type: ['string', 'null'] } as const;

/**
 * Every error the error handler answers: `{ error, message, field?, … }`. Some errors add
 * keys of their own (`status` of an approval a request conflicts with), so the object stays
 * open: an error never loses a key.
 *
 * @example
 * ```ts
 * reply.code(404).send({ error: 'event_not_found', message: 'No event …' }); // matches
 * ```
 */
export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: STRING, message: STRING, field: STRING, status: STRING },
  additionalProperties: true,
} as const;

/**
 * The `response` part of a route's schema: the given success answers, and
 * {@link errorSchema} for every 4xx and 5xx.
 *
 * @example
 * ```ts
 * app.get('/api/grants', { schema: { querystring, response: responses({ 200: grantsSchema }) } }, list);
 * app.get('/api/projects/:project/live', { schema: { params, response: responses({}) } }, feed); // streamed 200
 * ```
 */
export function responses<R extends Record<number, object>>(ok: R) {
  return { ...ok, '4xx': errorSchema, '5xx': errorSchema } as const;
}

/**
 * An event as `toApiEvent` (api-event.ts) answers it; optional keys are left out when unset.
 * `metadata` is the agent's own object, answered as it was sent.
 *
 * @example
 * ```ts
 * objectSchema({ event: eventSchema }, ['event']);
 * ```
 */
export const eventSchema = objectSchema(
  {
    seq: INTEGER,
    event_id: STRING,
    timestamp: STRING,
    agent_name: STRING,
    agent_id: STRING,
    role: STRING,
    session_id: STRING,
    action: STRING,
    scope: STRING,
    allowed: BOOLEAN,
    function_name: STRING,
    metadata: OPEN_OBJECT,
    sdk: STRING,
    received_at: STRING,
    reason: STRING,
    approval_id: STRING,
    decided_by: STRING,
  },
  ['seq', 'event_id', 'timestamp', 'agent_name', 'action', 'allowed'],
);

/**
 * An approval as `approvalJson` (approval-json.ts) answers it, in any status.
 *
 * @example
 * ```ts
 * app.get('/api/approvals/:id', { schema: { params, response: responses({ 200: approvalSchema }) } }, get);
 * ```
 */
export const approvalSchema = objectSchema(
  {
    id: STRING,
    status: STRING,
    project: STRING,
    agent_name: STRING,
    scope: STRING,
    function_name: STRING,
    created_at: STRING,
    expires_at: STRING,
    source: STRING,
    agent_id: STRING,
    session_id: STRING,
    description: STRING,
    args_digest: STRING,
    channel: STRING,
    decided_at: STRING,
    decided_by: STRING,
    reason: STRING,
    remember_minutes: INTEGER,
    same_args_only: BOOLEAN,
    grant_id: STRING,
    consumed_at: STRING,
  },
  ['id', 'status', 'project', 'agent_name', 'scope', 'function_name', 'created_at', 'expires_at', 'source'],
);

/**
 * A remembered grant as `grantJson` (approval-json.ts) answers it, revoked or not.
 *
 * @example
 * ```ts
 * objectSchema({ grants: arrayOf(grantSchema) }, ['grants']);
 * ```
 */
export const grantSchema = objectSchema(
  {
    id: STRING,
    approval_id: STRING,
    agent_name: STRING,
    scope: STRING,
    created_at: STRING,
    created_by: STRING,
    expires_at: STRING,
    agent_id: STRING,
    args_digest: STRING,
    revoked_at: STRING,
    revoked_by: STRING,
  },
  ['id', 'approval_id', 'agent_name', 'scope', 'created_at', 'created_by', 'expires_at'],
);

/**
 * `{ grants: [...] }`: a project's grants (the dashboard) or its active ones (the SDK).
 *
 * @example
 * ```ts
 * app.get('/api/grants', { schema: { response: responses({ 200: grantListSchema }) } }, list);
 * ```
 */
export const grantListSchema = objectSchema({ grants: arrayOf(grantSchema) }, ['grants']);

/**
 * A project as the read API and the dashboard answer it.
 *
 * @example
 * ```ts
 * objectSchema({ projects: arrayOf(projectSchema) }, ['projects']);
 * ```
 */
export const projectSchema = objectSchema({ id: STRING, name: STRING, created_at: STRING }, [
  'id',
  'name',
  'created_at',
]);

/**
 * A dashboard user as login and `GET /api/auth/me` answer it, with the session's CSRF token.
 *
 * @example
 * ```ts
 * app.get('/api/auth/me', { schema: { response: responses({ 200: sessionSchema }) } }, me);
 * ```
 */
export const sessionSchema = objectSchema(
  { user: objectSchema({ id: STRING, email: STRING }, ['id', 'email']), csrf_token: STRING },
  ['user', 'csrf_token'],
);

/**
 * `{ ok: true }`, what logout answers.
 *
 * @example
 * ```ts
 * app.post('/api/auth/logout', { schema: { response: responses({ 200: okSchema }) } }, logout);
 * ```
 */
export const okSchema = objectSchema({ ok: BOOLEAN }, ['ok']);

/**
 * Checks by outcome, as totals, buckets and agents of the stats count them.
 *
 * @example
 * ```ts
 * objectSchema({ ...countsProperties, agent_name: { type: 'string' } });
 * ```
 */
export const countsProperties = { events: INTEGER, allowed: INTEGER, denied: INTEGER, audit: INTEGER };

/**
 * Schema pieces for route-specific answers: a string, an integer, a boolean, any number,
 * an object keyed by data.
 *
 * @example
 * ```ts
 * objectSchema({ api_key: types.string, revoked: arrayOf(types.string) }, ['api_key', 'revoked']);
 * ```
 */
export const types = {
  string: STRING,
  integer: INTEGER,
  boolean: BOOLEAN,
  number: { type: 'number' },
  openObject: OPEN_OBJECT,
} as const;
